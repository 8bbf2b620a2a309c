package mallocstats

/*
#include <malloc.h>
*/
import "C"

// InUse returns the bytes currently allocated through glibc malloc, across
// all arenas and including large mmap'd blocks.
func InUse() uint64 {
	info := C.mallinfo2()
	return uint64(info.uordblks) + uint64(info.hblkhd)
}
