package webrtc

import (
	"errors"
	"fmt"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/dtls"
	"github.com/heytribe/live-webrtcsignaling/cgo/srtp"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
)

// handleDTLS feeds one DTLS datagram to the association; as the DTLS server, the first one makes it. Before
// SetRemote the datagram waits (the peer's certificate cannot be checked yet).
func (s *Session) handleDTLS(data []byte, source transport.Addr) error {
	if s.in.remote == nil {
		if len(s.in.pending) >= maxPendingDTLS {
			s.stats.dtlsDropped.Add(1)
			return nil
		}
		s.in.pending = append(s.in.pending, pendingDatagram{data: append([]byte(nil), data...), source: source})
		return nil
	}
	if s.in.dtls == nil {
		if s.in.remote.role == dtls.RoleClient {
			// A passive peer waits for the session's ClientHello: what it sends before belongs to no handshake.
			s.stats.dtlsDropped.Add(1)
			return nil
		}
		if err := s.newDTLS(); err != nil {
			return err
		}
	}
	s.stats.dtlsIn.Add(1)
	s.in.dtlsPeer = source
	res, err := s.in.dtls.HandleDatagram(data)
	s.stats.dtlsRecordsDropped.Add(uint64(res.Dropped))
	s.sendDTLS(res.Send, source)
	if err != nil {
		return s.dtlsError(err)
	}
	if res.HandshakeComplete {
		if err := s.connect(); err != nil {
			return err
		}
	}
	s.refreshDTLSTimer()
	return nil
}

// newDTLS makes the association in the session's role.
func (s *Session) newDTLS() error {
	ep, err := s.engine.dtls.NewEndpointWith(dtls.EndpointParams{
		Role:               s.in.remote.role,
		RemoteFingerprints: s.in.remote.fingerprints,
		Logger:             s.logger,
	})
	if err != nil {
		return failed(ReasonInternal, fmt.Errorf("DTLS endpoint: %w", err))
	}
	s.in.dtls = ep
	return nil
}

// startDTLSClient sends the ClientHello when the session is the DTLS client, once a check is verified (the
// selected address is known) and the peer's transport is known, whichever comes last. It does nothing otherwise,
// or when the handshake has begun.
func (s *Session) startDTLSClient() error {
	selected := s.selected.Load()
	if s.in.remote == nil || s.in.remote.role != dtls.RoleClient || s.in.dtls != nil || selected == nil {
		return nil
	}
	if err := s.newDTLS(); err != nil {
		return err
	}
	s.in.dtlsPeer = *selected
	send, err := s.in.dtls.Start()
	s.sendDTLS(send, s.in.dtlsPeer)
	if err != nil {
		return s.dtlsError(err)
	}
	s.refreshDTLSTimer()
	return nil
}

// dtlsError maps an error of the association to the end of the session, or drops the datagram. The association
// drops invalid and forged records itself, without an error: once connected, an error is the peer's close_notify
// (the session is closed) or its fatal alert or a local failure (the session has failed).
func (s *Session) dtlsError(err error) error {
	switch {
	case errors.Is(err, dtls.ErrDatagramSize):
		s.stats.dtlsDropped.Add(1)
		return nil
	case errors.Is(err, dtls.ErrHandshakeTimeout):
		return failed(ReasonDTLSTimeout, err)
	case errors.Is(err, dtls.ErrPeerClosed) && s.in.srtp != nil:
		return &ending{state: StateClosed, reason: ReasonPeerClosed}
	default:
		return failed(ReasonDTLSFailed, err)
	}
}

// connect makes the SRTP contexts from the handshake's keys: the session is connected.
func (s *Session) connect() error {
	keys, err := s.in.dtls.SRTPKeys()
	if err != nil {
		return failed(ReasonDTLSFailed, err)
	}
	defer keys.Wipe()
	profile := srtp.Profile(keys.Profile)
	in, err := srtp.NewInbound(profile, keys.RemoteKey, keys.RemoteSalt)
	if err != nil {
		return failed(ReasonInternal, fmt.Errorf("SRTP inbound: %w", err))
	}
	out, err := srtp.NewOutbound(profile, keys.LocalKey, keys.LocalSalt)
	if err != nil {
		return failed(ReasonInternal, errors.Join(fmt.Errorf("SRTP outbound: %w", err), in.Close()))
	}
	s.in.srtp, s.in.srtpOut = in, out
	name := profile.String()
	s.profile.Store(&name)
	s.outbound.Store(out)
	s.setState(StateConnected)
	return nil
}

// refreshDTLSTimer reads when the association's timer fires next.
func (s *Session) refreshDTLSTimer() {
	s.in.dtlsAt = time.Time{}
	if at, ok := s.in.dtls.NextTimeout(); ok {
		s.in.dtlsAt = at
	}
}

// sendDTLS sends the datagrams of the association to dst.
func (s *Session) sendDTLS(datagrams [][]byte, dst transport.Addr) {
	for _, d := range datagrams {
		if err := s.ep.WriteTo(d, dst); err != nil {
			s.logger.Debug("webrtc: DTLS datagram not sent", "err", err)
		}
	}
}
