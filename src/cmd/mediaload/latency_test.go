package main

import (
	"testing"
	"time"
)

func TestHistogramQuantiles(t *testing.T) {
	h := newHistogram()
	for i := range 100 {
		h.add(time.Duration(i) * time.Microsecond) // 0 µs .. 99 µs
	}
	h.add(-time.Millisecond)            // a clock step counts as 0
	h.add(histogramRange + time.Second) // beyond the range
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{
		{0.01, 1 * time.Microsecond},
		{0.5, 50 * time.Microsecond},
		{0.99, 100 * time.Microsecond}, // the upper edge of the bucket of 99 µs
		{1, histogramRange + time.Second},
	} {
		if got := h.quantile(tc.q); got != tc.want {
			t.Errorf("quantile(%v) = %s, want %s", tc.q, got, tc.want)
		}
	}
	if h.n != 102 || h.over != 1 || h.max != histogramRange+time.Second {
		t.Errorf("n %d, over %d, max %s", h.n, h.over, h.max)
	}
}

func TestHistogramMerge(t *testing.T) {
	a, b := newHistogram(), newHistogram()
	a.add(10 * time.Microsecond)
	b.add(30 * time.Microsecond)
	b.add(time.Minute)
	a.merge(b)
	if a.n != 3 || a.over != 1 || a.max != time.Minute || a.quantile(0.5) != 31*time.Microsecond {
		t.Errorf("merged: n %d, over %d, max %s, p50 %s", a.n, a.over, a.max, a.quantile(0.5))
	}
	if got := newHistogram().quantile(0.99); got != 0 {
		t.Errorf("empty histogram p99 = %s, want 0", got)
	}
}
