package e2e

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestICETCPFirstFrameFigures measures join to first decoded remote frame of a 2-page MCU call over UDP and over
// ICE-TCP, in the same run: two servers, the second with UDP to its media port dropped (nftables) so that the
// browsers fall back to its passive TCP candidate, alternating for E2E_FIGURES rounds (timeCall: the clock starts
// at bob's joinR, alice already publishing; the figure is the later of the two pages' first frames). A
// measurement for docs/OPERATIONS.md, not a check.
func TestICETCPFirstFrameFigures(t *testing.T) {
	rounds, err := strconv.Atoi(os.Getenv(figuresEnv))
	if os.Getenv(figuresEnv) == "" {
		t.Skipf("a measurement: run with %s=<rounds>", figuresEnv)
	}
	if err != nil || rounds < 1 {
		t.Fatalf("%s=%q: want a number of rounds", figuresEnv, os.Getenv(figuresEnv))
	}
	blocked := freeUDPPort(t)
	dropUDPTo(t, blocked)
	servers := []struct {
		network string
		srv     *server
	}{
		{"udp", mcuServer(t)},
		{"tcp", startServer(t, map[string]string{"MEDIA_MODE": "mcu", "PUBLIC_IPV4": "127.0.0.1",
			"UDP_PORT": strconv.Itoa(blocked), "ICE_TCP_PORT": "0"})},
	}
	reps := newReports(t)
	pages := make(map[string]*drivenPage)
	for _, u := range []string{"alice", "bob"} {
		pages[u] = startDrivenPage(t, u)
		pages[u].addScript(firstFrameScript)
	}
	figures := make(map[string][]time.Duration)
	for round := 1; round <= rounds; round++ {
		for _, s := range servers {
			room := fmt.Sprintf("%s-%d", s.network, round)
			d := timeCall(t, reps, pages, s.srv, room)
			figures[s.network] = append(figures[s.network], d)
			t.Logf("round %d %s: first frames both ways %s after bob's join", round, s.network, d.Round(time.Millisecond))
		}
	}
	udp, tcp := median(figures["udp"]), median(figures["tcp"])
	t.Logf("join to first decoded remote frame through the MCU, median of %d: UDP %s, ICE-TCP (UDP dropped) %s "+
		"(TCP - UDP = %s)", rounds, udp.Round(time.Millisecond), tcp.Round(time.Millisecond),
		(tcp - udp).Round(time.Millisecond))
	t.Logf("UDP: %s", describeDurations(figures["udp"]))
	t.Logf("ICE-TCP: %s", describeDurations(figures["tcp"]))
}
