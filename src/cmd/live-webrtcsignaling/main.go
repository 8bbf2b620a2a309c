package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/auth"
	"github.com/heytribe/live-webrtcsignaling/src/config"
	"github.com/heytribe/live-webrtcsignaling/src/signaling"
	"github.com/heytribe/live-webrtcsignaling/src/web"
)

// drainTimeout bounds the end of the graceful shutdown, once the calls have had DRAIN_TIMEOUT.
const drainTimeout = 10 * time.Second

// version is the build's version, set at link time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	if len(os.Args) == 2 && os.Args[1] == "healthcheck" {
		os.Exit(healthcheck(os.LookupEnv, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		// From the first signal on, a second one stops the process at once, without waiting for the drain.
		<-ctx.Done()
		stop()
	}()
	if err := run(ctx, os.LookupEnv, os.Stderr, nil); err != nil {
		slog.New(slog.NewTextHandler(os.Stderr, nil)).Error("live-webrtcsignaling stopped", "err", err)
		os.Exit(1)
	}
}

// listeners are the addresses the server listens on, reported to ready (tests use it).
type listeners struct {
	public, admin string
}

// run serves until ctx ends, then drains. It returns configuration and listen errors. Whatever it has opened when it
// returns (the media plane's sockets and goroutines, the bus, the listeners) is closed, on every path: each is
// closed by a deferred call as soon as it is open, and the closes are idempotent, so the drain may close them first.
func run(ctx context.Context, lookup config.Lookup, logOut io.Writer, ready func(listeners)) (err error) {
	started := time.Now()
	cfg, err := config.Load(lookup)
	if err != nil {
		return err
	}
	logger, level := newLogger(cfg, logOut)
	verifier, err := newVerifier(cfg)
	if err != nil {
		return err
	}
	if cfg.DevMode {
		logger.Warn("INSECURE DEV MODE: no JWT_SECRET nor JWT_PUBLIC_KEY_FILE set. A random secret was generated, " +
			"GET /dev/token hands out bearers to anyone, and the server listens on 127.0.0.1 only. " +
			"Set JWT_SECRET or JWT_PUBLIC_KEY_FILE for any real use.")
	}
	events, err := newEventBus(cfg, logger)
	if err != nil {
		return err
	}
	// Before serving nothing is queued; after serving, the drain has flushed the bus and reported how it went.
	defer func() { _ = events.close() }()
	mediaPlane, err := newMediaPlane(cfg, logger)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, mediaPlane.closeWithin(drainTimeout)) }()
	srv, err := signaling.NewServerWith(signalingOptions(cfg), verifier, events.publisher(), mediaPlane.forSignaling(),
		logger)
	if err != nil {
		return err
	}
	mediaPlane.attach(srv)
	var draining atomic.Bool
	node, err := newClusterNode(cfg, srv, mediaPlane, draining.Load, logger)
	if err != nil {
		return err
	}
	// The drain closes the node after the websockets (their participants' links go through it); closing again
	// does nothing.
	defer func() { err = errors.Join(err, node.closeWithin(drainTimeout)) }()
	public, err := publicHandler(cfg, srv, &draining, node)
	if err != nil {
		return err
	}
	reg, err := newMetrics(srv, events, mediaPlane, node, &draining, started, logger)
	if err != nil {
		return err
	}
	publicLn, err := net.Listen("tcp", cfg.ListenAddr())
	if err != nil {
		return fmt.Errorf("PORT_NUMBER/BIND_ADDRESS: %w", err)
	}
	// Serving, http.Server.Shutdown closes the listeners first; closing them again only fails.
	defer func() { _ = publicLn.Close() }()
	publicSrv := &http.Server{Handler: public, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelDebug)}
	adminLn, adminSrv, err := listenAdmin(cfg, srv, mediaPlane, node, level, reg, logger)
	if err != nil {
		return err
	}
	if adminLn != nil {
		defer func() { _ = adminLn.Close() }()
	}
	s := &server{cfg: cfg, logger: logger, verifier: verifier, srv: srv, draining: &draining, events: events,
		media: mediaPlane, node: node, public: publicSrv, publicLn: publicLn, admin: adminSrv, adminLn: adminLn}
	return s.serve(ctx, ready)
}

// server is what run has built and opened, for serve.
type server struct {
	cfg      *config.Config
	logger   *slog.Logger
	verifier *auth.Verifier
	srv      *signaling.Server
	draining *atomic.Bool
	events   *eventBus
	media    *mediaPlane
	// node is nil for a single node (CLUSTER off).
	node     *clusterNode
	public   *http.Server
	publicLn net.Listener
	// admin and adminLn are nil when ADMIN_ADDR is empty.
	admin   *http.Server
	adminLn net.Listener
}

