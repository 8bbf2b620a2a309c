package main

import (
	"strings"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/metrics"
	"github.com/heytribe/live-webrtcsignaling/src/webrtc"
)

// TestLatencyHistogramExposition: webrtc's microsecond buckets become cumulative buckets in seconds, with the sum.
func TestLatencyHistogramExposition(t *testing.T) {
	var h webrtc.LatencyHistogram
	h.Counts[0], h.Counts[3], h.Counts[webrtc.LatencyBuckets-1] = 2, 1, 1
	h.Sum = 1500 * time.Millisecond
	reg := metrics.NewRegistry(nil)
	if err := reg.Register(metrics.CollectorFunc(func(e *metrics.Emitter) {
		e.Histogram("forward_latency_seconds", "help", latencyHistogram(h))
	})); err != nil {
		t.Fatal(err)
	}
	body, errs := reg.Gather()
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	for _, want := range []string{
		`forward_latency_seconds_bucket{le="2e-06"} 2` + "\n",
		`forward_latency_seconds_bucket{le="8e-06"} 2` + "\n",
		`forward_latency_seconds_bucket{le="1.6e-05"} 3` + "\n",
		`forward_latency_seconds_bucket{le="1.048576"} 3` + "\n",
		`forward_latency_seconds_bucket{le="+Inf"} 4` + "\n",
		"forward_latency_seconds_sum 1.5\n",
		"forward_latency_seconds_count 4\n",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %q:\n%s", want, body)
		}
	}
}
