package main

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// TestMCUModeAnswersPublishers checks the media plane's wiring: in MCU mode an upstream offer is answered by the
// server itself, ICE-lite, with a host candidate on PUBLIC_IPV4 and the UDP port it listens on.
func TestMCUModeAnswersPublishers(t *testing.T) {
	offer, err := os.ReadFile("../../sdp/testdata/offers/chromium156-audio-video.sdp")
	if err != nil {
		t.Fatal(err)
	}
	addrs := start(t, map[string]string{"PORT_NUMBER": "0", "ADMIN_ADDR": "", "UDP_PORT": "0", "DRAIN_TIMEOUT": "0",
		"PUBLIC_IPV4": "127.0.0.1"})
	code, body := get(t, "http://"+addrs.public+"/dev/token?userId=alice&roomId=r1")
	var tok struct{ Bearer string }
	if code != http.StatusOK || json.Unmarshal([]byte(body), &tok) != nil {
		t.Fatalf("/dev/token: %d %q", code, body)
	}
	ws := dialWS(t, addrs.public)
	ws.send(t, "join", map[string]any{"roomId": "r1", "bearer": tok.Bearer})
	ws.send(t, "exchangeSdp", map[string]any{"to": "publisher", "sdp": map[string]string{"type": "offer", "sdp": string(offer)}})
	if r := ws.reply(t, "exchangeSdp"); !r.OK() {
		t.Fatalf("exchangeSdp refused with %d", r.E)
	}
	m, err := ws.Await(testkit.Patient, "the answer", func(m testkit.Message) bool { return m.A == "eventExchangeSdp" })
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		From struct{ SocketID string }
		SDP  struct{ Type, SDP string }
	}
	if err := json.Unmarshal(m.D, &d); err != nil {
		t.Fatal(err)
	}
	answer := d.SDP.SDP
	if d.From.SocketID != "publisher" || d.SDP.Type != "answer" || !strings.Contains(answer, "a=ice-lite") ||
		!strings.Contains(answer, " 127.0.0.1 ") || strings.Contains(answer, "127.0.0.1 0 typ") {
		t.Fatalf("answer from %q, type %q:\n%s", d.From.SocketID, d.SDP.Type, answer)
	}
}
