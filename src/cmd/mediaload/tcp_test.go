package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestLoadAgainstServerOverTCP is TestLoadAgainstServer with every client on ICE-TCP: the streams are forwarded
// over the server's TCP connections, with nothing lost.
func TestLoadAgainstServerOverTCP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	srv := startServer(t)
	cfg := config{url: srv.url, pid: srv.pid, admin: srv.admin, adminToken: srv.adminToken, rooms: 1, publishers: 2,
		listeners: 1, shape: mediaShape{videoBitrate: 300_000, fps: 15, pacing: 2.5}, warmup: 500 * time.Millisecond,
		duration: 2 * time.Second, setupTimeout: 30 * time.Second, tcp: true}
	res, err := runLoad(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	res.print(&out, cfg)
	t.Logf("\n%s", out.String())
	if !strings.Contains(out.String(), "over ICE-TCP") {
		t.Errorf("the figures do not say ICE-TCP")
	}
	if res.streams != 4 || res.sent == 0 || res.received == 0 || res.latency.n == 0 || res.serverCPU.Run <= 0 {
		t.Errorf("streams %d, sent %d, received %d, latency samples %d, server CPU %s", res.streams, res.sent,
			res.received, res.latency.n, res.serverCPU.Run)
	}
	if lost := float64(res.expected) - float64(res.received); lost > 0.05*float64(res.expected) {
		t.Errorf("received %d of %d expected packets", res.received, res.expected)
	}
	if res.unstamped != 0 || res.failed != 0 || res.downs != 0 || len(res.errors) > 0 {
		t.Errorf("unstamped %d, undecryptable %d, sessions down %d, errors %q", res.unstamped, res.failed, res.downs,
			res.errors)
	}
}
