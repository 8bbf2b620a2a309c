//go:build !race && !asan

package gst

// sanitizer names the instrumentation of this test binary: none.
const sanitizer = ""
