package signaling

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/heytribe/live-webrtcsignaling/src/auth"
	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/defaults"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// Options tune a Server. DefaultOptions gives the documented defaults.
type Options struct {
	// Mode is protocol.ModeMCU or protocol.ModeRelay.
	Mode string
	// RoomMaxSize is the number of participants a room takes.
	RoomMaxSize int
	// ReconnectGrace is how long a dropped participant keeps its place (0: it leaves at once).
	ReconnectGrace time.Duration
	// ReconnectWithoutBearer accepts reconnect with a socketId alone (legacy clients).
	ReconnectWithoutBearer bool
	// MaxMessageBytes is the largest websocket message read.
	MaxMessageBytes int
	// RateLimit (messages/s) and RateBurst bound what one connection may send.
	RateLimit float64
	RateBurst int
	// AllowedOrigins are accepted for the upgrade besides the server's own; "*" accepts any.
	AllowedOrigins []string
	// TrustedProxies are the peers whose X-Real-Ip / X-Forwarded-For are believed.
	TrustedProxies []netip.Prefix
	// PingPeriod, PongWait and WriteWait are the websocket heartbeat and write timeouts.
	PingPeriod time.Duration
	PongWait   time.Duration
	WriteWait  time.Duration
	// SendQueueLimit bounds a connection's queue; ReplayLimit bounds the events kept for an away participant.
	SendQueueLimit int
	ReplayLimit    int
	// SendQueueBytes and ReplayBytes bound the same by bytes; QueuedBytesTotal bounds the bytes of every send queue
	// and replay list of the server together.
	SendQueueBytes   int
	ReplayBytes      int
	QueuedBytesTotal int
	// UserRateLimit (messages/s) and UserRateBurst bound what the websockets of one user send together.
	UserRateLimit float64
	UserRateBurst int
	// JoinTimeout is how long a websocket may stay without a participant (before join, after leave).
	JoinTimeout time.Duration
	// UnauthPerAddress and UnauthTotal bound the websockets without a participant, per client address and in all;
	// SocketsPerUser bounds the websockets attached to the participants of one user.
	UnauthPerAddress int
	UnauthTotal      int
	SocketsPerUser   int
	// LiveInterval is the period of room.live.
	LiveInterval time.Duration
	// MediaTimeout bounds each call to the media plane.
	MediaTimeout time.Duration
}

// DefaultOptions returns the documented defaults (docs/OPERATIONS.md): those of the environment variables from
// package defaults, the fixed ones from here.
func DefaultOptions() Options {
	return Options{
		Mode:             defaults.MediaMode,
		RoomMaxSize:      defaults.RoomMaxSize,
		ReconnectGrace:   defaults.ReconnectGrace,
		MaxMessageBytes:  defaults.WSMaxMessageBytes,
		RateLimit:        defaults.WSRateLimit,
		RateBurst:        defaults.WSRateBurst,
		PingPeriod:       5 * time.Second,
		PongWait:         15 * time.Second,
		WriteWait:        10 * time.Second,
		SendQueueLimit:   512,
		ReplayLimit:      256,
		SendQueueBytes:   defaults.WSSendQueueBytes,
		ReplayBytes:      defaults.WSReplayBytes,
		QueuedBytesTotal: defaults.WSQueuedBytesTotal,
		UserRateLimit:    defaults.WSUserRateLimit,
		UserRateBurst:    defaults.WSUserRateBurst,
		JoinTimeout:      defaults.WSJoinTimeout,
		UnauthPerAddress: defaults.WSUnauthPerAddress,
		UnauthTotal:      defaults.WSUnauthTotal,
		SocketsPerUser:   defaults.WSSocketsPerUser,
		LiveInterval:     60 * time.Second,
		MediaTimeout:     10 * time.Second,
	}
}

func (o Options) validate() error {
	switch {
	case o.Mode != protocol.ModeMCU && o.Mode != protocol.ModeRelay:
		return errors.New("signaling: Mode must be mcu or relay")
	case o.RoomMaxSize < 1:
		return errors.New("signaling: RoomMaxSize must be at least 1")
	case o.ReconnectGrace < 0:
		return errors.New("signaling: ReconnectGrace must not be negative")
	case o.MaxMessageBytes < 1, o.RateLimit <= 0, o.RateBurst < 1:
		return errors.New("signaling: MaxMessageBytes, RateLimit and RateBurst must be positive")
	case o.PingPeriod <= 0, o.PongWait <= o.PingPeriod, o.WriteWait <= 0:
		return errors.New("signaling: PingPeriod, WriteWait must be positive and PongWait longer than PingPeriod")
	case o.ReplayLimit < 1, o.SendQueueLimit <= o.ReplayLimit:
		return errors.New("signaling: ReplayLimit must be positive and SendQueueLimit larger than it")
	case o.LiveInterval <= 0, o.MediaTimeout <= 0:
		return errors.New("signaling: LiveInterval and MediaTimeout must be positive")
	}
	return o.validateLimits()
}

