package webrtc

import (
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/dtls"
	"github.com/heytribe/live-webrtcsignaling/cgo/srtp"
	"github.com/heytribe/live-webrtcsignaling/src/stun"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
)

// maxPendingDTLS bounds the DTLS datagrams kept while the remote fingerprint is unknown: a ClientHello in two
// fragments, with a retransmission or two.
const maxPendingDTLS = 8

// pendingDatagram is a DTLS datagram received before SetRemote.
type pendingDatagram struct {
	data   []byte
	source transport.Addr
}

// inbound is the state the inbound goroutine owns: nothing else touches it.
type inbound struct {
	remote  *remoteTransport
	msg     *stun.Message
	out     []byte          // STUN responses are built here
	unknown []stun.AttrType // scratch for UnknownRequired
	pending []pendingDatagram

	firstCheck  time.Time // first verified check; zero before
	lastConsent time.Time // last verified check from the selected address
	nominated   bool      // the peer has nominated an address (USE-CANDIDATE)

	dtls *dtls.Endpoint
	// dtlsPeer is where DTLS retransmissions go: the source of the last DTLS datagram, or the selected address
	// when the session, as the DTLS client, sent its ClientHello.
	dtlsPeer transport.Addr
	dtlsAt   time.Time      // the DTLS retransmission timer; zero when none runs
	srtp     *srtp.Inbound  // non-nil once connected
	srtpOut  *srtp.Outbound // the writer's context, closed by the inbound goroutine at the end

	timer   *time.Timer
	armedAt time.Time
}

func newInbound(remote *remoteTransport) inbound {
	return inbound{
		remote:  remote,
		msg:     stun.NewMessage(),
		out:     make([]byte, 0, transport.MaxDatagramSize),
		unknown: make([]stun.AttrType, 0, 8),
	}
}

// ending is how the inbound loop ends: the final state, its reason, and the error behind it if any.
type ending struct {
	state  State
	reason Reason
	cause  error
}

func (e *ending) Error() string {
	if e.cause == nil {
		return string(e.reason)
	}
	return string(e.reason) + ": " + e.cause.Error()
}

func failed(reason Reason, cause error) *ending {
	return &ending{state: StateFailed, reason: reason, cause: cause}
}

