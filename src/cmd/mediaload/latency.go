package main

import "time"

// histogramRange is the span of a histogram at 1 µs resolution; longer samples are counted apart, with the
// longest kept.
const histogramRange = 20 * time.Millisecond

// histogram counts latencies in 1 µs buckets. Each goroutine fills its own; merge adds them up.
type histogram struct {
	counts []uint64
	over   uint64
	n      uint64
	max    time.Duration
}

func newHistogram() *histogram {
	return &histogram{counts: make([]uint64, histogramRange/time.Microsecond)}
}

// add counts d; a negative d (a clock step) counts as 0.
func (h *histogram) add(d time.Duration) {
	d = max(d, 0)
	h.n++
	h.max = max(h.max, d)
	i := int(d / time.Microsecond)
	if i >= len(h.counts) {
		h.over++
		return
	}
	h.counts[i]++
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.over += o.over
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the q-quantile (0 < q <= 1) to the microsecond above, the maximum when it lies beyond the
// range, 0 when nothing was counted.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(i+1) * time.Microsecond
		}
	}
	return h.max
}
