package main

import (
	"testing"
	"time"
)

func TestDistribution(t *testing.T) {
	tests := []struct {
		name    string
		samples []time.Duration
		want    distribution
	}{
		{"none", nil, distribution{}},
		{"one", []time.Duration{7}, distribution{N: 1, P50: 7, P99: 7, Max: 7}},
		{"two", []time.Duration{9, 1}, distribution{N: 2, P50: 1, P99: 9, Max: 9}},
		{"hundred", ramp(100), distribution{N: 100, P50: 50, P99: 99, Max: 100}},
		{"thousand", ramp(1000), distribution{N: 1000, P50: 500, P99: 990, Max: 1000}},
	}
	for _, tc := range tests {
		l := newLatencies(0)
		for _, s := range tc.samples {
			l.add(s)
		}
		if got := l.distribution(); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// ramp is n, n-1, ... 1: out of order on purpose.
func ramp(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(n - i)
	}
	return out
}
