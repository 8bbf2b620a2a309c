package transport

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// newTCPMux is a Mux with ICE-TCP on a free loopback port. Connections wait a minute for a verified check unless
// edit says otherwise, so that a slow machine closes none before the test expects it.
func newTCPMux(tb testing.TB, edit func(*Config)) *Mux {
	tb.Helper()
	return newTestMux(tb, func(c *Config) {
		c.TCP, c.TCPBindTimeout = true, time.Minute
		if edit != nil {
			edit(c)
		}
	})
}

// tcpClient is a browser's ICE-TCP connection (the active side).
type tcpClient struct {
	tb   testing.TB
	conn *net.TCPConn
	r    *bufio.Reader
}

func dialTCP(tb testing.TB, to netip.AddrPort) *tcpClient {
	tb.Helper()
	conn, err := net.DialTCP("tcp", nil, net.TCPAddrFromAddrPort(to))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = conn.Close() })
	return &tcpClient{tb: tb, conn: conn, r: bufio.NewReader(conn)}
}

// addr is the client's end of the connection, as the server sees it.
func (c *tcpClient) addr() Addr { return TCPAddr(c.conn.LocalAddr().(*net.TCPAddr).AddrPort()) }

// write sends raw bytes: frames, or anything.
func (c *tcpClient) write(b []byte) {
	c.tb.Helper()
	if _, err := c.conn.Write(b); err != nil {
		c.tb.Fatal(err)
	}
}

// send sends b as one frame.
func (c *tcpClient) send(b []byte) { c.write(appendFrame(nil, b)) }

// read returns the next frame.
func (c *tcpClient) read() []byte {
	c.tb.Helper()
	if err := c.conn.SetReadDeadline(time.Now().Add(waitTimeout)); err != nil {
		c.tb.Fatal(err)
	}
	buf := make([]byte, MaxDatagramSize)
	n, err := readFrame(c.r, buf)
	if err != nil {
		c.tb.Fatalf("read a frame: %v", err)
	}
	return buf[:n]
}

// waitClosed waits until the server has closed the connection: the read ends without a frame.
func (c *tcpClient) waitClosed() {
	c.tb.Helper()
	if err := c.conn.SetReadDeadline(time.Now().Add(waitTimeout)); err != nil {
		c.tb.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, c.r); err != nil && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		c.tb.Fatalf("the server did not close the connection: %v", err)
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}

// tcpServerAddr is where the Mux's IPv4 ICE-TCP listener is.
func tcpServerAddr(e *Endpoint) netip.AddrPort {
	return netip.AddrPortFrom(loopback4, e.LocalTCPAddrs()[0].Port())
}

// boundTCPClient is a client whose check e received and bound.
func boundTCPClient(tb testing.TB, e *Endpoint) *tcpClient {
	tb.Helper()
	c := dialTCP(tb, tcpServerAddr(e))
	c.send(bindingRequest(tb, e.Ufrag()+":peer"))
	p := receive(tb, e)
	defer p.Release()
	if p.Kind != KindSTUN || p.Source != c.addr() {
		tb.Fatalf("first frame delivered as %s from %v, want stun from %v", p.Kind, p.Source, c.addr())
	}
	if err := e.Bind(p.Source); err != nil {
		tb.Fatal(err)
	}
	return c
}

// exchange checks that e and c still talk both ways: a DTLS frame from c reaches e, and e's answer reaches c.
func exchange(tb testing.TB, e *Endpoint, c *tcpClient) {
	tb.Helper()
	c.send(dtlsDatagram)
	p := receive(tb, e)
	if p.Kind != KindDTLS || !bytes.Equal(p.Data, dtlsDatagram) || p.Source != c.addr() {
		tb.Fatalf("delivered %s % x from %v", p.Kind, p.Data, p.Source)
	}
	p.Release()
	if err := e.WriteTo(srtpDatagram, c.addr()); err != nil {
		tb.Fatal(err)
	}
	if got := c.read(); !bytes.Equal(got, srtpDatagram) {
		tb.Fatalf("client read % x", got)
	}
}

