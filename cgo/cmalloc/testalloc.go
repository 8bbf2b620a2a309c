package cmalloc

// #include <stdlib.h>
import "C"

import "unsafe"

// allocate holds size bytes of C memory (for the package's test: cgo cannot be used in _test.go files).
func allocate(size int) unsafe.Pointer { return C.malloc(C.size_t(size)) }

// release frees what allocate returned.
func release(p unsafe.Pointer) { C.free(p) }
