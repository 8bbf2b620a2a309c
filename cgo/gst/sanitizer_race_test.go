//go:build race && !asan

package gst

// sanitizer names the instrumentation of this test binary. The race
// detector's shadow memory makes RSS grow with allocation, leak or not.
const sanitizer = "race"
