package webrtc

import (
	"errors"
	"strings"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/cgo/dtls"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
)

// TestDTLSFingerprint: the peer's certificate must match a fingerprint of its SDP.
func TestDTLSFingerprint(t *testing.T) {
	e := newTestEngine(t, nil)
	t.Run("match", func(t *testing.T) {
		s, rec := newTestSession(t, e, nil)
		p := newTestPeer(t, s, s.Local().Addrs[0])
		if err := s.SetRemote(p.transport()); err != nil {
			t.Fatal(err)
		}
		p.connect(rec)
	})
	t.Run("one of several", func(t *testing.T) {
		s, rec := newTestSession(t, e, nil)
		p := newTestPeer(t, s, s.Local().Addrs[0])
		other, err := dtls.NewCertificate()
		if err != nil {
			t.Fatal(err)
		}
		remote := p.transport()
		hash, value := splitFingerprint(other.Fingerprint())
		remote.Fingerprints = append([]sdp.Fingerprint{{HashFunction: "md5", Value: "AB:CD"}, {HashFunction: hash, Value: value}},
			remote.Fingerprints...)
		if err := s.SetRemote(remote); err != nil {
			t.Fatal(err)
		}
		p.connect(rec)
	})
	t.Run("mismatch", func(t *testing.T) {
		s, rec := newTestSession(t, e, nil)
		p := newTestPeer(t, s, s.Local().Addrs[0])
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
			t.Fatalf("reason %s", ev.reason)
		}
		if st := s.Stats(); st.SRTPProfile != "" {
			t.Fatalf("SRTP keyed after a failed handshake: %+v", st)
		}
	})
}

// TestChromiumClientHello routes the two datagrams of a real Chromium ClientHello to a session, which answers with
// its first flight, whether SetRemote came before them or after.
func TestChromiumClientHello(t *testing.T) {
	e := newTestEngine(t, nil)
	for _, early := range []bool{false, true} {
		name := "SetRemote first"
		if early {
			name = "ClientHello before SetRemote"
		}
		t.Run(name, func(t *testing.T) {
			s, _ := newTestSession(t, e, nil)
			p := newTestPeer(t, s, s.Local().Addrs[0])
			if !early {
				if err := s.SetRemote(p.transport()); err != nil {
					t.Fatal(err)
				}
			}
			p.mustCheck(true)
			for _, d := range readChromiumClientHello(t) {
				p.send(d)
			}
			if early {
				if _, ok := p.readKind(transport.KindDTLS, noAnswerWait); ok {
					t.Fatal("DTLS answered before the remote fingerprint was known")
				}
				if err := s.SetRemote(p.transport()); err != nil {
					t.Fatal(err)
				}
			}
			flight, ok := p.readKind(transport.KindDTLS, waitTimeout)
			if !ok {
				t.Fatal("no answer to the ClientHello")
			}
			// A DTLS 1.2 handshake record (22, 0xfefd) of epoch 0 holding the ServerHello (2).
			if flight[0] != 22 || flight[1] != 0xfe || flight[2] != 0xfd || len(flight) < 14 || flight[13] != 2 {
				t.Fatalf("first flight starts % x", flight[:min(len(flight), 16)])
			}
			if n := s.Stats().DTLSIn; n != 2 {
				t.Fatalf("DTLSIn = %d", n)
			}
		})
	}
}

// TestEarlyHandshake: a browser answering a listener offer checks and starts DTLS before its answer reaches the
// server; the handshake completes once SetRemote gives the fingerprint.
func TestEarlyHandshake(t *testing.T) {
	e := newTestEngine(t, nil)
	s, rec := newTestSession(t, e, nil)
	p := newTestPeer(t, s, s.Local().Addrs[0])
	p.mustCheck(true)
	checked := s.Stats().Transport.DatagramsIn
	go func() {
		// The answer is on its way through the websocket: it arrives once the peer's first flight has.
		if !testkit.Eventually(waitTimeout, func() bool { return s.Stats().Transport.DatagramsIn > checked }) {
			t.Error("no DTLS datagram before the answer")
		}
		if err := s.SetRemote(p.transport()); err != nil {
			t.Error(err)
		}
	}()
	if err := p.handshake(); err != nil {
		t.Fatal(err)
	}
	rec.waitState(t, StateConnected)
}

