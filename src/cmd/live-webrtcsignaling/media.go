package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/config"
	"github.com/heytribe/live-webrtcsignaling/src/media"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
	"github.com/heytribe/live-webrtcsignaling/src/signaling"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
	"github.com/heytribe/live-webrtcsignaling/src/webrtc"
)

// mediaPlane is the MCU's media plane and the engine under it, built in MCU mode.
type mediaPlane struct {
	engine   *webrtc.Engine
	plane    *media.Plane
	notifier *serverNotifier
	// transcoder is nil when TRANSCODE is off.
	transcoder *transcoder
}

// newMediaPlane opens the media sockets (UDP, ICE-TCP) and builds the plane; nil in relay mode, where media goes peer
// to peer.
func newMediaPlane(cfg *config.Config, logger *slog.Logger) (*mediaPlane, error) {
	if cfg.MediaMode != protocol.ModeMCU {
		return nil, nil
	}
	engine, err := webrtc.NewEngineWith(webrtc.Config{
		Transport: transport.Config{Port: cfg.UDPPort, PortMin: cfg.UDPPortMin, PortMax: cfg.UDPPortMax,
			PublicIPv4: cfg.PublicIPv4, PublicIPv6: cfg.PublicIPv6, Interfaces: cfg.MediaInterfaces,
			TCP: cfg.ICETCP, TCPPort: cfg.ICETCPPort, Logger: logger},
		ICETimeout:     cfg.ICETimeout,
		ConsentTimeout: cfg.ConsentTimeout,
		DTLSTimeout:    cfg.DTLSTimeout,
		Logger:         logger,
	})
	if err != nil {
		return nil, fmt.Errorf("UDP_PORT/UDP_PORT_RANGE/ICE_TCP_PORT/PUBLIC_IPV4/PUBLIC_IPV6/MEDIA_INTERFACES: %w", err)
	}
	tc, tiers, err := newTranscoder(cfg, logger)
	if err != nil {
		return nil, errors.Join(err, engine.Close())
	}
	mcfg := media.Config{
		VideoCodecs:     cfg.VideoCodecs,
		MinVideoBitrate: uint64(cfg.MinVideoBitrate),
		MaxVideoBitrate: uint64(cfg.MaxVideoBitrate),
		Tiers:           tiers,
		MaxEncoders:     cfg.TranscodeMaxEncoders,
		NoTransportCC:   !cfg.TransportCC,
		Logger:          logger,
	}
	if tc != nil {
		mcfg.Transcoder = tc
	}
	notifier := &serverNotifier{}
	plane, err := media.NewPlaneWith(mcfg, engine, notifier)
	if err != nil {
		return nil, errors.Join(err, engine.Close())
	}
	return &mediaPlane{engine: engine, plane: plane, notifier: notifier, transcoder: tc}, nil
}

// forSignaling is what the signaling server is given: the plane, or no media plane at all in relay mode.
func (m *mediaPlane) forSignaling() signaling.MediaPlane {
	if m == nil {
		return nil
	}
	return m.plane
}

// attach lets the plane reach clients through srv.
func (m *mediaPlane) attach(srv *signaling.Server) {
	if m != nil {
		m.notifier.srv.Store(srv)
	}
}

// close ends every media session, then closes the sockets. Call it once the signaling server has drained.
func (m *mediaPlane) close(ctx context.Context) error {
	if m == nil {
		return nil
	}
	return errors.Join(m.plane.Close(ctx), m.engine.Close())
}

// closeWithin is close with a deadline, for the paths that end run before the drain (which closes the plane
// first, within its own deadline; a second close does nothing).
func (m *mediaPlane) closeWithin(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return m.close(ctx)
}

// serverNotifier is the plane's way to the signaling server, which is built after the plane (it takes the plane).
type serverNotifier struct {
	srv atomic.Pointer[signaling.Server]
}

func (n *serverNotifier) Send(socketID, name string, data any) bool {
	srv := n.srv.Load()
	return srv != nil && srv.Send(socketID, name, data)
}

func (n *serverNotifier) Participant(socketID string) (roomID, userID string, ok bool) {
	srv := n.srv.Load()
	if srv == nil {
		return "", "", false
	}
	return srv.Participant(socketID)
}