func TestTCPRouteByUfragThenConnection(t *testing.T) {
	m := newTCPMux(t, nil)
	e := newTestEndpoint(t, m, "abcd")
	if got := e.LocalTCPAddrs(); len(got) != 1 || got[0].Addr() != loopback4 || got[0].Port() == 0 {
		t.Fatalf("TCP candidates %v", got)
	}
	c := dialTCP(t, tcpServerAddr(e))
	c.send(bindingRequest(t, "abcd:peer"))
	p := receive(t, e)
	if p.Kind != KindSTUN || p.Source != c.addr() || p.Source.Network != TCP {
		t.Fatalf("delivered %s from %v", p.Kind, p.Source)
	}
	p.Release()
	if st := m.Stats(); st.TCPConns != 1 || st.TCPUnbound != 1 || st.TCP.Accepted != 1 {
		t.Fatalf("before Bind: %+v", st)
	}
	// Before a verified check, only STUN goes through; later checks on the connection go to the same Endpoint
	// whatever their USERNAME says (the session refuses them).
	c.send(dtlsDatagram)
	waitStats(t, m, "DTLS before Bind", func(s Stats) bool { return s.DropUnknownSource == 1 })
	c.send(bindingRequest(t, "zzzz:peer"))
	if p := receive(t, e); p.Kind != KindSTUN {
		t.Fatalf("delivered %s", p.Kind)
	} else {
		p.Release()
	}
	if err := e.Bind(c.addr()); err != nil {
		t.Fatal(err)
	}
	if st := m.Stats(); st.TCPUnbound != 0 {
		t.Fatalf("after Bind: %+v", st)
	}
	exchange(t, e, c)
	if got := e.Bound(); len(got) != 1 || got[0] != c.addr() {
		t.Fatalf("bound %v", got)
	}
	// A UDP source with the same address and port is another path.
	if err := e.WriteTo([]byte("x"), TCPAddr(netip.MustParseAddrPort("127.0.0.1:9"))); !errors.Is(err, ErrNoConnection) {
		t.Fatalf("write to no connection: %v", err)
	}
	other := newTestEndpoint(t, m, "efgh")
	if err := other.Bind(c.addr()); !errors.Is(err, ErrNoConnection) {
		t.Fatalf("another endpoint binds the connection: %v", err)
	}
	if err := other.WriteTo([]byte("x"), c.addr()); !errors.Is(err, ErrNoConnection) {
		t.Fatalf("another endpoint writes on the connection: %v", err)
	}
	// The writer counts once its write has returned, which may be after the client has read the frame.
	waitStats(t, m, "frames counted", func(s Stats) bool {
		return s.TCP.FramesIn == 4 && s.TCP.FramesOut == 1 && s.TCP.BytesOut == uint64(2+len(srtpDatagram))
	})
}

