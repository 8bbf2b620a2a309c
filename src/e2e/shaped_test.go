package e2e

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// shapedLink is one participant's own path to the server, so that traffic control limits that participant alone:
// a vethLink, the participant's browser running in its far namespace. The near end, in the test's namespace,
// carries the server's traffic to it: a token bucket (tbf) on its egress limits the participant's downlink.
// Addresses 198.18.N.1 (near) and 198.18.N.2 (far), a /24 each, no route beyond.
//
//	link := newShapedLink(t, 1)
//	srv := startServer(t, map[string]string{"BIND_ADDRESS": "0.0.0.0", ...}) // reachable on link.Near
//	cmd := link.Command("chromium", ...)                                     // runs behind the link
//	link.Limit(300)                                                          // 300 kbit/s towards it
//	link.Unlimit()
type shapedLink struct {
	*vethLink
	// Near and Far are the addresses of both ends.
	Near, Far string
	limited   bool
}

// newShapedLink makes link number n (1-250: its name and addresses).
func newShapedLink(t *testing.T, n int) *shapedLink {
	t.Helper()
	if n < 1 || n > 250 {
		t.Fatalf("shaped link %d: want 1-250", n)
	}
	l := &shapedLink{vethLink: newVethLink(t, fmt.Sprintf("shape%d", n), fmt.Sprintf("shapep%d", n)),
		Near: fmt.Sprintf("198.18.%d.1", n), Far: fmt.Sprintf("198.18.%d.2", n)}
	run(t, "ip", "addr", "add", l.Near+"/24", "dev", l.Dev)
	l.far("ip", "addr", "add", l.Far+"/24", "dev", l.Peer)
	l.Up()
	return l
}

// Limit limits the traffic towards the far end to kbit kilobits a second: a token bucket with a 10 KiB burst
// (a few packets) and a 100 ms queue, past which packets are dropped, as a slow access link does.
func (l *shapedLink) Limit(kbit int) {
	l.t.Helper()
	l.LimitQueue(kbit, 100*time.Millisecond)
}

// LimitQueue is Limit with a queue of the given length: mobile links queue far more than 100 ms.
func (l *shapedLink) LimitQueue(kbit int, queue time.Duration) {
	l.t.Helper()
	run(l.t, "tc", "qdisc", "replace", "dev", l.Dev, "root", "tbf", "rate", strconv.Itoa(kbit)+"kbit",
		"burst", "10kb", "latency", strconv.Itoa(int(queue.Milliseconds()))+"ms")
	l.limited = true
}

// Unlimit lifts the limit.
func (l *shapedLink) Unlimit() {
	l.t.Helper()
	if l.limited {
		run(l.t, "tc", "qdisc", "del", "dev", l.Dev, "root")
		l.limited = false
	}
}

// TestShapedLinkLimitsTheDownlink sends as fast as TCP allows from the test's namespace to a reader behind the
// link: limited to 300 kbit/s it gets about that, unlimited far more.
func TestShapedLinkLimitsTheDownlink(t *testing.T) {
	l := newShapedLink(t, 7)
	measure := func() float64 {
		ln, err := net.Listen("tcp", l.Near+":0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		port := ln.Addr().(*net.TCPAddr).Port
		reader := l.Command("bash", "-c", fmt.Sprintf("exec 3<>/dev/tcp/%s/%d; cat <&3 >/dev/null", l.Near, port))
		if err := reader.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = reader.Process.Kill(); _ = reader.Wait() }()
		conn, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		const span = 3 * time.Second
		if err := conn.SetWriteDeadline(time.Now().Add(span)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1400)
		sent := 0
		for {
			n, err := conn.Write(buf)
			sent += n
			if err != nil {
				break
			}
		}
		return float64(sent) * 8 / span.Seconds() / 1000
	}
	l.Limit(300)
	// TCP's send buffer takes a few hundred KiB at once: what the link carried shows over longer runs only, so
	// the bound is loose; an unlimited veth carries hundreds of Mbit/s.
	if kbit := measure(); kbit > 1500 {
		t.Errorf("limited to 300 kbit/s: %.0f kbit/s went out", kbit)
	} else {
		t.Logf("limited to 300 kbit/s: %.0f kbit/s accepted (send buffer included)", kbit)
	}
	l.Unlimit()
	if kbit := measure(); kbit < 20_000 {
		t.Errorf("unlimited: only %.0f kbit/s", kbit)
	} else {
		t.Logf("unlimited: %.0f kbit/s", kbit)
	}
}

// reach rewrites a URL of the test's namespace (http://127.0.0.1:port/..., or a wildcard listen address) so that a
// browser behind the link reaches it: at the link's near address.
func (l *shapedLink) reach(u string) string {
	for _, host := range []string{"127.0.0.1", "0.0.0.0", "[::]"} {
		u = strings.Replace(u, "//"+host+":", "//"+l.Near+":", 1)
	}
	return u
}

// shapedTargetsEnv runs the browser tests that hold adaptation on a shaped link to issues 11's and 14's targets
// (E2E_SHAPED=1): a receiver's tier (TestTranscodeShapedReceiver) and its estimate (TestBWEReceiverShapedLink).
// They are left out of make test: they meet their targets in most runs, not all (docs/OPERATIONS.md,
// "Transcoding" and "Bandwidth estimation"), and a newcomer's first run must be green.
const shapedTargetsEnv = "E2E_SHAPED"

// needShapedTargets skips t unless shapedTargetsEnv is set.
func needShapedTargets(t *testing.T) {
	t.Helper()
	if os.Getenv(shapedTargetsEnv) == "" {
		t.Skipf("adaptation targets on a shaped link, not met reliably yet: run with %s=1", shapedTargetsEnv)
	}
}
