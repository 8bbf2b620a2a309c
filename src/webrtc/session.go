package webrtc

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/dtls"
	"github.com/heytribe/live-webrtcsignaling/cgo/srtp"
	"github.com/heytribe/live-webrtcsignaling/src/histogram"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
	"github.com/heytribe/live-webrtcsignaling/src/stun"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
)

// SessionParams are the parameters of one Session.
type SessionParams struct {
	// LocalUfrag and LocalPwd are the session's ICE credentials (4 to 256 and 22 to 256 ICE characters); leave
	// both empty to have random ones generated (16 and 32 characters).
	LocalUfrag, LocalPwd string
	// Remote is the peer's transport when already known; nil means SetRemote will give it.
	Remote *negotiate.Transport
	// Handler receives the session's states and packets. Required.
	Handler Handler
	// Logger carries the caller's fields (socketId, roomId, userId); the session adds "session". nil means the
	// Engine's logger.
	Logger *slog.Logger
	// WriteQueue is the write queue in packets; 0 means the Engine's Config.WriteQueue.
	WriteQueue int
}

// remoteTransport is what the session keeps of the peer's transport.
type remoteTransport struct {
	ufrag        string
	fingerprints []dtls.Fingerprint
	// role is the session's DTLS role: the client when the peer's setup is passive, the server otherwise.
	role dtls.Role
}

// Session is one PeerConnection with a browser. See the package documentation.
type Session struct {
	engine    *Engine
	id        string
	pwd       string
	handler   Handler
	logger    *slog.Logger
	ep        *transport.Endpoint
	integrity *stun.Integrity
	created   time.Time
	stats     counters

	remoteSet atomic.Bool
	remoteCh  chan remoteTransport // SetRemote -> inbound goroutine, capacity 1

	closeOnce   sync.Once
	closeCh     chan struct{} // closed by Close
	closeReason Reason        // written before closeCh is closed
	closing     atomic.Bool   // Close was called or the session is ending: writes are refused
	done        chan struct{}

	state    atomic.Int32
	reason   atomic.Pointer[Reason]
	profile  atomic.Pointer[string]
	selected atomic.Pointer[transport.Addr] // where media goes; nil before the first verified check
	outbound atomic.Pointer[srtp.Outbound]  // nil until connected, and again once ending

	writeQ      chan *outPacket
	writerStop  chan struct{}
	writerDone  chan struct{}
	writerPanic chan struct{} // capacity 1: the writer died, the session must end
	pacing      atomic.Pointer[pacingBox]

	in inbound // owned by the inbound goroutine
}

// NewSessionWith creates a Session, registers its ufrag with the transport and starts its goroutines: it accepts
// connectivity checks from now on.
func (e *Engine) NewSessionWith(p SessionParams) (*Session, error) {
	if p.Handler == nil {
		return nil, fmt.Errorf("%w: nil Handler", ErrBadParams)
	}
	ufrag, pwd, err := localCredentials(p.LocalUfrag, p.LocalPwd)
	if err != nil {
		return nil, err
	}
	var remote *remoteTransport
	if p.Remote != nil {
		r, err := parseRemote(*p.Remote)
		if err != nil {
			return nil, err
		}
		remote = &r
	}
	queue := p.WriteQueue
	if queue == 0 {
		queue = e.cfg.WriteQueue
	}
	if queue < 1 || queue > 1<<16 {
		return nil, fmt.Errorf("%w: WriteQueue %d, want 1 to 65536", ErrBadParams, queue)
	}
	integrity, err := stun.NewShortTermIntegrity(pwd)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadParams, err)
	}
	logger := p.Logger
	if logger == nil {
		logger = e.logger
	}
	ep, err := e.mux.NewEndpoint(ufrag)
	if errors.Is(err, transport.ErrClosed) {
		return nil, ErrEngineClosed
	}
	if err != nil {
		return nil, fmt.Errorf("webrtc: transport endpoint: %w", err)
	}
	s := &Session{
		engine:      e,
		id:          ufrag,
		pwd:         pwd,
		handler:     p.Handler,
		logger:      logger.With("session", ufrag),
		ep:          ep,
		integrity:   integrity,
		created:     time.Now(),
		remoteCh:    make(chan remoteTransport, 1),
		closeCh:     make(chan struct{}),
		done:        make(chan struct{}),
		writeQ:      make(chan *outPacket, queue),
		writerStop:  make(chan struct{}),
		writerDone:  make(chan struct{}),
		writerPanic: make(chan struct{}, 1),
	}
	s.stats.forwarding = histogram.NewCounter(ForwardingUnit, ForwardingBuckets)
	s.in = newInbound(remote)
	if !e.register(s) {
		return nil, errors.Join(ErrEngineClosed, ep.Close())
	}
	if remote != nil {
		s.remoteSet.Store(true)
	}
	go s.runInbound()
	go s.runWriter()
	return s, nil
}

