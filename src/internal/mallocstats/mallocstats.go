// Package mallocstats reports how much memory the C allocator has handed out, so that leak tests of packages
// built on cgo (src/transcode) can tell a C leak from allocator fragmentation, which the resident set size
// cannot. cgo/gst has its own copy for its tests: cgo imports nothing of src.
package mallocstats

/*
#include <malloc.h>
*/
import "C"

// InUse returns the bytes currently allocated through glibc malloc, across all arenas and including large
// mmap'd blocks.
func InUse() uint64 {
	info := C.mallinfo2()
	return uint64(info.uordblks) + uint64(info.hblkhd)
}
