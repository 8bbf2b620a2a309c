package webrtc

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/dtls"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
)

// TestServerAsDTLSClient: with a passive peer (its SDP says setup:passive, as pion answers an ICE-lite offerer)
// the session is the DTLS client: it sends the ClientHello once a check is verified and the peer's transport is
// known, whichever comes last; then SRTP flows both ways, and Close sends close_notify.
func TestServerAsDTLSClient(t *testing.T) {
	e := newTestEngine(t, nil)
	for _, late := range []bool{false, true} {
		name := "SetRemote before the first check"
		if late {
			name = "SetRemote after the first check"
		}
		t.Run(name, func(t *testing.T) {
			s, rec := newTestSession(t, e, nil)
			p := newTestPeer(t, s, s.Local().Addrs[0])
			p.passive = true
			if !late {
				if err := s.SetRemote(p.transport()); err != nil {
					t.Fatal(err)
				}
			}
			p.mustCheck(true)
			if late {
				rec.waitState(t, StateChecking)
				if err := s.SetRemote(p.transport()); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.handshake(); err != nil {
				t.Fatalf("handshake with the server as the DTLS client: %v", err)
			}
			rec.waitState(t, StateConnected)

			in := rtpPacket(1, 0xabc, []byte("from the passive peer"))
			p.sendRTP(rtpPacket(1, 0xabc, []byte("from the passive peer")))
			select {
			case got := <-rec.rtp:
				if !bytes.Equal(got, in) {
					t.Fatalf("the session got % x, want % x", got, in)
				}
			case <-time.After(waitTimeout):
				t.Fatal("no RTP from the peer")
			}
			out := rtpPacket(2, 0xdef, []byte("to the passive peer"))
			if err := s.WriteRTP(out); err != nil {
				t.Fatal(err)
			}
			if got, ok := p.readMedia(false, waitTimeout); !ok || !bytes.Equal(got, out) {
				t.Fatalf("the peer got % x (%v), want % x", got, ok, out)
			}

			s.Close()
			waitDone(t, s)
			b, ok := p.readKind(transport.KindDTLS, waitTimeout)
			if !ok {
				t.Fatal("no close_notify from the session")
			}
			if _, err := p.dtls.HandleDatagram(b); !errors.Is(err, dtls.ErrPeerClosed) {
				t.Fatalf("the session's last DTLS datagram: %v, want its close_notify", err)
			}
		})
	}
}

// TestServerAsDTLSClientFailures: as the DTLS client the session retransmits its ClientHello and gives up after
// DTLSTimeout, fails on a certificate that does not match the SDP, and drops what a passive peer sends before it.
func TestServerAsDTLSClientFailures(t *testing.T) {
	t.Run("unanswered ClientHello", func(t *testing.T) {
		// The retransmission comes after 1 s; the timeout 1.5 s later, so that a stalled machine keeps their order.
		e := newTestEngine(t, func(c *Config) { c.DTLSTimeout = 2500 * time.Millisecond })
		s, rec := newTestSession(t, e, nil)
		p := newTestPeer(t, s, s.Local().Addrs[0])
		p.passive = true
		if err := s.SetRemote(p.transport()); err != nil {
			t.Fatal(err)
		}
		p.mustCheck(true)
		hellos := 0
		for {
			if _, ok := p.readKind(transport.KindDTLS, waitTimeout); !ok {
				break
			}
			if hellos++; hellos == 2 {
				break
			}
		}
		if hellos != 2 {
			t.Fatalf("%d ClientHellos, want the first and a retransmission", hellos)
		}
		if ev := rec.waitState(t, StateFailed); ev.reason != ReasonDTLSTimeout {
			t.Fatalf("reason %s, want %s", ev.reason, ReasonDTLSTimeout)
		}
	})
	t.Run("certificate mismatch", func(t *testing.T) {
		e := newTestEngine(t, nil)
		s, rec := newTestSession(t, e, nil)
		p := newTestPeer(t, s, s.Local().Addrs[0])
		p.passive = true
		other, err := dtls.NewCertificate()
		if err != nil {
			t.Fatal(err)
		}
		remote := p.transport()
		hash, value := splitFingerprint(other.Fingerprint())
		remote.Fingerprints = []sdp.Fingerprint{{HashFunction: hash, Value: value}}
		if err := s.SetRemote(remote); err != nil {
			t.Fatal(err)
		}
		p.mustCheck(true)
		if err := p.handshake(); err == nil {
			t.Fatal("handshake succeeded with a certificate that does not match the SDP")
		}
		if ev := rec.waitState(t, StateFailed); ev.reason != ReasonDTLSFailed {
			t.Fatalf("reason %s, want %s", ev.reason, ReasonDTLSFailed)
		}
	})
	t.Run("DTLS from the passive peer first", func(t *testing.T) {
		e := newTestEngine(t, nil)
		s, rec := newTestSession(t, e, nil)
		p := newTestPeer(t, s, s.Local().Addrs[0])
		p.passive = true
		p.mustCheck(true)
		p.send([]byte{22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0})
		p.mustCheck(false) // answered after the datagram was taken: it waits for SetRemote
		if err := s.SetRemote(p.transport()); err != nil {
			t.Fatal(err)
		}
		if err := p.handshake(); err != nil {
			t.Fatalf("handshake: %v", err)
		}
		rec.waitState(t, StateConnected)
		if n := s.Stats().DTLSDropped; n != 1 {
			t.Fatalf("DTLSDropped %d, want the passive peer's early datagram", n)
		}
	})
}
