// Package cmalloc reports how much C heap memory the process holds, so that the leak tests of the packages built on
// cgo (cgo/dtls, cgo/srtp, cgo/gst, src/transcode) can tell a C leak from the Go runtime's and the allocator's own
// retention, which the resident set size cannot. Tests use it; the product does not.
package cmalloc

// #include <malloc.h>
import "C"

// InUse returns the bytes currently allocated by malloc and not freed, over all of glibc's arenas (mallinfo2's
// uordblks plus its mmapped blocks, hblkhd). Under AddressSanitizer, which replaces malloc, it reads zero.
func InUse() int64 {
	info := C.mallinfo2()
	return int64(info.uordblks) + int64(info.hblkhd)
}
