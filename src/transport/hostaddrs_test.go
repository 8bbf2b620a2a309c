package transport

import (
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"
)

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}

const upRunning = net.FlagUp | net.FlagRunning

func TestUsableAddrs(t *testing.T) {
	ifaces := []hostInterface{
		{name: "lo", flags: upRunning | net.FlagLoopback, addrs: addrs("127.0.0.1", "::1")},
		{name: "eth0", flags: upRunning, addrs: addrs("192.168.1.5", "fe80::1", "2001:db8::5", "169.254.3.4")},
		{name: "wlan0", flags: net.FlagUp, addrs: addrs("10.1.1.1")}, // no carrier
		{name: "veth0", flags: upRunning, addrs: addrs("198.18.0.1", "fd00::1", "::ffff:198.18.0.9")},
		{name: "down0", flags: net.FlagRunning, addrs: addrs("10.2.2.2")},
		{name: "dup0", flags: upRunning, addrs: addrs("192.168.1.5", "224.0.0.1")},
	}
	tests := []struct {
		names []string
		want  []netip.Addr
	}{
		{nil, addrs("192.168.1.5", "198.18.0.1", "198.18.0.9", "2001:db8::5", "fd00::1", "127.0.0.1", "::1")},
		{[]string{"veth0"}, addrs("198.18.0.1", "198.18.0.9", "fd00::1")},
		{[]string{"veth0", "lo"}, addrs("198.18.0.1", "198.18.0.9", "fd00::1", "127.0.0.1", "::1")},
		{[]string{"wlan0"}, nil},
	}
	for _, tt := range tests {
		if got := usableAddrs(ifaces, tt.names); !slices.Equal(got, tt.want) {
			t.Errorf("names %v: got %v, want %v", tt.names, got, tt.want)
		}
	}
}

func TestHostAddrs(t *testing.T) {
	current := []hostInterface{{name: "eth0", flags: upRunning, addrs: addrs("192.168.1.5")}}
	var readErr error
	read := func() ([]hostInterface, error) { return current, readErr }

	if _, err := newHostAddrs(&Config{Interfaces: []string{"wlan0"}}, read); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("unknown interface: %v", err)
	}
	if _, err := newHostAddrs(&Config{}, func() ([]hostInterface, error) { return nil, nil }); !errors.Is(err, ErrNoAddress) {
		t.Fatalf("no address: %v", err)
	}
	fixed, err := newHostAddrs(&Config{PublicIPv4: netip.MustParseAddr("203.0.113.7")}, read)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := fixed.get(time.Now().Add(time.Hour)); err != nil || !slices.Equal(got, addrs("203.0.113.7")) {
		t.Fatalf("fixed: %v %v", got, err)
	}

	h, err := newHostAddrs(&Config{}, read)
	if err != nil {
		t.Fatal(err)
	}
	start := h.at
	current = []hostInterface{{name: "eth0", flags: upRunning, addrs: addrs("10.0.0.9")}}
	if got, _ := h.get(start.Add(hostAddrsRefresh / 2)); !slices.Equal(got, addrs("192.168.1.5")) {
		t.Fatalf("within the refresh period: %v", got)
	}
	if got, err := h.get(start.Add(hostAddrsRefresh)); err != nil || !slices.Equal(got, addrs("10.0.0.9")) {
		t.Fatalf("after the refresh period: %v %v", got, err)
	}
	current = nil
	if got, err := h.get(start.Add(3 * hostAddrsRefresh)); !errors.Is(err, ErrNoAddress) || !slices.Equal(got, addrs("10.0.0.9")) {
		t.Fatalf("no address left: %v %v", got, err)
	}
	readErr = errors.New("netlink says no")
	if got, err := h.get(start.Add(5 * hostAddrsRefresh)); !errors.Is(err, readErr) || !slices.Equal(got, addrs("10.0.0.9")) {
		t.Fatalf("read error: %v %v", got, err)
	}
}

// TestInterfaceCandidates runs a Mux without public addresses: its candidates are this host's interfaces', loopback
// last, on UDP and ICE-TCP alike.
func TestInterfaceCandidates(t *testing.T) {
	m := newTestMux(t, func(c *Config) { c.PublicIPv4, c.TCP = netip.Addr{}, true })
	e := newTestEndpoint(t, m, "abcd")
	udp, tcp := e.LocalAddrs(), e.LocalTCPAddrs()
	if len(udp) == 0 || len(udp) != len(tcp) {
		t.Fatalf("UDP %v, TCP %v", udp, tcp)
	}
	ifaces, err := readInterfaces()
	if err != nil {
		t.Fatal(err)
	}
	want := usableAddrs(ifaces, nil)
	for i, a := range udp {
		if a.Addr() != want[i] || tcp[i].Addr() != want[i] || a.Port() != udp[0].Port() || tcp[i].Port() != tcp[0].Port() {
			t.Fatalf("UDP %v, TCP %v, want the addresses %v", udp, tcp, want)
		}
	}
	if last := udp[len(udp)-1].Addr(); !last.IsLoopback() {
		t.Fatalf("last candidate %v, want loopback", last)
	}
}
