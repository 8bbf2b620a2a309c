package e2e

import (
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMCUClientRecoversFromMediaFailure cuts UDP on the namespace's loopback, for longer than CONSENT_TIMEOUT,
// while alice and bob decode each other through the server: the server ends every media session
// (consent-expired) and tells both pages with eventWebrtcDown. Each page shows the person what stopped, closes its
// dead connections and publishes again (after a backoff); once UDP is back, the new upstreams flow, the server
// offers each stream on new downstream connections, and both pages decode each other again. The websockets (TCP)
// stay up all along: only the media fails.
func TestMCUClientRecoversFromMediaFailure(t *testing.T) {
	srv := startServer(t, map[string]string{"MEDIA_MODE": "mcu", "PUBLIC_IPV4": "127.0.0.1", "UDP_PORT": "0",
		"CONSENT_TIMEOUT": "4s", "ICE_TIMEOUT": "4s"})
	reps := newReports(t)
	users := []string{"alice", "bob"}
	for _, u := range users {
		startPage(t, srv.URL, page{Room: "mcu-down", User: u}, reps)
	}
	reps.waitFor(t, 60*time.Second, "alice and bob decode each other", decoding(users, nil))

	unblock := blockUDP(t)
	reps.waitFor(t, 30*time.Second, "both pages show that their camera and the other's video stopped",
		func(all map[string]report) bool {
			for _, u := range users {
				if !shown(all[u].Errors, "your camera stopped reaching the server") ||
					!shown(all[u].Errors, other(users, u)+"'s video stopped") || !all[u].received("eventWebrtcDown") {
					return false
				}
			}
			return true
		})
	unblock()

	// The failed downstreams were closed when their eventWebrtcDown came: a peer in a report now is a new
	// connection, from an offer the new upstream's flow brought.
	fresh := map[string]map[string]int64{"alice": {"bob": 30}, "bob": {"alice": 30}}
	reps.waitFor(t, 90*time.Second, "alice and bob publish again and decode each other on new connections",
		func(all map[string]report) bool {
			for _, u := range users {
				if up := all[u].Upstream; up == nil || !up.Up || up.PacketsSent == 0 {
					return false
				}
			}
			return decoding(users, fresh)(all)
		})
}

// shown reports whether one of the errors shown to the person contains text.
func shown(errors []string, text string) bool {
	for _, e := range errors {
		if strings.Contains(e, text) {
			return true
		}
	}
	return false
}

// blockUDP drops every UDP datagram on the namespace's loopback until the returned function is called (or the test
// ends); TCP, and so the websockets, still pass. An HTB root sorts UDP (u32: IP protocol 17) into a class whose
// queue holds no packet.
func blockUDP(t *testing.T) (unblock func()) {
	t.Helper()
	steps := [][]string{
		{"qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "1"},
		{"class", "add", "dev", "lo", "parent", "1:", "classid", "1:1", "htb", "rate", "10gbit"},
		{"class", "add", "dev", "lo", "parent", "1:", "classid", "1:2", "htb", "rate", "10gbit"},
		{"qdisc", "add", "dev", "lo", "parent", "1:2", "handle", "20:", "pfifo", "limit", "0"},
		{"filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "ip",
			"protocol", "17", "0xff", "flowid", "1:2"},
	}
	var once sync.Once
	unblock = func() {
		once.Do(func() {
			if out, err := exec.Command("tc", "qdisc", "del", "dev", "lo", "root").CombinedOutput(); err != nil {
				t.Errorf("tc qdisc del dev lo root: %v: %s", err, strings.TrimSpace(string(out)))
			}
		})
	}
	t.Cleanup(unblock)
	for _, args := range steps {
		if out, err := exec.Command("tc", args...).CombinedOutput(); err != nil {
			t.Fatalf("tc %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return unblock
}