// runInbound is the inbound goroutine: it serves the session until it ends, then tears it down.
func (s *Session) runInbound() {
	defer close(s.done)
	defer func() {
		if r := recover(); r != nil {
			s.logger.Error("webrtc: panic while ending a session", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	s.end(s.serve())
}

// serve runs the inbound loop until the session ends.
func (s *Session) serve() (end *ending) {
	defer func() {
		if r := recover(); r != nil {
			s.logger.Error("webrtc: panic in session", "panic", r, "stack", string(debug.Stack()))
			end = failed(ReasonInternal, fmt.Errorf("panic: %v", r))
		}
	}()
	s.in.timer = time.NewTimer(s.engine.cfg.ICETimeout)
	s.in.armedAt = s.created.Add(s.engine.cfg.ICETimeout)
	for {
		var err error
		select {
		case p := <-s.ep.Inbound():
			if s.closing.Load() {
				p.Release()
				continue
			}
			if err = s.takeRemote(); err == nil {
				err = s.handle(p.Kind, p.Data, p.Source, p.Received)
			}
			p.Release()
		case r := <-s.remoteCh:
			err = s.applyRemote(r)
		case <-s.in.timer.C:
			s.in.armedAt = time.Time{}
			err = s.onTimer(time.Now())
		case <-s.closeCh:
			return &ending{state: StateClosed, reason: s.closeReason}
		case <-s.writerPanic:
			return failed(ReasonInternal, errors.New("panic in the writer"))
		}
		if err != nil {
			var end *ending
			if errors.As(err, &end) {
				return end
			}
			return failed(ReasonInternal, err)
		}
		s.rearm()
	}
}

// takeRemote applies a SetRemote still waiting in its channel. The select of the loop picks at random among ready
// cases: without this, a datagram the peer sent after SetRemote returned could be handled before the remote
// transport is known. A receive from an empty channel costs no lock.
func (s *Session) takeRemote() error {
	select {
	case r := <-s.remoteCh:
		return s.applyRemote(r)
	default:
		return nil
	}
}

// handle processes one datagram, read from the socket at received. It returns an *ending when the session must end;
// every other problem is counted and the datagram dropped.
func (s *Session) handle(kind transport.Kind, data []byte, source transport.Addr, received time.Time) error {
	switch kind {
	case transport.KindSTUN:
		return s.handleSTUN(data, source)
	case transport.KindDTLS:
		return s.handleDTLS(data, source)
	case transport.KindRTP, transport.KindRTCP:
		s.handleSRTP(kind, data, received)
	}
	return nil
}

// setState moves to a non-final state and tells the Handler.
func (s *Session) setState(to State) {
	from := State(s.state.Swap(int32(to)))
	if from == to {
		return
	}
	s.engine.moved(from, to)
	s.logger.Info("webrtc session "+to.String(), "from", from.String())
	s.handler.OnState(s, to, ReasonNone)
}

// rearm sets the timer to the next deadline, when it changed.
func (s *Session) rearm() {
	at := s.nextDeadline()
	if at.Equal(s.in.armedAt) {
		return
	}
	s.in.armedAt = at
	s.in.timer.Reset(time.Until(at))
}

// nextDeadline is the earliest of the ICE or consent deadline, the DTLS deadline and the DTLS timer.
func (s *Session) nextDeadline() time.Time {
	cfg := &s.engine.cfg
	if s.in.firstCheck.IsZero() {
		return s.created.Add(cfg.ICETimeout)
	}
	at := s.in.lastConsent.Add(cfg.ConsentTimeout)
	if s.in.srtp == nil {
		at = earliest(at, s.in.firstCheck.Add(cfg.DTLSTimeout))
	}
	if !s.in.dtlsAt.IsZero() {
		at = earliest(at, s.in.dtlsAt)
	}
	return at
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// onTimer checks the deadlines and runs the DTLS timer.
func (s *Session) onTimer(now time.Time) error {
	cfg := &s.engine.cfg
	switch {
	case s.in.firstCheck.IsZero():
		if !now.Before(s.created.Add(cfg.ICETimeout)) {
			return failed(ReasonICETimeout, fmt.Errorf("no verified connectivity check in %v", cfg.ICETimeout))
		}
		return nil
	case !now.Before(s.in.lastConsent.Add(cfg.ConsentTimeout)):
		return failed(ReasonConsentExpired, fmt.Errorf("no verified check from the selected address in %v", cfg.ConsentTimeout))
	case s.in.srtp == nil && !now.Before(s.in.firstCheck.Add(cfg.DTLSTimeout)):
		return failed(ReasonDTLSTimeout, fmt.Errorf("no DTLS handshake in %v", cfg.DTLSTimeout))
	}
	if s.in.dtls == nil || s.in.dtlsAt.IsZero() || now.Before(s.in.dtlsAt) {
		return nil
	}
	send, err := s.in.dtls.HandleTimeout()
	s.sendDTLS(send, s.in.dtlsPeer)
	if err != nil {
		return s.dtlsError(err)
	}
	s.refreshDTLSTimer()
	return nil
}

// applyRemote records the peer's transport and handles the DTLS datagrams that waited for it (as the DTLS client,
// they are dropped), then starts the handshake when the session is the client and a check was verified.
func (s *Session) applyRemote(r remoteTransport) error {
	s.in.remote = &r
	pending := s.in.pending
	s.in.pending = nil
	for _, d := range pending {
		if err := s.handleDTLS(d.data, d.source); err != nil {
			return err
		}
	}
	return s.startDTLSClient()
}

// handleSRTP unprotects one SRTP or SRTCP packet in place and gives it to the Handler with the time it was read.
func (s *Session) handleSRTP(kind transport.Kind, data []byte, received time.Time) {
	if s.in.srtp == nil {
		s.stats.srtpEarly.Add(1)
		return
	}
	var pkt []byte
	var err error
	if kind == transport.KindRTCP {
		pkt, err = s.in.srtp.UnprotectRTCP(data)
	} else {
		pkt, err = s.in.srtp.UnprotectRTP(data)
	}
	switch {
	case errors.Is(err, srtp.ErrReplay):
		s.stats.srtpReplay.Add(1)
		return
	case errors.Is(err, srtp.ErrAuth):
		s.stats.srtpAuth.Add(1)
		return
	case err != nil:
		s.stats.srtpOther.Add(1)
		return
	}
	s.stats.mediaBytesIn.Add(uint64(len(data)))
	if kind == transport.KindRTCP {
		s.stats.rtcpIn.Add(1)
		s.handler.OnRTCP(s, pkt, received)
		return
	}
	s.stats.rtpIn.Add(1)
	s.handler.OnRTP(s, pkt, received)
}

// end tears the session down, in the documented order, and tells the Handler.
func (s *Session) end(e *ending) {
	s.closing.Store(true)
	close(s.writerStop)
	<-s.writerDone // the packets queued before Close are out
	s.outbound.Store(nil)
	if s.in.timer != nil {
		s.in.timer.Stop()
	}
	var errs []error
	if s.in.dtls != nil {
		send, err := s.in.dtls.Close()
		if dst := s.selected.Load(); dst != nil {
			s.sendDTLS(send, *dst)
		}
		errs = append(errs, err)
	}
	errs = append(errs, s.closeSRTP(), s.ep.Close())
	s.in.pending = nil
	if err := errors.Join(errs...); err != nil {
		s.logger.Warn("webrtc: error while ending the session", "err", err)
	}

	from := State(s.state.Swap(int32(e.state)))
	reason := e.reason
	s.reason.Store(&reason)
	s.engine.moved(from, e.state)
	s.engine.retire(s, e.state, reason)
	attrs := []any{"reason", string(reason), "phase", reason.Phase(), "from", from.String()}
	if e.cause != nil {
		attrs = append(attrs, "err", e.cause.Error())
	}
	if e.state == StateFailed {
		s.logger.Warn("webrtc session failed", attrs...)
	} else {
		s.logger.Info("webrtc session closed", attrs...)
	}
	s.notifyEnd(e.state, reason)
}

// closeSRTP frees both SRTP contexts.
func (s *Session) closeSRTP() error {
	var errs []error
	if s.in.srtp != nil {
		errs = append(errs, s.in.srtp.Close())
	}
	if out := s.in.srtpOut; out != nil {
		errs = append(errs, out.Close())
	}
	return errors.Join(errs...)
}

// notifyEnd gives the final state to the Handler; a panic there is logged, the session is over anyway.
func (s *Session) notifyEnd(state State, reason Reason) {
	defer func() {
		if r := recover(); r != nil {
			s.logger.Error("webrtc: panic in OnState", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	s.handler.OnState(s, state, reason)
}
