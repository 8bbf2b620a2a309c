package webrtc

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
)

// tcpPath is a test peer's ICE-TCP connection (the active side, as a browser's), framed as RFC 4571 says.
type tcpPath struct {
	conn *net.TCPConn
	r    *bufio.Reader
}

// dialTCP opens an ICE-TCP connection to server, closed at the end of the test.
func dialTCP(tb testing.TB, server netip.AddrPort) *tcpPath {
	tb.Helper()
	conn, err := net.DialTCP("tcp", nil, net.TCPAddrFromAddrPort(server))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = conn.Close() })
	return &tcpPath{conn: conn, r: bufio.NewReader(conn)}
}

func (c *tcpPath) addr() transport.Addr {
	return transport.TCPAddr(c.conn.LocalAddr().(*net.TCPAddr).AddrPort())
}

func (c *tcpPath) send(tb testing.TB, b []byte) {
	tb.Helper()
	frame := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(b)), uint16(len(b)))
	if _, err := c.conn.Write(append(frame, b...)); err != nil {
		tb.Fatal(err)
	}
}

// read returns the next frame in buf, false after timeout. A timeout inside a frame is a failure: the stream
// cannot be read further.
func (c *tcpPath) read(tb testing.TB, buf []byte, timeout time.Duration) ([]byte, bool) {
	tb.Helper()
	if err := c.conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		tb.Fatal(err)
	}
	var ne net.Error
	if _, err := c.r.Peek(2); errors.As(err, &ne) && ne.Timeout() {
		return nil, false
	} else if err != nil {
		tb.Fatal(err)
	}
	if err := c.conn.SetReadDeadline(time.Now().Add(waitTimeout)); err != nil {
		tb.Fatal(err)
	}
	var hdr [2]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		tb.Fatal(err)
	}
	n := int(binary.BigEndian.Uint16(hdr[:]))
	if n > len(buf) {
		tb.Fatalf("frame of %d bytes", n)
	}
	if _, err := io.ReadFull(c.r, buf[:n]); err != nil {
		tb.Fatal(err)
	}
	return buf[:n], true
}

// newTCPEngine is a test Engine with ICE-TCP on a free loopback port.
func newTCPEngine(tb testing.TB, edit func(*Config)) *Engine {
	tb.Helper()
	return newTestEngine(tb, func(c *Config) {
		c.Transport.TCP = true
		if edit != nil {
			edit(c)
		}
	})
}

// exchangeMedia checks that RTP goes both ways between s and p, on the path p uses now.
func exchangeMedia(t *testing.T, s *Session, p *testPeer, rec *recorder, seq uint16) {
	t.Helper()
	p.sendRTP(rtpPacket(seq, 5, []byte("from the peer")))
	select {
	case got := <-rec.rtp:
		if string(got[12:]) != "from the peer" {
			t.Fatalf("session got % x", got)
		}
	case <-time.After(waitTimeout):
		t.Fatal("the session got no RTP")
	}
	sent := rtpPacket(seq, 6, []byte("to the peer"))
	if err := s.WriteRTP(sent); err != nil {
		t.Fatal(err)
	}
	if got, ok := p.readMedia(false, waitTimeout); !ok || string(got) != string(sent) {
		t.Fatalf("the peer read % x (%v), want % x", got, ok, sent)
	}
}

// TestICETCP connects a peer whose UDP is blocked: over the session's passive ICE-TCP candidate, checks, DTLS
// and SRTP all go in RFC 4571 frames, and media flows both ways; the check's XOR-MAPPED-ADDRESS is the peer's end
// of the connection.
func TestICETCP(t *testing.T) {
	e := newTCPEngine(t, nil)
	s, rec := newTestSession(t, e, nil)
	local := s.Local()
	if len(local.TCPAddrs) != 1 || local.TCPAddrs[0].Addr() != loopback4 {
		t.Fatalf("TCP candidates %v", local.TCPAddrs)
	}
	p := newTestPeer(t, s, local.Addrs[0])
	p.tcp = dialTCP(t, local.TCPAddrs[0])
	if err := s.SetRemote(p.transport()); err != nil {
		t.Fatal(err)
	}
	p.connect(rec)
	if sel, _ := s.Selected(); sel != p.addr() || sel.Network != transport.TCP {
		t.Fatalf("selected %v, want %v", sel, p.addr())
	}
	exchangeMedia(t, s, p, rec, 1)
	testkit.WaitFor(t, waitTimeout, "TCP frames both ways and no UDP", func() bool {
		st := e.Stats().Transport
		return st.TCP.FramesIn > 0 && st.TCP.FramesOut > 0 && st.DatagramsIn == 0
	})
}

