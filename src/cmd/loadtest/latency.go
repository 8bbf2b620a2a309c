package main

import (
	"math"
	"slices"
	"sync"
	"time"
)

// latencies keeps every sample: a run has at most a few hundred thousand, and exact percentiles beat a sketch.
type latencies struct {
	mu      sync.Mutex
	samples []time.Duration
}

func newLatencies(capacity int) *latencies {
	return &latencies{samples: make([]time.Duration, 0, capacity)}
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.samples = append(l.samples, d)
}

// distribution summarises samples.
type distribution struct {
	N             int
	P50, P99, Max time.Duration
}

func (l *latencies) distribution() distribution {
	l.mu.Lock()
	sorted := slices.Clone(l.samples)
	l.mu.Unlock()
	slices.Sort(sorted)
	if len(sorted) == 0 {
		return distribution{}
	}
	return distribution{N: len(sorted), P50: percentile(sorted, 50), P99: percentile(sorted, 99),
		Max: sorted[len(sorted)-1]}
}

// percentile is the nearest-rank percentile p (0 < p <= 100) of sorted, which must not be empty.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}
