package main

import (
	"math"
	"strings"
	"testing"
)

const exposition = `# HELP live_webrtcsignaling_forward_latency_seconds Time from receipt to write.
# TYPE live_webrtcsignaling_forward_latency_seconds histogram
live_webrtcsignaling_forward_latency_seconds_bucket{le="2e-06"} 0
live_webrtcsignaling_forward_latency_seconds_bucket{le="0.000128"} 10
live_webrtcsignaling_forward_latency_seconds_bucket{le="0.000256"} 90
live_webrtcsignaling_forward_latency_seconds_bucket{le="0.001024"} 99
live_webrtcsignaling_forward_latency_seconds_bucket{le="+Inf"} 100
live_webrtcsignaling_forward_latency_seconds_sum 0.0201
live_webrtcsignaling_forward_latency_seconds_count 100
live_webrtcsignaling_forward_latency_seconds_other 7
go_goroutines 12
`

func TestParseHistogram(t *testing.T) {
	h, err := parseHistogram(exposition, forwardMetric)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.bounds) != 5 || !math.IsInf(h.bounds[4], 1) || h.count != 100 || h.sum != 0.0201 {
		t.Fatalf("parsed %+v", h)
	}
	for _, tc := range []struct {
		q    float64
		want float64
	}{{0.05, 0.000128}, {0.5, 0.000256}, {0.99, 0.001024}, {1, math.Inf(1)}} {
		if got := h.quantile(tc.q); got != tc.want {
			t.Errorf("quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	earlier, err := parseHistogram(strings.NewReplacer("} 90", "} 40", "} 99", "} 49", "} 100", "} 50",
		"_count 100", "_count 50", "_sum 0.0201", "_sum 0.01").Replace(exposition), forwardMetric)
	if err != nil {
		t.Fatal(err)
	}
	d, err := h.sub(earlier)
	if err != nil {
		t.Fatal(err)
	}
	if d.count != 50 || d.cumulative[1] != 0 || d.cumulative[2] != 50 || d.quantile(0.5) != 0.000256 {
		t.Errorf("difference %+v", d)
	}
}

func TestParseHistogramRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, text string
	}{
		{"absent", "go_goroutines 12\n"},
		{"no +Inf bucket", strings.ReplaceAll(exposition, `le="+Inf"`, `le="1"`)},
		{"no count", strings.ReplaceAll(exposition, "_count 100", "_countx 100")},
		{"buckets out of order", strings.Replace(exposition, "} 90", "} 9", 1)},
		{"bad value", strings.Replace(exposition, "_sum 0.0201", "_sum x", 1)},
		{"negative value", strings.Replace(exposition, "_sum 0.0201", "_sum -1", 1)},
		{"bad bound", strings.Replace(exposition, `le="2e-06"`, `le="two"`, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if h, err := parseHistogram(tc.text, forwardMetric); err == nil {
				t.Errorf("parsed %+v", h)
			}
		})
	}
	a, _ := parseHistogram(exposition, forwardMetric)
	b, _ := parseHistogram(strings.Replace(exposition, `le="2e-06"`, `le="4e-06"`, 1), forwardMetric)
	if _, err := a.sub(b); err == nil {
		t.Error("sub of histograms with other buckets: no error")
	}
}

func FuzzParseHistogram(f *testing.F) {
	f.Add(exposition)
	f.Add("live_webrtcsignaling_forward_latency_seconds_bucket{le=\"+Inf\"} 1\n" +
		"live_webrtcsignaling_forward_latency_seconds_sum 1\nlive_webrtcsignaling_forward_latency_seconds_count 1\n")
	f.Fuzz(func(t *testing.T, text string) {
		h, err := parseHistogram(text, forwardMetric)
		if err != nil {
			return
		}
		if len(h.bounds) != len(h.cumulative) || !math.IsInf(h.bounds[len(h.bounds)-1], 1) {
			t.Fatalf("accepted an incomplete histogram: %+v", h)
		}
		for i := 1; i < len(h.bounds); i++ {
			if h.bounds[i] <= h.bounds[i-1] || h.cumulative[i] < h.cumulative[i-1] {
				t.Fatalf("accepted buckets out of order: %+v", h)
			}
		}
		h.quantile(0.99)
	})
}
