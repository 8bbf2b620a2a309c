package signaling

import (
	"net/http"
	"testing"

	"github.com/gorilla/websocket"
)

// TestEveryRefusedOriginIsLogged: origins without a host ("null" from sandboxed pages and file: URLs, "file://")
// are refused 403 and logged like any other refused origin.
func TestEveryRefusedOriginIsLogged(t *testing.T) {
	h, logs := newLoggedHarness(t, nil)
	origins := []string{"null", "file://", "https://evil.example"}
	for _, origin := range origins {
		_, resp, err := websocket.DefaultDialer.Dial(h.url(), http.Header{"Origin": {origin}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("origin %q: %v", origin, err)
		}
		_ = resp.Body.Close()
	}
	logged := map[string]bool{}
	for _, attrs := range logs.withMessage("websocket origin refused") {
		logged[attrs["origin"].String()] = true
	}
	for _, origin := range origins {
		if !logged[origin] {
			t.Errorf("origin %q refused without a log line", origin)
		}
	}
	if n := h.srv.Stats().Unauthenticated; n != 0 {
		t.Fatalf("refused upgrades left %d unauthenticated counted", n)
	}
}