// validateLimits checks the limits against hostile clients: a relayed message of MaxMessageBytes fits in an empty
// replay list, and a replay in an empty send queue.
func (o Options) validateLimits() error {
	switch {
	case o.ReplayBytes < 2*o.MaxMessageBytes, o.SendQueueBytes <= o.ReplayBytes,
		o.QueuedBytesTotal < o.SendQueueBytes:
		return errors.New("signaling: need 2*MaxMessageBytes <= ReplayBytes < SendQueueBytes <= QueuedBytesTotal")
	case o.UserRateLimit <= 0, o.UserRateBurst < 1:
		return errors.New("signaling: UserRateLimit and UserRateBurst must be positive")
	case o.JoinTimeout <= 0, o.UnauthPerAddress < 1, o.UnauthTotal < 1, o.SocketsPerUser < 1:
		return errors.New("signaling: JoinTimeout, UnauthPerAddress, UnauthTotal and SocketsPerUser must be positive")
	}
	return nil
}

// Server is the websocket API. It serves the upgrade on whatever path it is mounted (/api).
type Server struct {
	opts      Options
	verifier  *auth.Verifier
	publisher bus.Publisher
	media     MediaPlane
	log       *slog.Logger
	upgrader  websocket.Upgrader
	hub       *hub
	counters  *counters
	now       func() time.Time
	// budget holds the bytes of every send queue and replay list; bounds are those of a replay list.
	budget *byteBudget
	bounds replayBounds
	unauth *unauthCount
	users  *users

	// peers is set when the server is a node of a cluster (UseCluster).
	peers atomic.Pointer[peers]

	connsMu sync.Mutex
	// conns holds the websockets and the remote connections (remoteConns of them: participants of this node's
	// rooms whose websocket is on another node).
	conns       map[*conn]struct{}
	remoteConns int
	closing     bool
	connsWG     sync.WaitGroup
	accepted    atomic.Uint64
}

// NewServerWith builds a server. publisher may be bus.Discard{}; media may be nil (MCU requests then answer 1333).
func NewServerWith(opts Options, verifier *auth.Verifier, publisher bus.Publisher, media MediaPlane,
	logger *slog.Logger) (*Server, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if verifier == nil || publisher == nil || logger == nil {
		return nil, errors.New("signaling: verifier, publisher and logger are required")
	}
	s := &Server{
		opts:      opts,
		verifier:  verifier,
		publisher: publisher,
		media:     media,
		log:       logger,
		hub:       newHub(),
		counters:  newCounters(),
		now:       time.Now,
		conns:     make(map[*conn]struct{}),
		budget:    newByteBudget(opts.QueuedBytesTotal),
		unauth:    newUnauthCount(opts.UnauthPerAddress, opts.UnauthTotal),
		users:     newUsers(opts.SocketsPerUser, opts.UserRateLimit, opts.UserRateBurst),
	}
	s.bounds = replayBounds{count: opts.ReplayLimit, bytes: opts.ReplayBytes, budget: s.budget}
	s.upgrader = websocket.Upgrader{
		HandshakeTimeout: opts.WriteWait,
		// A small read buffer stays with each connection for its life. Messages are written by writeBatch from
		// buffers of its own pool, never through gorilla's write buffer; a pool here keeps gorilla from giving every
		// connection one it would not use.
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     s.checkOrigin,
	}
	return s, nil
}

// ServeHTTP upgrades the request to a websocket and serves the API on it. The handler returns at once: the
// connection lives on in two goroutines of its own, so net/http's per-request state is freed.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.connsMu.Lock()
	closing := s.closing
	s.connsMu.Unlock()
	if closing {
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	ip := s.clientIP(r)
	if !s.admit(w, ip) {
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		// The upgrader has answered the client (400 or 403).
		s.unauth.release(ip)
		s.log.Debug("websocket upgrade refused", "remote", r.RemoteAddr, "err", err)
		return
	}
	// The connection outlives the request: its calls' context keeps the request's values, not its end.
	ctx, endCalls := context.WithCancel(context.WithoutCancel(r.Context()))
	c := newConn(s, ws, ip, endCalls)
	c.counted = true
	if !s.track(c) {
		// Shutdown began during the upgrade.
		s.unauth.release(ip)
		endCalls()
		msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down")
		_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(s.opts.WriteWait))
		_ = ws.Close()
		return
	}
	c.start(ctx)
}

