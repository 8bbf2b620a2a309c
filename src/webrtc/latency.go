package webrtc

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// LatencyBuckets is the number of buckets of a LatencyHistogram: 1 µs (bucket 0: below 2 µs) to about 1 s (the
// last bucket: 2^20 µs and above), each bucket twice as wide as the previous one.
const LatencyBuckets = 21

// LatencyHistogram counts durations in power-of-two microsecond buckets: Counts[i] holds those from 2^i µs up to
// 2^(i+1) µs (Counts[0] everything below 2 µs, the last bucket everything above), Sum their total.
type LatencyHistogram struct {
	Counts [LatencyBuckets]uint64
	Sum    time.Duration
}

// UpperBound is the upper edge of bucket i, 2^(i+1) µs (the last bucket has none: everything above its lower edge
// counts there).
func (LatencyHistogram) UpperBound(i int) time.Duration {
	return time.Duration(uint64(2)<<i) * time.Microsecond
}

// Total is the number of durations counted.
func (h LatencyHistogram) Total() uint64 {
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// Quantile returns an upper bound of the q-quantile (0 < q <= 1): the upper edge of the bucket that holds it, 0
// when nothing was counted.
func (h LatencyHistogram) Quantile(q float64) time.Duration {
	total := h.Total()
	if total == 0 {
		return 0
	}
	rank := uint64(q*float64(total) + 0.5)
	rank = min(max(rank, 1), total)
	var seen uint64
	for i, c := range h.Counts {
		seen += c
		if seen >= rank {
			return h.UpperBound(i)
		}
	}
	return h.UpperBound(LatencyBuckets - 1)
}

// add adds the counts of o to h.
func (h *LatencyHistogram) add(o LatencyHistogram) {
	for i, c := range o.Counts {
		h.Counts[i] += c
	}
	h.Sum += o.Sum
}

// latencyCounter is the lock-free histogram behind a LatencyHistogram: one writer or many, readers at any time.
type latencyCounter struct {
	counts [LatencyBuckets]atomic.Uint64
	sum    atomic.Int64 // nanoseconds
}

func (c *latencyCounter) observe(d time.Duration) {
	d = max(d, 0)
	us := uint64(d / time.Microsecond)
	i := 0
	if us > 1 {
		i = min(bits.Len64(us)-1, LatencyBuckets-1)
	}
	c.counts[i].Add(1)
	c.sum.Add(int64(d))
}

func (c *latencyCounter) snapshot() LatencyHistogram {
	var h LatencyHistogram
	for i := range c.counts {
		h.Counts[i] = c.counts[i].Load()
	}
	h.Sum = time.Duration(c.sum.Load())
	return h
}
