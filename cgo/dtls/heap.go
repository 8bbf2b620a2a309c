package dtls

// #include "shim.h"
import "C"

// cHeapInUse returns the bytes of C memory allocated and not freed, process-wide: the leak test's measure.
func cHeapInUse() int64 {
	return int64(C.dtls_shim_heap_in_use())
}
