package histogram

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// TestCounterBuckets: each duration lands in the bucket whose upper bound is the first above it; the last bucket
// takes everything beyond; negative durations count as 0.
func TestCounterBuckets(t *testing.T) {
	c := NewCounter(2*time.Microsecond, 21)
	for _, d := range []time.Duration{-time.Second, 0, time.Microsecond, 2 * time.Microsecond, 3 * time.Microsecond,
		1500 * time.Microsecond, time.Hour} {
		c.Observe(d)
	}
	h := c.Snapshot()
	want := make([]uint64, 21)
	want[0], want[1], want[10], want[20] = 3, 2, 1, 1
	if !slices.Equal(h.Counts, want) {
		t.Errorf("counts %v, want %v", h.Counts, want)
	}
	if h.UpperBound(0) != 2*time.Microsecond || h.UpperBound(10) != 2048*time.Microsecond {
		t.Errorf("bounds %v %v", h.UpperBound(0), h.UpperBound(10))
	}
	if got := h.Sum; got != time.Hour+1506*time.Microsecond {
		t.Errorf("sum %v", got)
	}
}

func TestQuantile(t *testing.T) {
	c := NewCounter(250*time.Microsecond, 12)
	for range 98 {
		c.Observe(100 * time.Microsecond)
	}
	c.Observe(3 * time.Millisecond)
	c.Observe(time.Second)
	h := c.Snapshot()
	for _, tt := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 250 * time.Microsecond}, {0.99, 4 * time.Millisecond}, {1, h.UpperBound(11)}} {
		if got := h.Quantile(tt.q); got != tt.want {
			t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if got := (Doubling{}).Quantile(0.99); got != 0 {
		t.Errorf("empty Quantile = %v, want 0", got)
	}
}

// TestPlus: an empty Doubling takes the buckets of the first one added; a sum never writes into its operands.
func TestPlus(t *testing.T) {
	var sum Doubling
	c := NewCounter(time.Millisecond, 4)
	c.Observe(3 * time.Millisecond)
	for range 2 {
		sum = sum.Plus(c.Snapshot())
	}
	copied := sum
	if sum = sum.Plus(c.Snapshot()); !slices.Equal(copied.Counts, []uint64{0, 0, 2, 0}) {
		t.Errorf("the copy changed with the sum: %+v", copied)
	}
	if sum.Unit != time.Millisecond || !slices.Equal(sum.Counts, []uint64{0, 0, 3, 0}) || sum.Sum != 9*time.Millisecond {
		t.Errorf("sum %+v", sum)
	}
}

// TestConcurrentObserve: writers on several goroutines lose nothing (run with -race).
func TestConcurrentObserve(t *testing.T) {
	c := NewCounter(time.Microsecond, 8)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				c.Observe(5 * time.Microsecond)
			}
		})
	}
	wg.Wait()
	if got := c.Snapshot().Total(); got != 4000 {
		t.Errorf("total %d, want 4000", got)
	}
}