// admit counts a websocket about to be upgraded among the unauthenticated ones, or answers the request 429 (too
// many from its address) or 503 (too many in all) and reports false.
func (s *Server) admit(w http.ResponseWriter, ip string) bool {
	switch s.unauth.acquire(ip, false) {
	case refusedAddress:
		s.counters.refusedAddress.Add(1)
		s.log.Debug("websocket refused: too many unauthenticated from this address", "remote", ip)
		http.Error(w, "too many websockets without join from this address", http.StatusTooManyRequests)
		return false
	case refusedTotal:
		s.counters.refusedTotal.Add(1)
		s.log.Debug("websocket refused: too many unauthenticated", "remote", ip)
		http.Error(w, "too many websockets without join", http.StatusServiceUnavailable)
		return false
	}
	return true
}

// track registers c for Shutdown, unless shutdown has begun.
func (s *Server) track(c *conn) bool {
	s.connsMu.Lock()
	defer s.connsMu.Unlock()
	if s.closing {
		return false
	}
	s.connsWG.Add(2)
	s.accepted.Add(1)
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c *conn) {
	s.connsMu.Lock()
	defer s.connsMu.Unlock()
	if _, ok := s.conns[c]; ok && c.remote != nil {
		s.remoteConns--
	}
	delete(s.conns, c)
}

// checkOrigin accepts requests without Origin (native apps), from the server's own host, and from AllowedOrigins.
func (s *Server) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || s.originAllowed(origin, r.Host) {
		return true
	}
	// Every refusal is logged, those without a host too ("null" from sandboxed pages, "file://").
	s.log.Info("websocket origin refused", "origin", origin, "remote", r.RemoteAddr)
	return false
}

// originAllowed reports whether origin is host's own or one of AllowedOrigins; an origin without a host never is.
func (s *Server) originAllowed(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, host) {
		return true
	}
	normalized := strings.ToLower(u.Scheme + "://" + u.Host)
	for _, allowed := range s.opts.AllowedOrigins {
		if allowed == "*" || allowed == normalized {
			return true
		}
	}
	return false
}

// clientIP is the TCP peer, or what a trusted proxy says the client is.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !s.trusted(peer) {
		return peer.String()
	}
	if ip, err := netip.ParseAddr(strings.TrimSpace(r.Header.Get("X-Real-Ip"))); err == nil {
		return ip.Unmap().String()
	}
	// The last X-Forwarded-For entry is the one the trusted proxy appended: the address it saw.
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		entries := strings.Split(xff[len(xff)-1], ",")
		if ip, err := netip.ParseAddr(strings.TrimSpace(entries[len(entries)-1])); err == nil {
			return ip.Unmap().String()
		}
	}
	return peer.String()
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Run publishes room.live for every live room once at once and then every LiveInterval, until ctx ends.
// In a cluster it also gives up the rooms it owns that stay empty (UseCluster).
func (s *Server) Run(ctx context.Context) {
	defer s.recoverAndReport("room.live loop")
	if ps := s.peers.Load(); ps != nil {
		go s.releaseEmptyRooms(ctx, ps)
	}
	t := time.NewTicker(s.opts.LiveInterval)
	defer t.Stop()
	for {
		s.publishLive()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) publishLive() {
	for _, r := range s.hub.roomList() {
		s.publishRoomLive(r)
	}
}

func (s *Server) publishRoomLive(r *room) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || len(r.members) == 0 {
		return
	}
	sessions := make([]bus.Session, len(r.members))
	for i, m := range r.members {
		sessions[i] = bus.Session{SocketID: m.socketID, UserID: m.userID}
	}
	s.publisher.Publish(bus.RoomLive{RoomID: r.id, RoomSize: len(r.members), Sessions: sessions})
}

// Drain begins a graceful stop: from now on join is answered 1335 (the client joins elsewhere), while the
// participants already in rooms keep going and may still reconnect. The channel is closed once no participant
// remains (at once if there is none); Shutdown then ends the connections that are left.
func (s *Server) Drain() <-chan struct{} {
	return s.hub.drain()
}

// Shutdown stops accepting websockets, closes every one with close code 1001, makes every participant leave its
// room (the others are told and room.leave is published), and waits for the connections to end or ctx to expire.
// Then it cancels the calls to the media plane still in progress, whose connections it has stopped waiting for.
func (s *Server) Shutdown(ctx context.Context) error {
	s.connsMu.Lock()
	s.closing = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.connsMu.Unlock()
	for _, c := range conns {
		// A websocket whose participant is on another node drops: its client reconnects through another node and
		// keeps its place there.
		c.closeWith(websocket.CloseGoingAway, "server shutting down", c.fwd.Load() == nil)
	}
	// Participants without a websocket have nobody to close: they leave now.
	for _, r := range s.hub.roomList() {
		s.leaveAway(r)
	}
	done := make(chan struct{})
	go func() {
		s.connsWG.Wait()
		close(done)
	}()
	defer func() {
		for _, c := range conns {
			c.endCalls()
		}
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// leaveAway makes the members of r that wait for a reconnect leave.
func (s *Server) leaveAway(r *room) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.others(nil) {
		if p.conn == nil {
			s.leaveLocked(p, "shutdown")
		}
	}
}
