package transport

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	"github.com/heytribe/live-webrtcsignaling/src/stun"
)

// waitTimeout bounds every wait of the tests; the conditions normally hold within milliseconds.
const waitTimeout = testkit.Patient

var loopback4 = netip.MustParseAddr("127.0.0.1")

func testConfig() Config {
	return Config{PublicIPv4: loopback4, ListenIPv4: loopback4, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func newTestMux(tb testing.TB, edit func(*Config)) *Mux {
	tb.Helper()
	cfg := testConfig()
	if edit != nil {
		edit(&cfg)
	}
	m, err := NewMuxWith(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := m.Close(); err != nil {
			tb.Error(err)
		}
	})
	return m
}

func newTestEndpoint(tb testing.TB, m *Mux, ufrag string) *Endpoint {
	tb.Helper()
	e, err := m.NewEndpoint(ufrag)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := e.Close(); err != nil {
			tb.Error(err)
		}
	})
	return e
}

// client is a peer's UDP socket.
type client struct {
	tb   testing.TB
	conn *net.UDPConn
}

func newClient(tb testing.TB) *client {
	tb.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = conn.Close() })
	return &client{tb: tb, conn: conn}
}

func (c *client) addr() Addr { return UDPAddr(c.conn.LocalAddr().(*net.UDPAddr).AddrPort()) }

func (c *client) send(b []byte, to netip.AddrPort) {
	c.tb.Helper()
	if _, err := c.conn.WriteToUDPAddrPort(b, to); err != nil {
		c.tb.Fatal(err)
	}
}

// bindingRequest returns a connectivity check with USERNAME username (no USERNAME when empty).
func bindingRequest(tb testing.TB, username string) []byte {
	tb.Helper()
	id, err := stun.NewTransactionID()
	if err != nil {
		tb.Fatal(err)
	}
	b := stun.NewBuilder(nil, stun.BindingRequest, id)
	if username != "" {
		b.AddUsername(username)
	}
	pkt, err := b.AddPriority(1).AddFingerprint().Bytes()
	if err != nil {
		tb.Fatal(err)
	}
	return pkt
}

func bindingIndication(tb testing.TB) []byte {
	tb.Helper()
	id, err := stun.NewTransactionID()
	if err != nil {
		tb.Fatal(err)
	}
	pkt, err := stun.NewBuilder(nil, stun.MessageType{Method: stun.MethodBinding, Class: stun.ClassIndication}, id).
		AddFingerprint().Bytes()
	if err != nil {
		tb.Fatal(err)
	}
	return pkt
}

var (
	dtlsDatagram = append([]byte{22, 0xfe, 0xfd}, make([]byte, 30)...)
	srtpDatagram = append([]byte{0x80, 96}, make([]byte, 40)...)
)

// receive returns the next packet of e, failing after waitTimeout.
func receive(tb testing.TB, e *Endpoint) *Packet {
	tb.Helper()
	select {
	case p := <-e.Inbound():
		return p
	case <-time.After(waitTimeout):
		tb.Fatal("nothing delivered")
		return nil
	}
}

// waitStats waits until cond holds for the Mux's counters.
func waitStats(tb testing.TB, m *Mux, what string, cond func(Stats) bool) {
	tb.Helper()
	if !testkit.Eventually(waitTimeout, func() bool { return cond(m.Stats()) }) {
		tb.Fatalf("%s: counters %+v", what, m.Stats())
	}
}

// serverAddr is where the Mux's shared IPv4 socket listens.
func serverAddr(e *Endpoint) netip.AddrPort {
	return netip.AddrPortFrom(loopback4, e.LocalAddrs()[0].Port())
}

func TestRouteByUfrag(t *testing.T) {
	m := newTestMux(t, nil)
	e := newTestEndpoint(t, m, "abcd")
	c := newClient(t)
	sent := time.Now()
	c.send(bindingRequest(t, "abcd:peer"), serverAddr(e))
	p := receive(t, e)
	if p.Kind != KindSTUN || p.Source != c.addr() {
		t.Fatalf("delivered %s from %v", p.Kind, p.Source)
	}
	if p.Received.Before(sent) || p.Received.After(time.Now()) {
		t.Fatalf("received at %v, sent at %v", p.Received, sent)
	}
	p.Release()

	for _, username := range []string{"zzzz:peer", "", "abcd", "abcd:"} {
		before := m.Stats().DropUnknownUfrag
		c.send(bindingRequest(t, username), serverAddr(e))
		waitStats(t, m, "unknown ufrag "+username, func(s Stats) bool { return s.DropUnknownUfrag == before+1 })
	}
	if st := e.Stats(); st.DatagramsIn != 1 {
		t.Fatalf("endpoint stats %+v", st)
	}
}

