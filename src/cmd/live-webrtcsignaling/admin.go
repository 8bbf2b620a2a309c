package main

import (
	"log/slog"
	"net"
	"net/http"
	"net/netip"

	"github.com/heytribe/live-webrtcsignaling/src/admin"
	"github.com/heytribe/live-webrtcsignaling/src/config"
	"github.com/heytribe/live-webrtcsignaling/src/metrics"
	"github.com/heytribe/live-webrtcsignaling/src/signaling"
)

// newAdminHandler builds the admin listener's endpoints, /metrics included, behind ADMIN_TOKEN when it is set.
func newAdminHandler(cfg *config.Config, srv *signaling.Server, level *slog.LevelVar, reg *metrics.Registry,
	logger *slog.Logger) (http.Handler, error) {
	h, err := admin.NewHandlerWith(admin.Options{
		State: func() any { return srv.Snapshot() },
		Level: level,
		Token: cfg.AdminToken,
	}, logger)
	if err != nil {
		return nil, err
	}
	h.Handle("GET /metrics", reg)
	if len(cfg.AdminToken) == 0 && !isLoopbackHostPort(cfg.AdminAddr) {
		logger.Warn("ADMIN_ADDR is not a loopback address and ADMIN_TOKEN is not set: whoever reaches it can read " +
			"/state (participants and their IPs), change the log level, profile and trace the server")
	}
	return h, nil
}

func isLoopbackHostPort(hostPort string) bool {
	host, _, err := net.SplitHostPort(hostPort)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}
