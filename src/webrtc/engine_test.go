package webrtc

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/cgo/dtls"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
)

func TestEngineConfig(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"public IPv4 not IPv4", func(c *Config) { c.Transport.PublicIPv4 = netip.IPv6Loopback() }},
		{"ICE timeout too short", func(c *Config) { c.ICETimeout = 1 }},
		{"negative consent timeout", func(c *Config) { c.ConsentTimeout = -1 }},
		{"huge write queue", func(c *Config) { c.WriteQueue = 1 << 20 }},
		{"inverted port range", func(c *Config) { c.Transport.PortMin, c.Transport.PortMax = 5000, 4000 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			tt.edit(&cfg)
			e, err := NewEngineWith(cfg)
			if err == nil {
				_ = e.Close()
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrBadConfig) && !errors.Is(err, transport.ErrBadConfig) {
				t.Fatalf("error %v", err)
			}
		})
	}
}

func TestSessionParams(t *testing.T) {
	e := newTestEngine(t, nil)
	good := negotiate.Transport{ICEUfrag: "peerUfrag", ICEPwd: "peerPasswordOf22chars+/", Setup: sdp.SetupActive,
		Fingerprints: []sdp.Fingerprint{{HashFunction: "sha-256", Value: strings.Repeat("AB:", 31) + "AB"}}}
	with := func(edit func(*negotiate.Transport)) *negotiate.Transport {
		r := good
		edit(&r)
		return &r
	}
	tests := []struct {
		name   string
		params SessionParams
		err    error
	}{
		{"no handler", SessionParams{}, ErrBadParams},
		{"ufrag without pwd", SessionParams{Handler: newRecorder(), LocalUfrag: "abcd"}, ErrBadParams},
		{"short ufrag", SessionParams{Handler: newRecorder(), LocalUfrag: "abc", LocalPwd: strings.Repeat("p", 22)}, ErrBadParams},
		{"short pwd", SessionParams{Handler: newRecorder(), LocalUfrag: "abcd", LocalPwd: strings.Repeat("p", 21)}, ErrBadParams},
		{"ufrag with a colon", SessionParams{Handler: newRecorder(), LocalUfrag: "ab:cd", LocalPwd: strings.Repeat("p", 22)}, ErrBadParams},
		{"negative write queue", SessionParams{Handler: newRecorder(), WriteQueue: -1}, ErrBadParams},
		{"remote without ufrag", SessionParams{Handler: newRecorder(), Remote: with(func(r *negotiate.Transport) { r.ICEUfrag = "" })}, ErrBadParams},
		{"remote short pwd", SessionParams{Handler: newRecorder(), Remote: with(func(r *negotiate.Transport) { r.ICEPwd = "short" })}, ErrBadParams},
		{"remote holdconn", SessionParams{Handler: newRecorder(), Remote: with(func(r *negotiate.Transport) { r.Setup = sdp.SetupHoldConn })}, ErrBadParams},
		{"remote without fingerprint", SessionParams{Handler: newRecorder(), Remote: with(func(r *negotiate.Transport) { r.Fingerprints = nil })}, ErrBadParams},
		{"remote md5 fingerprint", SessionParams{Handler: newRecorder(), Remote: with(func(r *negotiate.Transport) {
			r.Fingerprints = []sdp.Fingerprint{{HashFunction: "md5", Value: strings.Repeat("AB:", 15) + "AB"}}
		})}, ErrBadParams},
		{"remote fingerprint of the wrong length", SessionParams{Handler: newRecorder(), Remote: with(func(r *negotiate.Transport) {
			r.Fingerprints = []sdp.Fingerprint{{HashFunction: "sha-256", Value: "AB:CD"}}
		})}, ErrBadParams},
		{"too many remote fingerprints", SessionParams{Handler: newRecorder(), Remote: with(func(r *negotiate.Transport) {
			r.Fingerprints = slices.Repeat(good.Fingerprints, dtls.MaxRemoteFingerprints+1)
		})}, ErrBadParams},
		{"given credentials and remote", SessionParams{Handler: newRecorder(), LocalUfrag: "myUfrag",
			LocalPwd: "myPasswordOf22chars+/xy", Remote: &good}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := e.NewSessionWith(tt.params)
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			defer func() { s.Close(); <-s.Done() }()
			if l := s.Local(); l.ICEUfrag != tt.params.LocalUfrag || l.ICEPwd != tt.params.LocalPwd || s.ID() != l.ICEUfrag {
				t.Fatalf("local %+v", l)
			}
			if err := s.SetRemote(good); !errors.Is(err, ErrRemoteSet) {
				t.Fatalf("second remote: %v", err)
			}
			if _, err := e.NewSessionWith(SessionParams{Handler: newRecorder(), LocalUfrag: tt.params.LocalUfrag,
				LocalPwd: tt.params.LocalPwd}); !errors.Is(err, transport.ErrUfragInUse) {
				t.Fatalf("same ufrag twice: %v", err)
			}
		})
	}
}