// TestSwitchBetweenUDPAndTCP: before any nomination a TCP check does not take media off UDP; the peer's
// nominations then move media from UDP to ICE-TCP and back, and consent follows the selected path.
func TestSwitchBetweenUDPAndTCP(t *testing.T) {
	e := newTCPEngine(t, func(c *Config) { c.ConsentTimeout = consent })
	s, rec := newTestSession(t, e, nil)
	local := s.Local()
	p := newTestPeer(t, s, local.Addrs[0])
	if err := s.SetRemote(p.transport()); err != nil {
		t.Fatal(err)
	}
	udp := p.addr()
	p.mustCheck(false)
	tcp := dialTCP(t, local.TCPAddrs[0])
	p.tcp = tcp
	p.mustCheck(false)
	if sel, _ := s.Selected(); sel != udp {
		t.Fatalf("a TCP check without nomination moved media from %v to %v", udp, sel)
	}
	p.tcp = nil
	p.connect(rec)
	exchangeMedia(t, s, p, rec, 1)

	p.tcp = tcp
	p.mustCheck(true)
	if sel, _ := s.Selected(); sel != tcp.addr() {
		t.Fatalf("selected %v after the nomination of %v", sel, tcp.addr())
	}
	exchangeMedia(t, s, p, rec, 2)
	renewConsent(p, 2*consent) // checks over TCP only
	if st := s.State(); st != StateConnected {
		t.Fatalf("state %s while consent was renewed over TCP", st)
	}

	p.tcp = nil
	p.mustCheck(true)
	if sel, _ := s.Selected(); sel != udp {
		t.Fatalf("selected %v after the nomination of %v", sel, udp)
	}
	exchangeMedia(t, s, p, rec, 3)
	if st := s.Stats(); st.AddressSwitches != 2 {
		t.Fatalf("address switches %d, want 2", st.AddressSwitches)
	}
}

// TestICETCPIPv6 connects over ICE-TCP on ::1 when the machine has IPv6 loopback.
func TestICETCPIPv6(t *testing.T) {
	probe, err := net.ListenTCP("tcp6", &net.TCPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	if err := probe.Close(); err != nil {
		t.Fatal(err)
	}
	e := newTCPEngine(t, func(c *Config) {
		c.Transport.PublicIPv6, c.Transport.ListenIPv6 = netip.IPv6Loopback(), netip.IPv6Loopback()
	})
	s, rec := newTestSession(t, e, nil)
	local := s.Local()
	if len(local.TCPAddrs) != 2 || local.TCPAddrs[1].Addr() != netip.IPv6Loopback() {
		t.Fatalf("TCP candidates %v", local.TCPAddrs)
	}
	p := newTestPeer(t, s, local.Addrs[1])
	p.tcp = dialTCP(t, local.TCPAddrs[1])
	if err := s.SetRemote(p.transport()); err != nil {
		t.Fatal(err)
	}
	p.connect(rec)
	if sel, _ := s.Selected(); !sel.AddrPort.Addr().Is6() || sel.Network != transport.TCP {
		t.Fatalf("selected %v", sel)
	}
	exchangeMedia(t, s, p, rec, 1)
}

// TestSwitchBetweenIPv4AndIPv6: a peer connected over IPv4 UDP nominates its IPv6 address, then its IPv6 ICE-TCP
// connection: media follows each nomination, and consent holds on the IPv6 path.
func TestSwitchBetweenIPv4AndIPv6(t *testing.T) {
	probe, err := net.ListenTCP("tcp6", &net.TCPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	if err := probe.Close(); err != nil {
		t.Fatal(err)
	}
	e := newTCPEngine(t, func(c *Config) {
		c.ConsentTimeout = consent
		c.Transport.PublicIPv6, c.Transport.ListenIPv6 = netip.IPv6Loopback(), netip.IPv6Loopback()
	})
	s, rec := newTestSession(t, e, nil)
	local := s.Local()
	p := newTestPeer(t, s, local.Addrs[0])
	if err := s.SetRemote(p.transport()); err != nil {
		t.Fatal(err)
	}
	p.connect(rec)
	exchangeMedia(t, s, p, rec, 1)

	old := p.conn
	defer old.Close()
	p.server, p.conn = local.Addrs[1], listenLike(t, local.Addrs[1])
	p.mustCheck(true)
	if sel, _ := s.Selected(); !sel.AddrPort.Addr().Is6() || sel.Network != transport.UDP {
		t.Fatalf("selected %v after the nomination of an IPv6 address", sel)
	}
	exchangeMedia(t, s, p, rec, 2)
	renewConsent(p, 2*consent) // checks over IPv6 only
	if st := s.State(); st != StateConnected {
		t.Fatalf("state %s while consent was renewed over IPv6", st)
	}

	p.tcp = dialTCP(t, local.TCPAddrs[1])
	p.mustCheck(true)
	if sel, _ := s.Selected(); !sel.AddrPort.Addr().Is6() || sel.Network != transport.TCP {
		t.Fatalf("selected %v after the nomination of an IPv6 TCP connection", sel)
	}
	exchangeMedia(t, s, p, rec, 3)
	if st := s.Stats(); st.AddressSwitches != 2 {
		t.Fatalf("address switches %d, want 2", st.AddressSwitches)
	}
}