// TestTCPAbuseLeavesOthersAlone has a victim session exchange over ICE-TCP while other clients send garbage, an
// empty frame, a 64 KiB frame, a first frame that is no check or names no session, or nothing at all, or never
// read: each is closed and counted, and the victim keeps exchanging.
func TestTCPAbuseLeavesOthersAlone(t *testing.T) {
	m := newTCPMux(t, func(c *Config) {
		c.TCPBindTimeout = 300 * time.Millisecond
		c.TCPWriteTimeout = 300 * time.Millisecond
		c.TCPWriteQueue = 16 << 10
	})
	victim := newTestEndpoint(t, m, "vict")
	vc := boundTCPClient(t, victim)
	exchange(t, victim, vc)
	to := tcpServerAddr(victim)
	bigFrame := binary.BigEndian.AppendUint16(nil, 0xffff)
	bigFrame = append(bigFrame, make([]byte, 0xffff)...)

	for _, tt := range []struct {
		name    string
		send    []byte
		counter func(TCPStats) uint64
	}{
		// "GE" reads as a length of 18,245 bytes.
		{"an HTTP request", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), func(s TCPStats) uint64 { return s.ClosedOversize }},
		{"unknown kind", appendFrame(nil, []byte{200, 1, 2, 3}), func(s TCPStats) uint64 { return s.ClosedGarbage }},
		{"empty frame", []byte{0, 0}, func(s TCPStats) uint64 { return s.ClosedGarbage }},
		{"64 KiB frame", bigFrame, func(s TCPStats) uint64 { return s.ClosedOversize }},
		{"DTLS first", appendFrame(nil, dtlsDatagram), func(s TCPStats) uint64 { return s.ClosedGarbage }},
		{"unknown ufrag", appendFrame(nil, bindingRequest(t, "zzzz:peer")), func(s TCPStats) uint64 { return s.ClosedGarbage }},
		{"check never verified", appendFrame(nil, bindingRequest(t, "vict:peer")), func(s TCPStats) uint64 { return s.ClosedBindTimeout }},
		{"silent", nil, func(s TCPStats) uint64 { return s.ClosedBindTimeout }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.counter(m.Stats().TCP)
			c := dialTCP(t, to)
			// The server may close while the client still writes: a reset is its answer, not a failure.
			if _, err := c.conn.Write(tt.send); err != nil && !isReset(err) {
				t.Fatal(err)
			}
			c.waitClosed()
			waitStats(t, m, tt.name+" counted", func(s Stats) bool { return tt.counter(s.TCP) == before+1 })
			for {
				select {
				case p := <-victim.Inbound(): // the never-verified check
					p.Release()
					continue
				default:
				}
				break
			}
			exchange(t, victim, vc)
		})
	}

	t.Run("never reads", func(t *testing.T) {
		slow := newTestEndpoint(t, m, "slow")
		sc := boundTCPClient(t, slow)
		if err := sc.conn.SetReadBuffer(4 << 10); err != nil {
			t.Fatal(err)
		}
		frame := make([]byte, 1200)
		frame[0] = 0x80
		var dropped int
		deadline := time.Now().Add(waitTimeout)
		for {
			err := slow.WriteTo(frame, sc.addr())
			if errors.Is(err, ErrNoConnection) {
				break // closed: its writer stalled
			}
			if errors.Is(err, ErrWriteQueueFull) {
				dropped++
				exchange(t, victim, vc) // meanwhile, the victim is served
			} else if err != nil {
				t.Fatal(err)
			}
			if time.Now().After(deadline) {
				t.Fatalf("the never-reading connection is still open after %d drops: %+v", dropped, m.Stats())
			}
		}
		st := m.Stats()
		if dropped == 0 || st.TCP.DropQueueFull < uint64(dropped) || st.TCP.ClosedWriteStall != 1 ||
			slow.Stats().TCPDropQueueFull != uint64(dropped) {
			t.Fatalf("%d drops seen, stats %+v, endpoint %+v", dropped, st, slow.Stats())
		}
		exchange(t, victim, vc)
	})
}

func TestTCPUnboundCap(t *testing.T) {
	m := newTCPMux(t, func(c *Config) { c.TCPMaxUnbound = 2 })
	e := newTestEndpoint(t, m, "abcd")
	to := tcpServerAddr(e)
	bound := boundTCPClient(t, e)
	dialTCP(t, to)
	dialTCP(t, to)
	waitStats(t, m, "two waiting", func(s Stats) bool { return s.TCPUnbound == 2 && s.TCP.Accepted == 3 })
	third := dialTCP(t, to)
	third.waitClosed()
	waitStats(t, m, "third rejected", func(s Stats) bool { return s.TCP.Rejected == 1 })
	exchange(t, e, bound) // a bound connection does not count
	if st := m.Stats(); st.TCPConns != 3 || st.TCPUnbound != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestTCPEndpointClose(t *testing.T) {
	m := newTCPMux(t, nil)
	e, err := m.NewEndpoint("abcd")
	if err != nil {
		t.Fatal(err)
	}
	c := boundTCPClient(t, e)
	waiting := dialTCP(t, tcpServerAddr(e))
	waiting.send(bindingRequest(t, "abcd:peer"))
	receive(t, e).Release()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	c.waitClosed()
	waiting.waitClosed()
	waitStats(t, m, "connections gone", func(s Stats) bool {
		return s.TCPConns == 0 && s.TCPUnbound == 0 && s.TCP.ClosedLocal == 2
	})
	if err := e.WriteTo([]byte("x"), c.addr()); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after Close: %v", err)
	}
}

