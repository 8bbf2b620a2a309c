package webrtc

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	"github.com/heytribe/live-webrtcsignaling/src/stun"
)

// noAnswerWait is how long a test waits to conclude that a check got no answer.
const noAnswerWait = 300 * time.Millisecond

// TestChecks sends checks right and wrong in each field and looks at the answer and the counters.
func TestChecks(t *testing.T) {
	e := newTestEngine(t, nil)
	wrongPwd, err := stun.NewShortTermIntegrity("thisIsNotTheServerPassword")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		opts    func(p *testPeer) checkOpts
		answer  string // describe() of the answer
		signed  bool   // the answer carries the session's MESSAGE-INTEGRITY
		counter func(Counters) uint64
	}{
		{"valid", func(*testPeer) checkOpts { return checkOpts{} }, "binding success response", true,
			func(c Counters) uint64 { return c.ChecksOK }},
		{"valid nomination", func(*testPeer) checkOpts { return checkOpts{useCandidate: true} }, "binding success response", true,
			func(c Counters) uint64 { return c.ChecksOK }},
		{"remote ufrag of another peer", func(p *testPeer) checkOpts { return checkOpts{username: p.serverUfrag + ":someoneElse"} },
			"401 Unauthenticated", false, func(c Counters) uint64 { return c.STUNUsername }},
		{"wrong password", func(*testPeer) checkOpts { return checkOpts{integrity: wrongPwd} }, "401 Unauthenticated", false,
			func(c Counters) uint64 { return c.STUNIntegrity }},
		{"no MESSAGE-INTEGRITY", func(*testPeer) checkOpts { return checkOpts{noIntegrity: true} }, "400 Bad Request", false,
			func(c Counters) uint64 { return c.STUNIntegrity }},
		{"no FINGERPRINT", func(*testPeer) checkOpts { return checkOpts{noFingerprint: true} }, "no answer", false,
			func(c Counters) uint64 { return c.STUNFingerprint }},
		{"peer claims the controlled role", func(*testPeer) checkOpts { return checkOpts{role: stun.RoleControlled} },
			"487 Role Conflict", true, func(c Counters) uint64 { return c.STUNRoleConflict }},
		{"USERNAME without a colon", func(p *testPeer) checkOpts { return checkOpts{username: p.serverUfrag} },
			"no answer", false, nil}, // no usable ufrag: the transport cannot route it
		{"ufrag of no session", func(p *testPeer) checkOpts { return checkOpts{username: "nobodyHere:" + p.ufrag} },
			"no answer", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestSession(t, e, nil)
			p := newTestPeer(t, s, s.Local().Addrs[0])
			if err := s.SetRemote(p.transport()); err != nil {
				t.Fatal(err)
			}
			before := e.Stats().Transport
			wait := waitTimeout
			if tt.answer == "no answer" {
				wait = noAnswerWait
			}
			resp := p.check(tt.opts(p), wait)
			if got := describe(resp); got != tt.answer {
				t.Fatalf("answer %q, want %q", got, tt.answer)
			}
			if resp != nil {
				if err := resp.CheckFingerprint(); err != nil {
					t.Fatalf("answer without a valid FINGERPRINT: %v", err)
				}
				integrityErr := p.serverPwd.Check(resp)
				if tt.signed != (integrityErr == nil) {
					t.Fatalf("answer integrity: %v, want signed %v", integrityErr, tt.signed)
				}
			}
			if tt.counter != nil {
				testkit.WaitFor(t, waitTimeout, "counter", func() bool { return tt.counter(s.Stats().Counters) == 1 })
			} else {
				testkit.WaitFor(t, waitTimeout, "DropUnknownUfrag", func() bool {
					return e.Stats().Transport.DropUnknownUfrag == before.DropUnknownUfrag+1
				})
			}
			if tt.answer == "binding success response" {
				testkit.WaitFor(t, waitTimeout, "state checking", func() bool { return s.State() == StateChecking })
			} else if st := s.State(); st != StateNew {
				t.Fatalf("state %s after a check that failed", st)
			}
		})
	}
}

// TestChecksBeforeSetRemote: the browser may check before its answer reached the server (listener sessions); the
// password alone authenticates it until the remote ufrag is known.
func TestChecksBeforeSetRemote(t *testing.T) {
	e := newTestEngine(t, nil)
	s, rec := newTestSession(t, e, nil)
	p := newTestPeer(t, s, s.Local().Addrs[0])
	p.mustCheck(false)
	rec.waitState(t, StateChecking)
	if err := s.SetRemote(p.transport()); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, waitTimeout, "remote applied", func() bool {
		return describe(p.check(checkOpts{username: p.serverUfrag + ":otherUfrag"}, waitTimeout)) == "401 Unauthenticated"
	})
	p.mustCheck(true)
}