func TestRouteBySource(t *testing.T) {
	m := newTestMux(t, nil)
	e := newTestEndpoint(t, m, "abcd")
	c := newClient(t)
	for i, b := range [][]byte{dtlsDatagram, srtpDatagram, bindingIndication(t)} {
		c.send(b, serverAddr(e))
		waitStats(t, m, "unknown source", func(s Stats) bool { return s.DropUnknownSource == uint64(i+1) })
	}
	if err := e.Bind(c.addr()); err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{dtlsDatagram, srtpDatagram, bindingIndication(t)} {
		c.send(b, serverAddr(e))
		p := receive(t, e)
		if p.Kind != Classify(b) || string(p.Data) != string(b) {
			t.Fatalf("delivered %s % x", p.Kind, p.Data)
		}
		p.Release()
	}
	// A check with the ufrag of no Endpoint is dropped even from a bound source.
	c.send(bindingRequest(t, "zzzz:peer"), serverAddr(e))
	waitStats(t, m, "unknown ufrag", func(s Stats) bool { return s.DropUnknownUfrag == 1 })
}

func TestBind(t *testing.T) {
	m := newTestMux(t, nil)
	a, b := newTestEndpoint(t, m, "aaaa"), newTestEndpoint(t, m, "bbbb")
	src := UDPAddr(netip.MustParseAddrPort("127.0.0.1:40000"))
	if err := a.Bind(src); err != nil {
		t.Fatal(err)
	}
	if err := b.Bind(UDPAddr(netip.MustParseAddrPort("[::ffff:127.0.0.1]:40000"))); err != nil { // the same, 4-in-6
		t.Fatal(err)
	}
	if got := a.Bound(); len(got) != 0 {
		t.Fatalf("a still bound to %v", got)
	}
	if got := b.Bound(); len(got) != 1 || got[0] != src {
		t.Fatalf("b bound to %v", got)
	}
	var srcs []Addr
	for i := range MaxBoundSources + 2 {
		s := UDPAddr(netip.AddrPortFrom(loopback4, uint16(41000+i)))
		srcs = append(srcs, s)
		if err := a.Bind(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Bind(srcs[2]); err != nil { // refreshed: now the most recent
		t.Fatal(err)
	}
	got := a.Bound()
	want := append(append([]Addr{}, srcs[3:]...), srcs[2])
	if len(got) != MaxBoundSources || got[0] != want[0] || got[len(got)-1] != srcs[2] {
		t.Fatalf("bound %v, want %v", got, want)
	}
	if err := a.Bind(UDPAddr(netip.MustParseAddrPort("[::1]:5000"))); !errors.Is(err, ErrAddressFamily) {
		t.Fatalf("IPv6 source without IPv6: %v", err)
	}
}

func TestQueueFullAndOversize(t *testing.T) {
	m := newTestMux(t, func(c *Config) { c.QueueLen = 2 })
	e := newTestEndpoint(t, m, "abcd")
	c := newClient(t)
	if err := e.Bind(c.addr()); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		c.send(srtpDatagram, serverAddr(e))
	}
	waitStats(t, m, "queue full", func(s Stats) bool { return s.DropQueueFull == 3 })
	if st := e.Stats(); st.DatagramsIn != 2 || st.DropQueueFull != 3 {
		t.Fatalf("endpoint stats %+v", st)
	}
	c.send(make([]byte, MaxDatagramSize+1), serverAddr(e))
	c.send([]byte{200, 1, 2}, serverAddr(e))
	waitStats(t, m, "oversize and unknown kind", func(s Stats) bool { return s.DropOversize == 1 && s.DropUnknownKind == 1 })
}

func TestWriteTo(t *testing.T) {
	m := newTestMux(t, nil)
	e := newTestEndpoint(t, m, "abcd")
	c := newClient(t)
	if err := e.WriteTo([]byte("hello"), c.addr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	if err := c.conn.SetReadDeadline(time.Now().Add(waitTimeout)); err != nil {
		t.Fatal(err)
	}
	n, from, err := c.conn.ReadFromUDPAddrPort(buf)
	if err != nil || string(buf[:n]) != "hello" || from != serverAddr(e) {
		t.Fatalf("read %q from %v: %v", buf[:n], from, err)
	}
	if err := e.WriteTo(make([]byte, MaxDatagramSize+1), c.addr()); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
	if err := e.WriteTo([]byte("x"), UDPAddr(netip.MustParseAddrPort("[::1]:9"))); !errors.Is(err, ErrAddressFamily) {
		t.Fatalf("IPv6: %v", err)
	}
	if st, ms := e.Stats(), m.Stats(); st.DatagramsOut != 1 || st.BytesOut != 5 || ms.DatagramsOut != 1 {
		t.Fatalf("stats %+v %+v", st, ms)
	}
}

func TestEndpointClose(t *testing.T) {
	m := newTestMux(t, nil)
	e, err := m.NewEndpoint("abcd")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.NewEndpoint("abcd"); !errors.Is(err, ErrUfragInUse) {
		t.Fatalf("same ufrag: %v", err)
	}
	c := newClient(t)
	if err := e.Bind(c.addr()); err != nil {
		t.Fatal(err)
	}
	c.send(srtpDatagram, serverAddr(e))
	waitStats(t, m, "queued", func(Stats) bool { return e.Stats().DatagramsIn == 1 })
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	select {
	case p := <-e.Inbound():
		t.Fatalf("packet left in the queue after Close: %v", p.Kind)
	default:
	}
	c.send(srtpDatagram, serverAddr(e))
	waitStats(t, m, "route removed", func(s Stats) bool { return s.DropUnknownSource == 1 })
	if err := e.WriteTo([]byte("x"), c.addr()); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after Close: %v", err)
	}
	if err := e.Bind(c.addr()); !errors.Is(err, ErrClosed) {
		t.Fatalf("bind after Close: %v", err)
	}
	again := newTestEndpoint(t, m, "abcd")
	if m.Stats().Endpoints != 1 || again.Ufrag() != "abcd" {
		t.Fatalf("stats %+v", m.Stats())
	}
}

func TestNewEndpointUfrag(t *testing.T) {
	m := newTestMux(t, nil)
	for _, u := range []string{"", "abc", "ab:cd", "ab cd", string(make([]byte, 257))} {
		if _, err := m.NewEndpoint(u); !errors.Is(err, ErrBadUfrag) {
			t.Errorf("ufrag %q: %v", u, err)
		}
	}
}

func TestRangeMode(t *testing.T) {
	base := freePorts(t, 2)
	m := newTestMux(t, func(c *Config) { c.PortMin, c.PortMax = base, base+1 })
	a, b := newTestEndpoint(t, m, "aaaa"), newTestEndpoint(t, m, "bbbb")
	pa, pb := a.LocalAddrs()[0].Port(), b.LocalAddrs()[0].Port()
	if pa == pb || int(min(pa, pb)) != base || int(max(pa, pb)) != base+1 {
		t.Fatalf("ports %d %d, range %d-%d", pa, pb, base, base+1)
	}
	if _, err := m.NewEndpoint("cccc"); !errors.Is(err, ErrNoPort) {
		t.Fatalf("third endpoint: %v", err)
	}
	c := newClient(t)
	c.send(bindingRequest(t, "bbbb:peer"), serverAddr(a)) // b's ufrag on a's port
	waitStats(t, m, "ufrag of another port", func(s Stats) bool { return s.DropUnknownUfrag == 1 })
	c.send(bindingRequest(t, "aaaa:peer"), serverAddr(a))
	receive(t, a).Release()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	d := newTestEndpoint(t, m, "dddd")
	if got := d.LocalAddrs()[0].Port(); got != pa {
		t.Fatalf("new endpoint on %d, want the freed %d", got, pa)
	}
}

// freePorts finds n consecutive free UDP ports on loopback.
func freePorts(tb testing.TB, n int) int {
	tb.Helper()
	for base := 31000; base < 60000; base += 89 {
		var conns []*net.UDPConn
		for port := base; port < base+n; port++ {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
			if err != nil {
				break
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			if err := c.Close(); err != nil {
				tb.Fatal(err)
			}
		}
		if len(conns) == n {
			return base
		}
	}
	tb.Fatal("no free ports")
	return 0
}

func TestMuxClose(t *testing.T) {
	goroutines := runtime.NumGoroutine()
	for _, rangeMode := range []bool{false, true} {
		cfg := testConfig()
		if rangeMode {
			cfg.PortMin = freePorts(t, 3)
			cfg.PortMax = cfg.PortMin + 2
		}
		m, err := NewMuxWith(cfg)
		if err != nil {
			t.Fatal(err)
		}
		e, err := m.NewEndpoint("abcd")
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		if err := m.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if _, err := m.NewEndpoint("efgh"); !errors.Is(err, ErrClosed) {
			t.Fatalf("NewEndpoint after Close: %v", err)
		}
		if err := e.WriteTo([]byte("x"), UDPAddr(netip.MustParseAddrPort("127.0.0.1:9"))); !errors.Is(err, ErrClosed) {
			t.Fatalf("write after Close: %v", err)
		}
	}
	testkit.WaitGoroutines(t, goroutines, "the endpoints and Close")
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"interfaces with a public address", func(c *Config) { c.Interfaces = []string{"lo"} }},
		{"unknown interface", func(c *Config) { c.PublicIPv4, c.Interfaces = netip.Addr{}, []string{"nosuch0"} }},
		{"TCP port too big", func(c *Config) { c.TCP, c.TCPPort = true, 70000 }},
		{"TCP queue below a frame", func(c *Config) { c.TCP, c.TCPWriteQueue = true, MaxDatagramSize }},
		{"negative unbound cap", func(c *Config) { c.TCP, c.TCPMaxUnbound = true, -1 }},
		{"IPv6 as IPv4", func(c *Config) { c.PublicIPv4 = netip.IPv6Loopback() }},
		{"IPv4 as IPv6", func(c *Config) { c.PublicIPv6 = loopback4 }},
		{"4-in-6 as IPv6", func(c *Config) { c.PublicIPv6 = netip.MustParseAddr("::ffff:1.2.3.4") }},
		{"listen IPv6 as IPv4", func(c *Config) { c.ListenIPv4 = netip.IPv6Loopback() }},
		{"listen IPv4 as IPv6", func(c *Config) { c.ListenIPv6 = loopback4 }},
		{"port too big", func(c *Config) { c.Port = 70000 }},
		{"negative port", func(c *Config) { c.Port = -1 }},
		{"min without max", func(c *Config) { c.PortMin = 4000 }},
		{"inverted range", func(c *Config) { c.PortMin, c.PortMax = 5000, 4000 }},
		{"range past 65535", func(c *Config) { c.PortMin, c.PortMax = 65000, 65536 }},
		{"negative queue", func(c *Config) { c.QueueLen = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			tt.edit(&cfg)
			m, err := NewMuxWith(cfg)
			if !errors.Is(err, ErrBadConfig) {
				if m != nil {
					_ = m.Close()
				}
				t.Fatalf("error %v", err)
			}
		})
	}
}

func TestIPv6(t *testing.T) {
	probe, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	if err := probe.Close(); err != nil {
		t.Fatal(err)
	}
	m := newTestMux(t, func(c *Config) { c.PublicIPv6, c.ListenIPv6 = netip.IPv6Loopback(), netip.IPv6Loopback() })
	e := newTestEndpoint(t, m, "abcd")
	addrs := e.LocalAddrs()
	if len(addrs) != 2 || addrs[1].Addr() != netip.IPv6Loopback() {
		t.Fatalf("addrs %v", addrs)
	}
	conn, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.WriteToUDPAddrPort(bindingRequest(t, "abcd:peer"), addrs[1]); err != nil {
		t.Fatal(err)
	}
	p := receive(t, e)
	defer p.Release()
	if p.Source != UDPAddr(conn.LocalAddr().(*net.UDPAddr).AddrPort()) {
		t.Fatalf("source %v", p.Source)
	}
	if err := e.WriteTo([]byte("back"), p.Source); err != nil {
		t.Fatal(err)
	}
}
