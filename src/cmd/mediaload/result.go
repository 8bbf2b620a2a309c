package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/loadtool"
)

// result is what a run measured.
type result struct {
	setup, window      time.Duration
	streams            int
	baseline, latency  *histogram
	serverCPU, toolCPU loadtool.CPUTime
	// forwarding is the server's own histogram over the window (-admin), nil without.
	forwarding *promHistogram
	// transcode are the server's transcoding gauges at the end of the window (-admin).
	transcode         []string
	sent, expected    uint64
	received          uint64
	unstamped, failed uint64
	keyframeRequests  uint64
	nacks             uint64
	downs             int
	errors            []string
}

// print writes the figures for a person (and docs/OPERATIONS.md).
func (r result) print(w io.Writer, cfg config) {
	secs := r.window.Seconds()
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	pacing := "each frame in one burst"
	if cfg.shape.pacing > 0 {
		pacing = fmt.Sprintf("paced at %.1f times that", cfg.shape.pacing)
	}
	network, arrival := "UDP", "listener socket (kernel timestamp)"
	if cfg.tcp {
		network, arrival = "ICE-TCP", "listener read (user-space clock: TCP gives no per-packet kernel timestamp)"
	}
	p("mediaload: %d rooms x (%d publishers + %d listeners): %d forwarded streams (a publisher's audio and video "+
		"to one receiver) over %s, video %d kbit/s at %d fps, %s", cfg.rooms, cfg.publishers, cfg.listeners,
		r.streams, network, cfg.shape.videoBitrate/1000, cfg.shape.fps, pacing)
	p("setup %s; measured for %s after a %s warm-up", r.setup.Round(time.Millisecond), r.window.Round(time.Millisecond),
		cfg.warmup)
	// Packets sent just before the window and received inside it make up for those sent at its end.
	loss := 0.0
	if r.expected > 0 {
		loss = max(0, 100*(1-float64(r.received)/float64(r.expected)))
	}
	p("packets: %d sent by publishers (%.0f/s), %d received by listeners (%.0f/s), %.2f%% lost; %d without stamp, "+
		"%d undecryptable", r.sent, float64(r.sent)/secs, r.received, float64(r.received)/secs, loss, r.unstamped,
		r.failed)
	l, b := r.latency, r.baseline
	p("publisher send -> %s, %d packets: p50 %s, p90 %s, p99 %s, p99.9 %s, max %s",
		arrival, l.n, l.quantile(0.5), l.quantile(0.9), l.quantile(0.99), l.quantile(0.999), l.max)
	p("loopback baseline (one send -> socket, same clocks): p50 %s, p99 %s", b.quantile(0.5), b.quantile(0.99))
	base := b.quantile(0.5)
	p("server receive -> send (above, minus the baseline's p50): p50 %s, p99 %s (target: p99 at most 1ms at 50 "+
		"streams)", l.quantile(0.5)-base, l.quantile(0.99)-base)
	if f := r.forwarding; f != nil && f.count > 0 {
		p("the server's own histogram (forward_latency_seconds: its socket read -> socket write of each copy), "+
			"%.0f copies: p50 at most %s, p99 at most %s, mean %s", f.count, seconds(f.quantile(0.5)),
			seconds(f.quantile(0.99)), seconds(f.sum/f.count))
	}
	for _, line := range r.transcode {
		p("server: %s", line)
	}
	if cfg.pid != 0 {
		cores := r.serverCPU.Run.Seconds() / secs
		perPacket := time.Duration(0)
		if r.received > 0 {
			perPacket = r.serverCPU.Run / time.Duration(r.received)
		}
		p("server CPU: %.3f cores, %.2f%% of a core per forwarded stream, %s per forwarded packet; waited for a CPU "+
			"%.0f%% of its run time", cores, 100*cores/float64(r.streams), perPacket, waitShare(r.serverCPU))
	}
	p("tool CPU: %.3f cores; waited for a CPU %.0f%% of its run time", r.toolCPU.Run.Seconds()/secs,
		waitShare(r.toolCPU))
	if avg, err := os.ReadFile("/proc/loadavg"); err == nil && len(strings.Fields(string(avg))) >= 3 {
		p("machine load average: %s", strings.Join(strings.Fields(string(avg))[:3], " "))
	}
	p("keyframe requests to publishers %d, NACKs %d, sessions down %d", r.keyframeRequests, r.nacks, r.downs)
	for _, e := range r.errors {
		p("error: %s", e)
	}
}

// seconds prints a histogram bound or mean, in seconds, as a duration.
func seconds(s float64) string {
	if math.IsInf(s, 1) {
		return "+Inf"
	}
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond).String()
}

func waitShare(c loadtool.CPUTime) float64 {
	if c.Run <= 0 {
		return 0
	}
	return 100 * c.Wait.Seconds() / c.Run.Seconds()
}