// serve serves the listeners until ctx ends or one fails, then drains everything.
func (s *server) serve(ctx context.Context, ready func(listeners)) error {
	errs := make(chan error, 2)
	go func() { errs <- servePublic(s.public, s.publicLn, s.cfg) }()
	addrs := listeners{public: s.publicLn.Addr().String()}
	if s.admin != nil {
		addrs.admin = s.adminLn.Addr().String()
		go func() { errs <- s.admin.Serve(s.adminLn) }()
	}
	liveCtx, stopLive := context.WithCancel(ctx)
	defer stopLive()
	go s.srv.Run(liveCtx)
	s.logger.Info("live-webrtcsignaling started", "version", version, "listen", addrs.public, "tls", s.cfg.TLS(),
		"admin", addrs.admin, "mode", s.cfg.MediaMode, "devMode", s.cfg.DevMode,
		"jwtAlgorithms", s.verifier.Algorithms())
	if ready != nil {
		ready(addrs)
	}

	var serveErr error
	start := time.Now()
	select {
	case <-ctx.Done():
		// A cluster node leaves first: no new room is placed here while its calls drain.
		s.node.leave()
		drainCalls(s.srv, s.draining, s.cfg.DrainTimeout, s.logger)
	case serveErr = <-errs:
		s.logger.Error("listener failed: stopping", "err", serveErr)
	}
	// The drain publishes every remaining participant's room.leave: the bus is flushed after it.
	err := errors.Join(serveErr, drain(s.public, s.admin, s.srv, s.media, s.node), s.events.close())
	s.logger.Info("live-webrtcsignaling stopped", "drainedIn", time.Since(start).String(), "err", err)
	return err
}

func servePublic(s *http.Server, ln net.Listener, cfg *config.Config) error {
	var err error
	if cfg.TLS() {
		s.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		err = s.ServeTLS(ln, cfg.CertFile, cfg.KeyFile)
	} else {
		err = s.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// drain stops accepting, closes the websockets (participants leave their rooms), ends the media sessions, then
// stops the admin listener.
func drain(public, adminSrv *http.Server, srv *signaling.Server, mediaPlane *mediaPlane, node *clusterNode) error {
	ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	// http.Server.Shutdown does not wait for hijacked (websocket) connections: the signaling server drains those.
	// The cluster node closes after them (their last messages to other nodes go through it), which frees the
	// rooms it still owns.
	err := errors.Join(public.Shutdown(ctx), srv.Shutdown(ctx), node.close(ctx), mediaPlane.close(ctx))
	if adminSrv != nil {
		err = errors.Join(err, adminSrv.Shutdown(ctx))
	}
	return err
}

// newLogger returns the server's logger (JSON or text, LOG_FORMAT) and its level, which the admin listener changes
// at run time.
func newLogger(cfg *config.Config, out io.Writer) (*slog.Logger, *slog.LevelVar) {
	level := new(slog.LevelVar)
	level.Set(cfg.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == config.LogFormatJSON {
		return slog.New(slog.NewJSONHandler(out, opts)), level
	}
	return slog.New(slog.NewTextHandler(out, opts)), level
}

func newVerifier(cfg *config.Config) (*auth.Verifier, error) {
	if cfg.JWTPublicKeyFile == "" {
		return auth.NewHMACVerifier(cfg.JWTSecret)
	}
	pemData, err := os.ReadFile(cfg.JWTPublicKeyFile)
	if err != nil {
		return nil, fmt.Errorf("config: JWT_PUBLIC_KEY_FILE: %w", err)
	}
	key, err := auth.ParsePublicKeyPEM(pemData)
	if err != nil {
		return nil, fmt.Errorf("config: JWT_PUBLIC_KEY_FILE: %w", err)
	}
	v, err := auth.NewPublicKeyVerifier(key)
	if err != nil {
		return nil, fmt.Errorf("config: JWT_PUBLIC_KEY_FILE: %w", err)
	}
	return v, nil
}

func signalingOptions(cfg *config.Config) signaling.Options {
	o := signaling.DefaultOptions()
	o.Mode = cfg.MediaMode
	o.RoomMaxSize = cfg.RoomMaxSize
	o.ReconnectGrace = cfg.ReconnectGrace
	o.ReconnectWithoutBearer = cfg.ReconnectWithoutBearer
	o.MaxMessageBytes = cfg.WSMaxMessageBytes
	o.RateLimit = cfg.WSRateLimit
	o.RateBurst = cfg.WSRateBurst
	o.SendQueueBytes = cfg.WSSendQueueBytes
	o.ReplayBytes = cfg.WSReplayBytes
	o.QueuedBytesTotal = cfg.WSQueuedBytesTotal
	o.UserRateLimit = cfg.WSUserRateLimit
	o.UserRateBurst = cfg.WSUserRateBurst
	o.JoinTimeout = cfg.WSJoinTimeout
	o.UnauthPerAddress = cfg.WSUnauthPerAddress
	o.UnauthTotal = cfg.WSUnauthTotal
	o.SocketsPerUser = cfg.WSSocketsPerUser
	o.AllowedOrigins = cfg.AllowedOrigins
	o.TrustedProxies = cfg.TrustedProxies
	return o
}

// publicHandler routes the public listener: /api, /healthz, / and, in dev mode only, /dev/token. /healthz answers
// 503 while draining, and for a cluster node while it is not connected to the broker (it could not place a room),
// so that load balancers send new clients elsewhere.
func publicHandler(cfg *config.Config, srv *signaling.Server, draining *atomic.Bool, node *clusterNode) (http.Handler,
	error) {
	client, err := web.Handler()
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/api", srv)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if draining.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "draining\n")
			return
		}
		if !node.connected() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "cluster not connected\n")
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	if cfg.DevMode {
		mux.Handle("GET /dev/token", newDevTokenHandler(cfg.JWTSecret))
	}
	mux.Handle("/", client)
	return mux, nil
}