// TestPeerClose: the peer's close_notify closes the session with ReasonPeerClosed.
func TestPeerClose(t *testing.T) {
	e := newTestEngine(t, nil)
	s, rec := newTestSession(t, e, nil)
	p := newTestPeer(t, s, s.Local().Addrs[0])
	if err := s.SetRemote(p.transport()); err != nil {
		t.Fatal(err)
	}
	p.connect(rec)
	send, err := p.dtls.Close()
	if err != nil {
		t.Fatal(err)
	}
	p.dtls = nil
	p.sendAll(send)
	if ev := rec.waitState(t, StateClosed); ev.reason != ReasonPeerClosed {
		t.Fatalf("reason %s", ev.reason)
	}
	waitDone(t, s)
	if err := s.WriteRTP(rtpPacket(1, 1, nil)); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after the end: %v", err)
	}
}

// TestForgedDTLSRecordAfterHandshake: a short record in the current epoch (found by FuzzSession), which OpenSSL
// alone would take as fatal, is dropped: the session keeps its media and sends the browser nothing.
func TestForgedDTLSRecordAfterHandshake(t *testing.T) {
	e := newTestEngine(t, nil)
	s, rec := newTestSession(t, e, nil)
	p := newTestPeer(t, s, s.Local().Addrs[0])
	if err := s.SetRemote(p.transport()); err != nil {
		t.Fatal(err)
	}
	p.connect(rec)
	handled := s.Stats().DTLSIn
	p.send([]byte{0x15, 0xfe, 0xfd, 0x00, 0x01, 0x00, 0x00, 0x00, 0xff, 0x7f, 0x00, 0x00, 0x02, 0x02, 0x28})
	testkit.WaitFor(t, waitTimeout, "record handled", func() bool { return s.Stats().DTLSIn == handled+1 })
	if st := s.Stats(); st.DTLSRecordsDropped != 1 || st.DTLSDropped != 0 {
		t.Fatalf("records dropped %d, datagrams dropped %d; want the forged record counted once",
			st.DTLSRecordsDropped, st.DTLSDropped)
	}
	if b, ok := p.readKind(transport.KindDTLS, noAnswerWait); ok {
		t.Fatalf("the session sent the peer a DTLS datagram: % x", b)
	}
	sent := rtpPacket(1, 3, []byte("still connected"))
	if err := s.WriteRTP(sent); err != nil {
		t.Fatal(err)
	}
	if got, ok := p.readMedia(false, waitTimeout); !ok || string(got) != string(sent) {
		t.Fatalf("got % x (%v)", got, ok)
	}
	s.Close()
	waitDone(t, s)
	if s.Reason() != ReasonClosed {
		t.Fatalf("reason %s", s.Reason())
	}
}

// TestCloseDuringHandshakeTellsPeer: a session closed while its handshake is under way sends the browser a fatal
// user_canceled alert, which ends the browser's handshake at once instead of at its own timeout.
func TestCloseDuringHandshakeTellsPeer(t *testing.T) {
	e := newTestEngine(t, nil)
	s, _ := newTestSession(t, e, nil)
	p := newTestPeer(t, s, s.Local().Addrs[0])
	if err := s.SetRemote(p.transport()); err != nil {
		t.Fatal(err)
	}
	p.mustCheck(true)
	ep, err := p.ctx.NewEndpointWith(dtls.EndpointParams{Role: dtls.RoleClient, RemoteFingerprints: []dtls.Fingerprint{p.serverFP}})
	if err != nil {
		t.Fatal(err)
	}
	p.dtls = ep
	hello, err := ep.Start()
	if err != nil {
		t.Fatal(err)
	}
	p.sendAll(hello)
	for closed := false; ; {
		b, ok := p.readKind(transport.KindDTLS, waitTimeout)
		if !ok {
			t.Fatal("no DTLS datagram from the session")
		}
		if !closed {
			s.Close() // the server's flight is out: the handshake is under way
			closed = true
		}
		// The client's last flight is never sent: the server would complete.
		if _, err := ep.HandleDatagram(b); err != nil {
			if !strings.Contains(err.Error(), "alert user cancelled") {
				t.Fatalf("client's handshake: %v, want it ended by user_canceled", err)
			}
			break
		}
	}
	waitDone(t, s)
	if s.Reason() != ReasonClosed {
		t.Fatalf("reason %s", s.Reason())
	}
}
