package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/admin"
	"github.com/heytribe/live-webrtcsignaling/src/config"
	"github.com/heytribe/live-webrtcsignaling/src/media"
	"github.com/heytribe/live-webrtcsignaling/src/metrics"
	"github.com/heytribe/live-webrtcsignaling/src/signaling"
)

// listenAdmin opens the admin listener (ADMIN_ADDR) and builds its server; both are nil when ADMIN_ADDR is empty.
func listenAdmin(cfg *config.Config, srv *signaling.Server, mp *mediaPlane, node *clusterNode, level *slog.LevelVar,
	reg *metrics.Registry, logger *slog.Logger) (net.Listener, *http.Server, error) {
	if cfg.AdminAddr == "" {
		return nil, nil, nil
	}
	handler, err := newAdminHandler(cfg, func() any { return serverState(srv, mp, node) }, level, reg, logger)
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("ADMIN_ADDR: %w", err)
	}
	return ln, &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelDebug)}, nil
}

// newAdminHandler builds the admin listener's endpoints, /metrics included, behind ADMIN_TOKEN when it is set.
func newAdminHandler(cfg *config.Config, state admin.StateFunc, level *slog.LevelVar, reg *metrics.Registry,
	logger *slog.Logger) (http.Handler, error) {
	h, err := admin.NewHandlerWith(admin.Options{
		State: state,
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

// state is /state: the signaling server's rooms and participants (a cluster node's: the rooms it owns, and its view
// of the cluster); in MCU mode every listener session's bandwidth
// estimate and, with transcoding, each video receiver's choice (the publisher's own stream or a tier).
type state struct {
	signaling.State
	Listeners   []media.ListenerEstimate `json:"listeners,omitempty"`
	Transcoding []media.ReceiverState    `json:"transcoding,omitempty"`
	Cluster     *clusterState            `json:"cluster,omitempty"`
}

func serverState(srv *signaling.Server, mp *mediaPlane, node *clusterNode) state {
	st := state{State: srv.Snapshot(), Cluster: node.state()}
	if mp != nil {
		st.Listeners = mp.plane.Estimates()
		st.Transcoding = mp.plane.TranscodeStats().Receivers
	}
	return st
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
