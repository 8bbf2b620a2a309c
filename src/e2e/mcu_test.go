package e2e

import (
	"testing"
	"time"
)

// TestMCUPagesDecodeEachOther is the MCU as a newcomer first meets it: a dev mode server in MCU mode (the default),
// two pages in one room, each publishing to the server and decoding the other's camera and hearing its microphone
// through it: more than 30 frames and 50 audio packets, and still growing. The same two pages then call each other
// directly (relay mode) as a reference: the log gives both times to the first decoded frames, side by side.
func TestMCUPagesDecodeEachOther(t *testing.T) {
	users := []string{"alice", "bob"}
	var firstFrames [2]time.Duration
	for i, mode := range []string{"mcu", "relay"} {
		t.Run(mode, func(t *testing.T) {
			srv := startServer(t, map[string]string{"MEDIA_MODE": mode, "PUBLIC_IPV4": "127.0.0.1"})
			reps := newReports(t)
			start := time.Now()
			for _, u := range users {
				startPage(t, srv.URL, page{Room: mode + "-room", User: u}, reps)
			}
			reps.waitFor(t, firstMediaTimeout, "both pages decode each other", decoding(users, nil))
			firstFrames[i] = time.Since(start)
			if mode == "mcu" {
				waitMCUFlowing(t, reps, users, users, "video/VP8")
			}
		})
	}
	t.Logf("first frames decoded both ways after the pages started: MCU %s, direct P2P %s (Chromium's start "+
		"included; a loaded machine makes both noisy)", firstFrames[0].Round(time.Millisecond),
		firstFrames[1].Round(time.Millisecond))
}
