package mallocstats

import "testing"

func TestInUseIsPositive(t *testing.T) {
	// The Go runtime and libc allocate through malloc at start-up in a cgo program, so a working probe never
	// reads zero.
	if InUse() == 0 {
		t.Fatal("InUse() = 0")
	}
}
