// Package histogram counts durations in buckets that double in width, lock-free: webrtc's forwarding latency and
// transcode's decode and encode times are both such histograms, and main converts both to Prometheus the same
// way. A leaf: it imports nothing of the project, so packages of any layer may use it.
//
//	c := histogram.NewCounter(250*time.Microsecond, 12) // bucket 0 below 250 µs, bucket 11 from 256 ms on
//	c.Observe(d)                                          // from any goroutine
//	h := c.Snapshot()                                     // h.Quantile(0.99), h.Counts, h.Sum
package histogram

import (
	"math/bits"
	"slices"
	"sync/atomic"
	"time"
)

// Doubling is a snapshot of a histogram of doubling buckets: Counts[i] holds the durations below UpperBound(i) and
// at or above the bound of the bucket before (bucket 0 from 0, the last one everything above its lower bound), Sum
// their total. Counts are per bucket, not cumulative.
type Doubling struct {
	// Unit is the upper bound of bucket 0.
	Unit   time.Duration
	Counts []uint64
	Sum    time.Duration
}

// UpperBound is the upper edge of bucket i, Unit × 2^i (the last bucket has none: everything above counts there).
func (h Doubling) UpperBound(i int) time.Duration {
	return h.Unit << i
}

// Total is the number of durations counted.
func (h Doubling) Total() uint64 {
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// Quantile returns an upper bound of the q-quantile (0 < q <= 1): the upper edge of the bucket that holds it, 0
// when nothing was counted.
func (h Doubling) Quantile(q float64) time.Duration {
	total := h.Total()
	if total == 0 {
		return 0
	}
	rank := min(max(uint64(q*float64(total)+0.5), 1), total)
	var seen uint64
	for i, c := range h.Counts {
		seen += c
		if seen >= rank {
			return h.UpperBound(i)
		}
	}
	return h.UpperBound(len(h.Counts) - 1)
}

// Plus returns the sum of h and o in new counts (neither changes, so a copied Doubling never aliases another): o's
// buckets when h has none yet, else h's, which o must have too.
func (h Doubling) Plus(o Doubling) Doubling {
	out := Doubling{Unit: h.Unit, Counts: slices.Clone(h.Counts), Sum: h.Sum + o.Sum}
	if out.Counts == nil {
		out.Unit, out.Counts = o.Unit, make([]uint64, len(o.Counts))
	}
	for i, c := range o.Counts {
		out.Counts[i] += c
	}
	return out
}

// Counter is the lock-free histogram behind a Doubling: any number of writers, readers at any time.
type Counter struct {
	unit   time.Duration
	counts []atomic.Uint64
	sum    atomic.Int64 // nanoseconds
}

// NewCounter makes a counter of buckets buckets (at least 2), the first one ending at unit (positive).
func NewCounter(unit time.Duration, buckets int) *Counter {
	return &Counter{unit: max(unit, 1), counts: make([]atomic.Uint64, max(buckets, 2))}
}

// Observe counts d (a negative one as 0).
func (c *Counter) Observe(d time.Duration) {
	d = max(d, 0)
	c.counts[min(bits.Len64(uint64(d/c.unit)), len(c.counts)-1)].Add(1)
	c.sum.Add(int64(d))
}

// Snapshot returns the counts so far.
func (c *Counter) Snapshot() Doubling {
	h := Doubling{Unit: c.unit, Counts: make([]uint64, len(c.counts)), Sum: time.Duration(c.sum.Load())}
	for i := range c.counts {
		h.Counts[i] = c.counts[i].Load()
	}
	return h
}