// localCredentials validates the given credentials, or generates them when both are empty.
func localCredentials(ufrag, pwd string) (string, string, error) {
	if ufrag == "" && pwd == "" {
		return newICECredentials()
	}
	if !validICECredentials(ufrag, pwd) {
		return "", "", fmt.Errorf("%w: local ICE ufrag must be 4 and pwd 22 to 256 ICE characters", ErrBadParams)
	}
	return ufrag, pwd, nil
}

// parseRemote validates the peer's transport, keeps its fingerprints of a supported hash (its certificate must
// match one of them: the dtls package applies RFC 8122's choice among them) and derives the session's DTLS role
// from its setup (RFC 5763 5): passive makes the session the client, active, actpass or none the server.
func parseRemote(t negotiate.Transport) (remoteTransport, error) {
	if !validICECredentials(t.ICEUfrag, t.ICEPwd) {
		return remoteTransport{}, fmt.Errorf("%w: remote ICE ufrag must be 4 and pwd 22 to 256 ICE characters", ErrBadParams)
	}
	if t.Setup == sdp.SetupHoldConn {
		return remoteTransport{}, fmt.Errorf("%w: remote setup %q: the session needs a DTLS association now", ErrBadParams, t.Setup)
	}
	role := dtls.RoleServer
	if t.Setup == sdp.SetupPassive {
		role = dtls.RoleClient
	}
	var fingerprints []dtls.Fingerprint
	for _, f := range t.Fingerprints {
		if fp, err := dtls.ParseFingerprint(f.HashFunction + " " + f.Value); err == nil {
			fingerprints = append(fingerprints, fp)
		}
	}
	if len(fingerprints) == 0 || len(fingerprints) > dtls.MaxRemoteFingerprints {
		return remoteTransport{}, fmt.Errorf("%w: %d usable remote fingerprints among %d, want 1 to %d",
			ErrBadParams, len(fingerprints), len(t.Fingerprints), dtls.MaxRemoteFingerprints)
	}
	return remoteTransport{ufrag: t.ICEUfrag, fingerprints: fingerprints, role: role}, nil
}

// ID returns the session's identifier, its local ICE ufrag (the "session" field of its logs).
func (s *Session) ID() string { return s.id }

// Local returns the server's side of the session for the SDP: ICE ufrag and pwd, the certificate fingerprint and
// the candidates. SessionID and SessionVersion are left to the caller.
func (s *Session) Local() negotiate.Local {
	return negotiate.Local{
		ICEUfrag:     s.id,
		ICEPwd:       s.pwd,
		Fingerprints: []sdp.Fingerprint{s.engine.fingerprint},
		Addrs:        s.ep.LocalAddrs(),
		TCPAddrs:     s.ep.LocalTCPAddrs(),
	}
}

// SetRemote gives the peer's transport (negotiate.Result.Remote): the ufrag its checks must carry and the
// fingerprints its certificate must match one of. It may be called once, from any goroutine; the session applies
// it at once, DTLS datagrams that were waiting included.
func (s *Session) SetRemote(t negotiate.Transport) error {
	r, err := parseRemote(t)
	if err != nil {
		return err
	}
	if !s.remoteSet.CompareAndSwap(false, true) {
		return ErrRemoteSet
	}
	s.remoteCh <- r
	return nil
}

// State returns the current state.
func (s *Session) State() State { return State(s.state.Load()) }

// Reason returns why the session ended, ReasonNone while it lives.
func (s *Session) Reason() Reason {
	if r := s.reason.Load(); r != nil {
		return *r
	}
	return ReasonNone
}

// Selected returns the address media is sent to, over UDP or ICE-TCP; false before the first verified check.
func (s *Session) Selected() (transport.Addr, bool) {
	if a := s.selected.Load(); a != nil {
		return *a, true
	}
	return transport.Addr{}, false
}

// Stats returns the session's counters.
func (s *Session) Stats() SessionStats {
	st := SessionStats{State: s.State(), Reason: s.Reason(), Transport: s.ep.Stats()}
	s.stats.addTo(&st.Counters)
	st.Selected, _ = s.Selected()
	if p := s.profile.Load(); p != nil {
		st.SRTPProfile = *p
	}
	return st
}

// Close ends the session (ReasonClosed): see the package documentation for the order of the end. It returns at
// once; Done is closed when the end is complete. It is idempotent and safe from any goroutine, Handler callbacks
// included. Packets given to WriteRTP and WriteRTCP before Close are sent; later ones are refused.
func (s *Session) Close() { s.closeWith(ReasonClosed) }

func (s *Session) closeWith(r Reason) {
	s.closeOnce.Do(func() {
		s.closeReason = r
		s.closing.Store(true)
		close(s.closeCh)
	})
}

// Done is closed once the session has ended: both goroutines have returned, the C memory is freed, the transport
// endpoint is unregistered and the Handler has been told.
func (s *Session) Done() <-chan struct{} { return s.done }
