package cmalloc

import "testing"

// TestInUseGrowsWithAnAllocation: a probe that reads the allocator sees a C allocation that is still held.
func TestInUseGrowsWithAnAllocation(t *testing.T) {
	before := InUse()
	if before <= 0 {
		t.Fatalf("InUse() = %d before any allocation of ours: the Go runtime and libc allocate at start-up", before)
	}
	const size = 8 << 20
	p := allocate(size)
	defer release(p)
	if grown := InUse() - before; grown < size {
		t.Fatalf("InUse() grew by %d bytes after an allocation of %d held", grown, size)
	}
}
