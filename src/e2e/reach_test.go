package e2e

import (
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// path is how a connection's media travels, from its selected candidate pair (stats.js, pathOf).
type path struct {
	Protocol       string `json:"protocol"`
	LocalType      string `json:"localType"`
	RemoteAddress  string `json:"remoteAddress"`
	RemotePort     int    `json:"remotePort"`
	RemoteProtocol string `json:"remoteProtocol"`
}

// The test link: a veth pair whose far end lives in a namespace of its own, addresses from the benchmarking ranges
// (198.18.0.0/15, 2001:2::/48), no route beyond them.
const (
	linkName   = "reach0"
	linkPeer   = "reach1"
	linkIPv4   = "198.18.0.1"
	linkPeer4  = "198.18.0.2"
	linkIPv6   = "2001:2::1"
	linkPeer6  = "2001:2::2"
	linkPrefix = 24
)

// addTestLink gives the test's namespace a non-loopback interface, as a machine on a LAN has: a veth pair to a
// second namespace (vethLink), with the IPv4 addresses, the IPv6 ones, or both.
func addTestLink(t *testing.T, ipv4, ipv6 bool) {
	t.Helper()
	v := newVethLink(t, linkName, linkPeer)
	if ipv4 {
		run(t, "ip", "addr", "add", fmt.Sprintf("%s/%d", linkIPv4, linkPrefix), "dev", linkName)
		v.far("ip", "addr", "add", fmt.Sprintf("%s/%d", linkPeer4, linkPrefix), "dev", linkPeer)
	}
	if ipv6 {
		// nodad: the address is usable at once, not tentative for a second.
		run(t, "ip", "-6", "addr", "add", linkIPv6+"/64", "dev", linkName, "nodad")
		v.far("ip", "-6", "addr", "add", linkPeer6+"/64", "dev", linkPeer, "nodad")
	}
	v.Up()
}

// dropUDPTo drops every UDP datagram to port in the namespace (nftables, input hook: the server's media port)
// until the end of the test.
func dropUDPTo(t *testing.T, port int) {
	t.Helper()
	run(t, "nft", "add", "table", "inet", "e2e_reach")
	t.Cleanup(func() { run(t, "nft", "delete", "table", "inet", "e2e_reach") })
	run(t, "nft", "add", "chain", "inet", "e2e_reach", "input",
		"{ type filter hook input priority 0 ; policy accept ; }")
	run(t, "nft", "add", "rule", "inet", "e2e_reach", "input", "udp", "dport", strconv.Itoa(port), "counter", "drop")
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
}

// freeUDPPort returns a UDP port that nothing uses now.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// ordinaryCall has two ordinary pages (no loopback flag) decode each other through an MCU server that advertises
// its interfaces' addresses, then checks every connection's selected pair: protocol, to the server's address on
// the test link. env is added to the server's.
func ordinaryCall(t *testing.T, env map[string]string, room, protocol, address string) {
	t.Helper()
	vars := map[string]string{"MEDIA_MODE": "mcu", "UDP_PORT": "0", "ICE_TCP_PORT": "0"}
	for k, v := range env {
		vars[k] = v
	}
	srv := startServer(t, vars)
	reps := newReports(t)
	users := []string{"alice", "bob"}
	for _, u := range users {
		startPage(t, srv.URL, page{Room: room, User: u, Ordinary: true}, reps)
	}
	flowing := waitMCUFlowing(t, reps, users, users, "video/VP8")
	for _, u := range users {
		r := flowing[u]
		paths := map[string]*path{"upstream": r.Upstream.Path}
		for _, p := range r.Peers {
			paths["from "+p.UserID] = p.Path
		}
		for which, p := range paths {
			// The local side is host, or over TCP peer-reflexive: an active candidate's port is 9, the server's
			// answer tells the real one. Never a relay: the test has no TURN server.
			if p == nil || p.Protocol != protocol || p.RemoteProtocol != protocol || p.LocalType == "relay" ||
				netip.MustParseAddr(p.RemoteAddress) != netip.MustParseAddr(address) {
				t.Errorf("%s %s: selected pair %+v, want %s to %s", u, which, p, protocol, address)
			} else {
				t.Logf("%s %s: %s (%s) to %s:%d", u, which, p.Protocol, p.LocalType, p.RemoteAddress, p.RemotePort)
			}
		}
	}
}

// TestOrdinaryBrowsersOnInterfaceAddress is `make run` met with an ordinary browser: without
// --allow-loopback-in-peer-connection Chromium gathers no loopback candidate, so the server must advertise an
// interface address. The namespace gets one (a veth pair); the server, with no PUBLIC_IPV4, advertises it (and
// loopback last) on UDP and ICE-TCP. The pages decode each other, and every connection's selected pair is UDP to
// the interface address: with UDP working, TCP is never used.
func TestOrdinaryBrowsersOnInterfaceAddress(t *testing.T) {
	addTestLink(t, true, false)
	ordinaryCall(t, nil, "reach-udp", "udp", linkIPv4)
}

// TestICETCPWhenUDPIsBlocked drops every UDP datagram to the server's media port: the ordinary pages connect over
// ICE-TCP to the server's passive TCP candidate and decode each other, every selected pair is TCP.
func TestICETCPWhenUDPIsBlocked(t *testing.T) {
	addTestLink(t, true, false)
	port := freeUDPPort(t)
	dropUDPTo(t, port)
	ordinaryCall(t, map[string]string{"UDP_PORT": strconv.Itoa(port)}, "reach-tcp", "tcp", linkIPv4)
}

// TestIPv6Only gives the namespace an IPv6-only link and serves the pages from [::1]: the ordinary pages decode
// each other over IPv6, every selected pair UDP to the link's IPv6 address.
func TestIPv6Only(t *testing.T) {
	addTestLink(t, false, true)
	ordinaryCall(t, map[string]string{"BIND_ADDRESS": "::1"}, "reach-ipv6", "udp", linkIPv6)
}