// TestLocal: generated credentials are long enough, distinct, and the candidates are the public address.
func TestLocal(t *testing.T) {
	e := newTestEngine(t, func(c *Config) { c.Transport.PublicIPv4 = netip.MustParseAddr("203.0.113.9") })
	a, _ := newTestSession(t, e, nil)
	b, _ := newTestSession(t, e, nil)
	la, lb := a.Local(), b.Local()
	if !validICECredentials(la.ICEUfrag, la.ICEPwd) {
		t.Fatalf("credentials %q %q", la.ICEUfrag, la.ICEPwd)
	}
	if la.ICEUfrag == lb.ICEUfrag || la.ICEPwd == lb.ICEPwd {
		t.Fatal("two sessions share credentials")
	}
	if len(la.Addrs) != 1 || la.Addrs[0].Addr() != netip.MustParseAddr("203.0.113.9") || la.Addrs[0] != lb.Addrs[0] {
		t.Fatalf("candidates %v %v", la.Addrs, lb.Addrs)
	}
	if len(la.Fingerprints) != 1 || la.Fingerprints[0] != e.Fingerprint() || la.Fingerprints[0].HashFunction != "sha-256" {
		t.Fatalf("fingerprints %v", la.Fingerprints)
	}
}

// TestPortRange: each session gets its own port of the range, the range bounds the sessions, a closed session's
// port is reused, and a session connects in that mode.
func TestPortRange(t *testing.T) {
	base := freePortRange(t, 3)
	e := newTestEngine(t, func(c *Config) { c.Transport.PortMin, c.Transport.PortMax = base, base+2 })
	ports := map[uint16]*Session{}
	var sessions []*Session
	for range 3 {
		s, _ := newTestSession(t, e, nil)
		addrs := s.Local().Addrs
		if len(addrs) != 1 || int(addrs[0].Port()) < base || int(addrs[0].Port()) > base+2 || ports[addrs[0].Port()] != nil {
			t.Fatalf("candidate %v (range %d-%d, taken %v)", addrs, base, base+2, ports)
		}
		ports[addrs[0].Port()] = s
		sessions = append(sessions, s)
	}
	if _, err := e.NewSessionWith(SessionParams{Handler: newRecorder()}); !errors.Is(err, transport.ErrNoPort) {
		t.Fatalf("fourth session: %v", err)
	}
	freed := sessions[1].Local().Addrs[0].Port()
	sessions[1].Close()
	waitDone(t, sessions[1])
	s, rec := newTestSession(t, e, nil)
	if got := s.Local().Addrs[0].Port(); got != freed {
		t.Fatalf("new session on port %d, want the freed %d", got, freed)
	}
	p := newTestPeer(t, s, s.Local().Addrs[0])
	if err := s.SetRemote(p.transport()); err != nil {
		t.Fatal(err)
	}
	p.connect(rec)
	// A check for this session sent to another session's port is not routed.
	other := newTestPeer(t, s, sessions[0].Local().Addrs[0])
	if resp := other.check(checkOpts{}, noAnswerWait); resp != nil {
		t.Fatalf("check on another session's port answered: %s", describe(resp))
	}
}

// freePortRange finds n consecutive free UDP ports on loopback.
func freePortRange(tb testing.TB, n int) int {
	tb.Helper()
	for base := 30000 + os.Getpid()%20000; base < 60000; base += 97 {
		ok := true
		for port := base; port < base+n && ok; port++ {
			c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback4, uint16(port))))
			if err != nil {
				ok = false
				continue
			}
			if err := c.Close(); err != nil {
				tb.Fatal(err)
			}
		}
		if ok {
			return base
		}
	}
	tb.Fatal("no free port range")
	return 0
}

// TestIPv6 connects a peer over ::1 when the machine has IPv6 loopback.
func TestIPv6(t *testing.T) {
	probe, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	if err := probe.Close(); err != nil {
		t.Fatal(err)
	}
	e := newTestEngine(t, func(c *Config) {
		c.Transport.PublicIPv6, c.Transport.ListenIPv6 = netip.IPv6Loopback(), netip.IPv6Loopback()
	})
	s, rec := newTestSession(t, e, nil)
	addrs := s.Local().Addrs
	if len(addrs) != 2 || !addrs[0].Addr().Is4() || addrs[1].Addr() != netip.IPv6Loopback() || addrs[0].Port() != addrs[1].Port() {
		t.Fatalf("candidates %v", addrs)
	}
	p := newTestPeer(t, s, addrs[1])
	if err := s.SetRemote(p.transport()); err != nil {
		t.Fatal(err)
	}
	p.connect(rec)
	if sel, _ := s.Selected(); !sel.AddrPort.Addr().Is6() {
		t.Fatalf("selected %v", sel)
	}
	sent := rtpPacket(3, 6, []byte("over IPv6"))
	if err := s.WriteRTP(sent); err != nil {
		t.Fatal(err)
	}
	if got, ok := p.readMedia(false, waitTimeout); !ok || string(got) != string(sent) {
		t.Fatalf("got % x (%v)", got, ok)
	}
}