// TestNominationAndSwitch: media goes to the nominated address; a check from another address without nomination
// changes nothing; its nomination moves media there.
func TestNominationAndSwitch(t *testing.T) {
	e := newTestEngine(t, nil)
	s, rec := newTestSession(t, e, nil)
	p := newTestPeer(t, s, s.Local().Addrs[0])
	if err := s.SetRemote(p.transport()); err != nil {
		t.Fatal(err)
	}
	p.connect(rec)
	first := p.addr()
	if sel, ok := s.Selected(); !ok || sel != first {
		t.Fatalf("selected %v, want %v", sel, first)
	}

	old := p.moveSocket()
	defer old.Close()
	p.mustCheck(false)
	if sel, _ := s.Selected(); sel != first {
		t.Fatalf("a check without nomination moved media to %v", sel)
	}
	p.mustCheck(true)
	if sel, _ := s.Selected(); sel != p.addr() {
		t.Fatalf("selected %v after the nomination of %v", sel, p.addr())
	}
	if n := s.Stats().AddressSwitches; n != 1 {
		t.Fatalf("AddressSwitches = %d", n)
	}
	sent := rtpPacket(1, 0xabc, []byte("after the switch"))
	if err := s.WriteRTP(sent); err != nil {
		t.Fatal(err)
	}
	if got, ok := p.readMedia(false, waitTimeout); !ok || !bytes.Equal(got, sent) {
		t.Fatalf("new socket got % x (%v)", got, ok)
	}
	// Media from the new address is accepted too.
	p.sendRTP(rtpPacket(2, 0x1, []byte("from the new address")))
	select {
	case <-rec.rtp:
	case <-time.After(waitTimeout):
		t.Fatal("RTP from the new address not delivered")
	}
	if err := old.SetReadDeadline(time.Now().Add(noAnswerWait)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	for {
		n, _, err := old.ReadFromUDPAddrPort(buf)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if buf[0] >= 128 && buf[0] <= 191 {
			t.Fatalf("media still sent to the old address: % x", buf[:n])
		}
	}
}

// TestConsent: checks from the selected address keep the session; without them it fails consent-expired, even
// when another (unselected) address keeps checking.
func TestConsent(t *testing.T) {
	e := newTestEngine(t, func(c *Config) { c.ConsentTimeout = consent })
	s, rec := newTestSession(t, e, nil)
	p := newTestPeer(t, s, s.Local().Addrs[0])
	if err := s.SetRemote(p.transport()); err != nil {
		t.Fatal(err)
	}
	p.connect(rec)
	renewConsent(p, 2*consent)
	if st := s.State(); st != StateConnected {
		t.Fatalf("state %s while consent was renewed", st)
	}
	old := p.moveSocket() // checks now come from an address that is not selected
	defer old.Close()
	start := time.Now()
	for s.State() == StateConnected && time.Since(start) < waitTimeout {
		p.mustCheck(false)
		time.Sleep(consent / 10)
	}
	ev := rec.waitState(t, StateFailed)
	if ev.reason != ReasonConsentExpired {
		t.Fatalf("reason %s", ev.reason)
	}
	if elapsed := time.Since(start); elapsed < consent/2 {
		t.Fatalf("consent expired after %v, before its timeout", elapsed)
	}
	waitDone(t, s)
}

// TestTimeouts: a session that sees no check, or no DTLS after its checks, fails with the matching reason.
func TestTimeouts(t *testing.T) {
	const timeout = 200 * time.Millisecond
	e := newTestEngine(t, func(c *Config) { c.ICETimeout, c.DTLSTimeout = timeout, timeout })
	t.Run("ice-timeout", func(t *testing.T) {
		s, rec := newTestSession(t, e, nil)
		if ev := rec.waitState(t, StateFailed); ev.reason != ReasonICETimeout {
			t.Fatalf("reason %s", ev.reason)
		}
		waitDone(t, s)
		if s.Reason() != ReasonICETimeout || s.State() != StateFailed {
			t.Fatalf("%s %s", s.State(), s.Reason())
		}
	})
	t.Run("dtls-timeout", func(t *testing.T) {
		s, rec := newTestSession(t, e, nil)
		p := newTestPeer(t, s, s.Local().Addrs[0])
		if err := s.SetRemote(p.transport()); err != nil {
			t.Fatal(err)
		}
		p.mustCheck(true)
		rec.waitState(t, StateChecking)
		if ev := rec.waitState(t, StateFailed); ev.reason != ReasonDTLSTimeout {
			t.Fatalf("reason %s", ev.reason)
		}
	})
	t.Run("dtls-timeout with a stalled handshake", func(t *testing.T) {
		s, rec := newTestSession(t, e, nil)
		p := newTestPeer(t, s, s.Local().Addrs[0])
		if err := s.SetRemote(p.transport()); err != nil {
			t.Fatal(err)
		}
		p.mustCheck(true)
		for _, d := range readChromiumClientHello(t) { // a ClientHello, then silence
			p.send(d)
		}
		if ev := rec.waitState(t, StateFailed); ev.reason != ReasonDTLSTimeout {
			t.Fatalf("reason %s", ev.reason)
		}
	})
}
