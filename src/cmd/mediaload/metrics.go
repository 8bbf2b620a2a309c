package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// forwardMetric is the server's own forwarding latency histogram on the admin listener's /metrics: from the
// server's read of a publisher's datagram off its socket to the socket write of each copy (docs/OPERATIONS.md,
// Metrics).
const forwardMetric = "live_webrtcsignaling_forward_latency_seconds"

// maxMetricsBytes bounds a /metrics page read.
const maxMetricsBytes = 16 << 20

// promHistogram is one histogram of the Prometheus text format: cumulative counts by upper bound, sum and count.
type promHistogram struct {
	bounds     []float64 // ascending, the last +Inf
	cumulative []float64
	sum, count float64
}

// parseHistogram finds the unlabelled histogram name in a Prometheus text exposition.
func parseHistogram(text, name string) (promHistogram, error) {
	var h promHistogram
	var haveSum, haveCount bool
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		series, value, ok := strings.Cut(line, " ")
		if !ok || !strings.HasPrefix(series, name) {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || math.IsNaN(v) || v < 0 {
			return h, fmt.Errorf("%s: value %q", series, value)
		}
		switch rest := series[len(name):]; {
		case rest == "_sum":
			h.sum, haveSum = v, true
		case rest == "_count":
			h.count, haveCount = v, true
		case strings.HasPrefix(rest, `_bucket{le="`) && strings.HasSuffix(rest, `"}`):
			le := strings.TrimSuffix(strings.TrimPrefix(rest, `_bucket{le="`), `"}`)
			bound, err := strconv.ParseFloat(le, 64)
			if err != nil || math.IsNaN(bound) {
				return h, fmt.Errorf("%s: bound %q", series, le)
			}
			if n := len(h.bounds); n > 0 && (bound <= h.bounds[n-1] || v < h.cumulative[n-1]) {
				return h, fmt.Errorf("%s: buckets out of order", series)
			}
			h.bounds = append(h.bounds, bound)
			h.cumulative = append(h.cumulative, v)
		}
	}
	if len(h.bounds) == 0 || !math.IsInf(h.bounds[len(h.bounds)-1], 1) || !haveSum || !haveCount {
		return h, fmt.Errorf("no complete histogram %s", name)
	}
	return h, nil
}

// sub returns the observations of h since earlier, a reading of the same histogram.
func (h promHistogram) sub(earlier promHistogram) (promHistogram, error) {
	if len(h.bounds) != len(earlier.bounds) {
		return h, errors.New("the histogram's buckets changed")
	}
	d := promHistogram{bounds: h.bounds, cumulative: make([]float64, len(h.bounds)), sum: h.sum - earlier.sum,
		count: h.count - earlier.count}
	for i := range h.bounds {
		if h.bounds[i] != earlier.bounds[i] {
			return h, errors.New("the histogram's buckets changed")
		}
		d.cumulative[i] = h.cumulative[i] - earlier.cumulative[i]
	}
	return d, nil
}

// quantile returns the upper bound of the bucket that holds the q-quantile (+Inf when beyond the last bound), 0
// when the histogram is empty.
func (h promHistogram) quantile(q float64) float64 {
	total := h.cumulative[len(h.cumulative)-1]
	if total <= 0 {
		return 0
	}
	rank := math.Max(1, math.Round(q*total))
	for i, c := range h.cumulative {
		if c >= rank {
			return h.bounds[i]
		}
	}
	return math.Inf(1)
}

// scrapeForwarding reads the server's forwarding histogram from its admin listener.
func scrapeForwarding(ctx context.Context, admin, token string) (promHistogram, error) {
	text, err := scrapeMetrics(ctx, admin, token)
	if err != nil {
		return promHistogram{}, err
	}
	return parseHistogram(text, forwardMetric)
}

// transcodeGauges are the server's decoders, encoders (by codec and tier) and receivers (by choice), as the lines
// of /metrics give them.
func transcodeGauges(ctx context.Context, admin, token string) ([]string, error) {
	text, err := scrapeMetrics(ctx, admin, token)
	if err != nil {
		return nil, err
	}
	var out []string
	for line := range strings.Lines(text) {
		for _, name := range []string{"_transcode_decoders", "_transcode_encoders{", "_transcode_receivers{"} {
			if strings.HasPrefix(line, "live_webrtcsignaling"+name) {
				out = append(out, strings.TrimSpace(line))
			}
		}
	}
	return out, nil
}

// scrapeMetrics reads the admin listener's /metrics.
func scrapeMetrics(ctx context.Context, admin, token string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(admin, "/")+"/metrics", nil)
	if err != nil {
		return "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s/metrics: %s", admin, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetricsBytes))
	return string(body), err
}