func TestTCPEvictedConnectionCloses(t *testing.T) {
	m := newTCPMux(t, nil)
	e := newTestEndpoint(t, m, "abcd")
	c := boundTCPClient(t, e)
	for i := range MaxBoundSources {
		if err := e.Bind(UDPAddr(netip.AddrPortFrom(loopback4, uint16(41000+i)))); err != nil {
			t.Fatal(err)
		}
	}
	c.waitClosed()
	waitStats(t, m, "evicted connection gone", func(s Stats) bool { return s.TCPConns == 0 })
	if got := e.Bound(); len(got) != MaxBoundSources || got[0].Network != UDP {
		t.Fatalf("bound %v", got)
	}
}

func TestTCPIPv6(t *testing.T) {
	if !loopback6Works(t) {
		t.Skip("no IPv6 loopback")
	}
	m := newTCPMux(t, func(c *Config) { c.PublicIPv6, c.ListenIPv6 = netip.IPv6Loopback(), netip.IPv6Loopback() })
	e := newTestEndpoint(t, m, "abcd")
	tcp := e.LocalTCPAddrs()
	if len(tcp) != 2 || tcp[1].Addr() != netip.IPv6Loopback() || tcp[0].Port() != tcp[1].Port() {
		t.Fatalf("TCP candidates %v", tcp)
	}
	c := dialTCP(t, tcp[1])
	c.send(bindingRequest(t, "abcd:peer"))
	p := receive(t, e)
	if !p.Source.AddrPort.Addr().Is6() || p.Source != c.addr() {
		t.Fatalf("source %v", p.Source)
	}
	p.Release()
	if err := e.Bind(c.addr()); err != nil {
		t.Fatal(err)
	}
	exchange(t, e, c)
}

func loopback6Works(tb testing.TB) bool {
	probe, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		return false
	}
	if err := probe.Close(); err != nil {
		tb.Fatal(err)
	}
	return true
}

func TestTCPMuxCloseEndsEverything(t *testing.T) {
	goroutines := runtime.NumGoroutine()
	cfg := testConfig()
	cfg.TCP = true
	m, err := NewMuxWith(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e, err := m.NewEndpoint("abcd")
	if err != nil {
		t.Fatal(err)
	}
	c := boundTCPClient(t, e)
	idle := dialTCP(t, tcpServerAddr(e))
	waitStats(t, m, "both accepted", func(s Stats) bool { return s.TCPConns == 2 })
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	c.waitClosed()
	idle.waitClosed()
	if _, err := net.DialTCP("tcp", nil, net.TCPAddrFromAddrPort(tcpServerAddr(e))); err == nil {
		t.Fatal("the listener still accepts after Close")
	}
	testkit.WaitGoroutines(t, goroutines, "the TCP connections and Close")
}

// FuzzReadFrame reads an arbitrary stream as RFC 4571 frames: it never panics, every frame fits a datagram and is
// not empty, and the frames read, framed again, are the start of the stream.
func FuzzReadFrame(f *testing.F) {
	f.Add(appendFrame(nil, bindingRequest(f, "abcd:peer")))
	f.Add(appendFrame(appendFrame(nil, dtlsDatagram), srtpDatagram))
	f.Add([]byte{0, 0})
	f.Add([]byte{0xff, 0xff, 1, 2, 3})
	f.Add([]byte{0x05, 0xdc})
	f.Add(append([]byte{0x05, 0xdd}, make([]byte, 1501)...))
	f.Add([]byte{0})
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, stream []byte) {
		r := bufio.NewReaderSize(bytes.NewReader(stream), 16)
		buf := make([]byte, MaxDatagramSize)
		var again []byte
		for {
			n, err := readFrame(r, buf)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) &&
					!errors.Is(err, errEmptyFrame) && !errors.Is(err, errFrameTooLarge) {
					t.Fatalf("error %v", err)
				}
				break
			}
			if n < 1 || n > MaxDatagramSize {
				t.Fatalf("frame of %d bytes", n)
			}
			again = appendFrame(again, buf[:n])
		}
		if !bytes.HasPrefix(stream, again) {
			t.Fatalf("frames % x are not the start of % x", again, stream)
		}
	})
}
