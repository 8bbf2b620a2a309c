package webrtc

import (
	"errors"
	"fmt"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/stun"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
)

// handleSTUN answers one connectivity check, after the checks of the stun package's ICE-lite flow, and updates the
// selected address and consent. Failures are counted; 400 and 401 go back without integrity, 420 and 487 with it.
func (s *Session) handleSTUN(data []byte, source transport.Addr) error {
	msg := s.in.msg
	if err := msg.Parse(data); err != nil {
		s.stats.stunMalformed.Add(1)
		return nil
	}
	if msg.Type() != stun.BindingRequest {
		return nil // an indication is a keepalive (RFC 8445 11); the ICE-lite server sends no request to answer
	}
	local, remote, err := msg.ICEUsername()
	if err != nil {
		s.stats.stunMalformed.Add(1)
		return s.answerError(msg, source, stun.CodeBadRequest, false)
	}
	if string(local) != s.id || (s.in.remote != nil && string(remote) != s.in.remote.ufrag) {
		s.stats.stunUsername.Add(1)
		return s.answerError(msg, source, stun.CodeUnauthenticated, false)
	}
	if err := msg.CheckFingerprint(); err != nil {
		s.stats.stunFingerprint.Add(1)
		return nil
	}
	switch err := s.integrity.Check(msg); {
	case errors.Is(err, stun.ErrIntegrityMissing):
		s.stats.stunIntegrity.Add(1)
		return s.answerError(msg, source, stun.CodeBadRequest, false)
	case err != nil:
		s.stats.stunIntegrity.Add(1)
		return s.answerError(msg, source, stun.CodeUnauthenticated, false)
	}
	if unknown := msg.UnknownRequired(s.in.unknown[:0]); len(unknown) > 0 {
		s.stats.stunMalformed.Add(1)
		b, err := stun.AppendUnknownAttributesError(s.in.out[:0], msg, unknown, s.integrity)
		return s.reply(b, err, source)
	}
	check, err := msg.ConnectivityCheck()
	if err != nil {
		s.stats.stunMalformed.Add(1)
		return s.answerError(msg, source, stun.CodeBadRequest, false)
	}
	if check.CheckLiteRole() != nil {
		s.stats.stunRoleConflict.Add(1)
		return s.answerError(msg, source, stun.CodeRoleConflict, true)
	}
	if err := s.ep.Bind(source); errors.Is(err, transport.ErrNoConnection) {
		return nil // the ICE-TCP connection closed while its check waited in the queue: nothing to answer on
	} else if err != nil {
		return err
	}
	s.stats.checksOK.Add(1)
	// The session takes the check into account before answering: once the peer has the answer, media goes where
	// it nominated.
	s.verified(source, check.UseCandidate, time.Now())
	b, err := stun.AppendBindingSuccess(s.in.out[:0], msg, source.AddrPort, s.integrity)
	if err := s.reply(b, err, source); err != nil {
		return err
	}
	// As the DTLS client, the session's ClientHello follows the answer to the first check: the peer knows the
	// address works by then.
	return s.startDTLSClient()
}

// answerError answers a check with an error response, signed when the check was authenticated.
func (s *Session) answerError(msg *stun.Message, source transport.Addr, code stun.ErrorCode, signed bool) error {
	integrity := s.integrity
	if !signed {
		integrity = nil
	}
	b, err := stun.AppendBindingError(s.in.out[:0], msg, code, integrity)
	return s.reply(b, err, source)
}

// reply sends the STUN response b, built with error err, to dst. A response that cannot be built is a bug (the
// request was parsed) and ends the session; a socket error is counted by the transport and does not.
func (s *Session) reply(b []byte, err error, dst transport.Addr) error {
	if err != nil {
		return fmt.Errorf("build STUN response: %w", err)
	}
	if err := s.ep.WriteTo(b, dst); err != nil {
		s.logger.Debug("webrtc: STUN response not sent", "err", err)
	}
	return nil
}

// verified updates the session after a verified check from source: the first one moves to StateChecking, a
// nomination selects source (UDP, ICE-TCP, IPv4 or IPv6 alike: the peer may move from one to another), and a
// check from the selected address renews consent.
func (s *Session) verified(source transport.Addr, useCandidate bool, now time.Time) {
	selected := s.selected.Load()
	switch {
	case useCandidate && (selected == nil || *selected != source):
		if s.in.nominated {
			s.stats.addressSwitches.Add(1)
			s.logger.Info("webrtc: peer nominated another address", "from", selected.String(), "to", source.String())
		}
		s.selected.Store(&source)
	case !s.in.nominated && (selected == nil || (*selected != source && !downgrade(*selected, source))):
		s.selected.Store(&source) // before any nomination, media goes where the latest check came from
	}
	s.in.nominated = s.in.nominated || useCandidate
	if *s.selected.Load() == source {
		s.in.lastConsent = now
	}
	if s.in.firstCheck.IsZero() {
		s.in.firstCheck = now
		s.setState(StateChecking)
	}
}

// downgrade reports whether moving from a UDP to an ICE-TCP address: before a nomination, a browser checks its TCP
// pairs too, and media stays on UDP unless the browser nominates TCP (its UDP does not work).
func downgrade(from, to transport.Addr) bool {
	return from.Network == transport.UDP && to.Network == transport.TCP
}
