package webrtc

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/heytribe/live-webrtcsignaling/cgo/dtls"
	"github.com/heytribe/live-webrtcsignaling/src/histogram"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
)

// Engine is the process-wide side of the sessions: the UDP sockets, the DTLS certificate and context, the
// sessions' registry and the counters. It is safe for concurrent use.
type Engine struct {
	cfg         Config
	logger      *slog.Logger
	mux         *transport.Mux
	dtls        *dtls.Context
	fingerprint sdp.Fingerprint
	live        [numStates]atomic.Int64 // sessions in each non-final state

	mu       sync.Mutex
	closed   bool
	sessions map[*Session]struct{}
	ended    Counters // summed counters of the sessions that ended
	byReason map[Reason]uint64
	closedN  uint64
	failedN  uint64
}

// NewEngineWith opens the sockets and makes the DTLS context (and the certificate when cfg has none).
func NewEngineWith(cfg Config) (*Engine, error) {
	if err := cfg.applyDefaults(); err != nil {
		return nil, err
	}
	cert := cfg.Certificate
	if cert == nil {
		var err error
		if cert, err = dtls.NewCertificate(); err != nil {
			return nil, fmt.Errorf("webrtc: certificate: %w", err)
		}
	}
	ctx, err := dtls.NewContextWith(dtls.Config{
		Certificate:      cert,
		HandshakeTimeout: cfg.DTLSTimeout,
		Logger:           cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("webrtc: DTLS context: %w", err)
	}
	mux, err := transport.NewMuxWith(cfg.Transport)
	if err != nil {
		return nil, errors.Join(err, ctx.Close())
	}
	hash, value, _ := strings.Cut(ctx.Fingerprint().String(), " ")
	return &Engine{
		cfg:         cfg,
		logger:      cfg.Logger,
		mux:         mux,
		dtls:        ctx,
		fingerprint: sdp.Fingerprint{HashFunction: hash, Value: value},
		sessions:    make(map[*Session]struct{}),
		byReason:    make(map[Reason]uint64),
		// The totals have the forwarding histogram's buckets before any session.
		ended: Counters{Forwarding: histogram.NewCounter(ForwardingUnit, ForwardingBuckets).Snapshot()},
	}, nil
}

// Fingerprint returns the a=fingerprint of the Engine's certificate, the same for every session.
func (e *Engine) Fingerprint() sdp.Fingerprint { return e.fingerprint }

// register adds s to the registry; false once the Engine is closed.
func (e *Engine) register(s *Session) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.sessions[s] = struct{}{}
	e.live[StateNew].Add(1)
	return true
}

// moved counts a session's change of state.
func (e *Engine) moved(from, to State) {
	if !from.Final() {
		e.live[from].Add(-1)
	}
	if !to.Final() {
		e.live[to].Add(1)
	}
}

// retire removes an ended session and folds its counters into the totals.
func (e *Engine) retire(s *Session, final State, reason Reason) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.sessions, s)
	s.stats.addTo(&e.ended)
	e.byReason[reason]++
	if final == StateFailed {
		e.failedN++
	} else {
		e.closedN++
	}
}

// Stats returns the Engine's counters.
func (e *Engine) Stats() Stats {
	st := Stats{
		SessionsNew:       e.live[StateNew].Load(),
		SessionsChecking:  e.live[StateChecking].Load(),
		SessionsConnected: e.live[StateConnected].Load(),
		Transport:         e.mux.Stats(),
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	st.Counters = e.ended
	for s := range e.sessions {
		s.stats.addTo(&st.Counters)
	}
	st.SessionsClosed, st.SessionsFailed = e.closedN, e.failedN
	st.Ended = make(map[Reason]uint64, len(e.byReason))
	for r, n := range e.byReason {
		st.Ended[r] = n
	}
	return st
}

// Close ends every session (ReasonEngineClosed) and waits for them, then closes the sockets and the DTLS context.
// It is idempotent. It must not be called from a Handler.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	sessions := make([]*Session, 0, len(e.sessions))
	for s := range e.sessions {
		sessions = append(sessions, s)
	}
	e.mu.Unlock()
	for _, s := range sessions {
		s.closeWith(ReasonEngineClosed)
	}
	for _, s := range sessions {
		<-s.Done()
	}
	return errors.Join(e.mux.Close(), e.dtls.Close())
}
