package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// TestLimitsFromTheEnvironment: WS_JOIN_TIMEOUT and WS_UNAUTH_PER_ADDRESS reach the server, and what they refuse
// and close is in /metrics.
func TestLimitsFromTheEnvironment(t *testing.T) {
	s := launch(t, map[string]string{"PORT_NUMBER": "0", "ADMIN_ADDR": "127.0.0.1:0", "UDP_PORT": "0",
		"DRAIN_TIMEOUT": "0", "WS_JOIN_TIMEOUT": "1s", "WS_UNAUTH_PER_ADDRESS": "1"}, io.Discard)
	idle := dialWS(t, s.addrs.public)
	_, resp, err := websocket.DefaultDialer.Dial("ws://"+s.addrs.public+"/api", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second websocket without join from the address: %v", err)
	}
	_ = resp.Body.Close()
	if code := idle.closeCode(t); code != protocol.CloseJoinTimeout {
		t.Fatalf("closed with %d, want %d", code, protocol.CloseJoinTimeout)
	}
	want := []string{
		"\nlive_webrtcsignaling_ws_join_timeouts_total 1\n",
		`live_webrtcsignaling_ws_refused_total{reason="address"} 1` + "\n",
		"\nlive_webrtcsignaling_ws_unauthenticated 0\n",
		"\nlive_webrtcsignaling_ws_queued_bytes 0\n",
	}
	code, missing := 0, ""
	if !testkit.Eventually(testkit.Patient, func() bool {
		var body string
		code, body = getWith(t, "http://"+s.addrs.admin+"/metrics", "")
		missing = ""
		for _, w := range want {
			if !strings.Contains(body, w) {
				missing = w
			}
		}
		return code == http.StatusOK && missing == ""
	}) {
		t.Fatalf("/metrics (%d) lacks %q", code, missing)
	}
}
