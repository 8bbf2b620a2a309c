package main

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
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
	ws, resp, err := websocket.DefaultDialer.Dial("ws://"+addrs.public+"/api", nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	defer ws.Close()
	if err := ws.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	send := func(a string, d any) {
		if err := ws.WriteJSON(map[string]any{"a": a, "d": d}); err != nil {
			t.Fatal(err)
		}
	}
	send("join", map[string]any{"roomId": "r1", "bearer": tok.Bearer})
	send("exchangeSdp", map[string]any{"to": "publisher", "sdp": map[string]string{"type": "offer", "sdp": string(offer)}})
	for {
		var msg struct {
			A string
			S bool
			E int
			D struct {
				From struct{ SocketID string }
				SDP  struct{ Type, SDP string }
			}
		}
		if err := ws.ReadJSON(&msg); err != nil {
			t.Fatalf("no answer: %v", err)
		}
		if msg.A == "exchangeSdpR" && !msg.S {
			t.Fatalf("exchangeSdp refused with %d", msg.E)
		}
		if msg.A != "eventExchangeSdp" {
			continue
		}
		answer := msg.D.SDP.SDP
		if msg.D.From.SocketID != "publisher" || msg.D.SDP.Type != "answer" || !strings.Contains(answer, "a=ice-lite") ||
			!strings.Contains(answer, " 127.0.0.1 ") || strings.Contains(answer, "127.0.0.1 0 typ") {
			t.Fatalf("answer from %q, type %q:\n%s", msg.D.From.SocketID, msg.D.SDP.Type, answer)
		}
		return
	}
}
