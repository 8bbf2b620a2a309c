//go:build asan

package gst

// sanitizer names the instrumentation of this test binary. AddressSanitizer
// replaces malloc (mallinfo reads zero) and holds freed memory in quarantine
// (RSS grows): the C side is then LeakSanitizer's job, at exit.
const sanitizer = "asan"
