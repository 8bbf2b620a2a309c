package main

import (
	"strings"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/histogram"
	"github.com/heytribe/live-webrtcsignaling/src/media"
	"github.com/heytribe/live-webrtcsignaling/src/metrics"
	"github.com/heytribe/live-webrtcsignaling/src/webrtc"
)

// TestLatencyHistogramExposition: webrtc's microsecond buckets become cumulative buckets in seconds, with the sum.
func TestLatencyHistogramExposition(t *testing.T) {
	h := histogram.Doubling{Unit: webrtc.ForwardingUnit, Counts: make([]uint64, webrtc.ForwardingBuckets)}
	h.Counts[0], h.Counts[3], h.Counts[webrtc.ForwardingBuckets-1] = 2, 1, 1
	h.Sum = 1500 * time.Millisecond
	reg := metrics.NewRegistry(nil)
	if err := reg.Register(metrics.CollectorFunc(func(e *metrics.Emitter) {
		e.Histogram("forward_latency_seconds", "help", doublingHistogram(h))
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

// TestEstimateGauges: the listeners' fresh estimates by kind, their count, lowest and mean; stale ones left out.
func TestEstimateGauges(t *testing.T) {
	reg := metrics.NewRegistry(nil)
	estimates := []media.ListenerEstimate{
		{Kind: media.EstimateTransportCC, Bitrate: 500_000, Fresh: true},
		{Kind: media.EstimateTransportCC, Bitrate: 1_500_000, Fresh: true},
		{Kind: media.EstimateTransportCC, Bitrate: 100_000},
		{Kind: media.EstimateREMB, Bitrate: 800_000, Fresh: true},
	}
	if err := reg.Register(metrics.CollectorFunc(func(e *metrics.Emitter) { estimateGauges(e, estimates) })); err != nil {
		t.Fatal(err)
	}
	body, errs := reg.Gather()
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	for _, want := range []string{
		metricPrefix + `listener_estimates{kind="tcc"} 2` + "\n",
		metricPrefix + `listener_estimates{kind="remb"} 1` + "\n",
		metricPrefix + `listener_estimate_min_bits_per_second{kind="tcc"} 500000` + "\n",
		metricPrefix + `listener_estimate_mean_bits_per_second{kind="tcc"} 1000000` + "\n",
		metricPrefix + `listener_estimate_mean_bits_per_second{kind="remb"} 800000` + "\n",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %q:\n%s", want, body)
		}
	}
}
