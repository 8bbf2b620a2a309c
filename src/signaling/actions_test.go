package signaling

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

func TestMalformedFrames(t *testing.T) {
	h := newHarness(t, nil)
	c := h.dial()
	for _, frame := range []string{`not json`, `{"a":5}`, `{"d":{}}`, `[]`, `{"a":"join"`, `"join"`} {
		c.sendRaw(frame)
		c.expectError("general", protocol.CodeJSON)
	}
	if err := c.ws.WriteMessage(websocket.BinaryMessage, []byte(`{"a":"join"}`)); err != nil {
		t.Fatal(err)
	}
	c.expectError("general", protocol.CodeJSON)
	c.sendRaw("{\"a\":\"sendMessage\",\"d\":{\"to\":\"x\",\"message\":\"\xff\"}}")
	c.expectError("general", protocol.CodeJSON)

	// An unknown action is echoed JSON-escaped and cut; the frame stays valid JSON.
	c.sendRaw(`{"a":"x\",\"s\":true,\"y"}`)
	c.expectError(`x","s":true,"y`, protocol.CodeUnknownAction)
	c.send(strings.Repeat("é", 40), nil)
	m := c.next()
	if m.E != protocol.CodeUnknownAction || len(m.A) > maxActionEcho+1 || !strings.HasSuffix(m.A, "éR") {
		t.Fatalf("long unknown action answered %q e=%d", m.A, m.E)
	}
	// The connection is still usable.
	c.joinAs(h, "r", "u")
}

func TestLeaveTellsTheOthers(t *testing.T) {
	h := newHarness(t, nil)
	a, b, c := h.dial(), h.dial(), h.dial()
	ja := a.joinAs(h, "r", "a")
	b.joinAs(h, "r", "b")
	jc := c.joinAs(h, "r", "c")
	a.flush()
	b.flush()

	c.send("leave", nil)
	c.expectOK("leave")
	for _, peer := range []*client{a, b} {
		le := decode[protocol.LeaveEvent](t, peer.expect(protocol.EventLeave).D)
		if le != (protocol.LeaveEvent{RoomID: "r", RoomSize: 2, SocketID: jc.SocketID, UserID: "c"}) {
			t.Fatalf("eventLeave = %+v", le)
		}
		if umc := decode[protocol.UserMediaConfiguration](t, peer.expect(protocol.EventUserMediaConfiguration).D); umc != mediaConfigurationFor(1) {
			t.Fatalf("umc after leave = %+v", umc)
		}
	}
	leaves := h.pub.ofKey(bus.KeyRoomLeave)
	if len(leaves) != 1 || leaves[0].(bus.RoomLeave) != (bus.RoomLeave{RoomID: "r", RoomSize: 2, SocketID: jc.SocketID, UserID: "c"}) {
		t.Fatalf("room.leave = %+v", leaves)
	}
	// The websocket stays open and may join again.
	c.joinAs(h, "r", "c")
	a.expect(protocol.EventUserMediaConfiguration)
	a.expect(protocol.EventOrientationChange)

	// A close frame leaves at once, without grace.
	if err := b.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")); err != nil {
		t.Fatal(err)
	}
	le := decode[protocol.LeaveEvent](t, a.expect(protocol.EventLeave).D)
	if le.UserID != "b" || le.RoomSize != 2 {
		t.Fatalf("eventLeave after close = %+v", le)
	}
	a.expect(protocol.EventUserMediaConfiguration)
	_ = ja
}

func TestOrientationIsStoredAndBroadcast(t *testing.T) {
	h := newHarness(t, nil)
	a, b := h.dial(), h.dial()
	ja := a.joinAs(h, "r", "a")
	b.joinAs(h, "r", "b")
	a.expect(protocol.EventUserMediaConfiguration)
	a.expect(protocol.EventOrientationChange)

	a.send("orientationChange", map[string]any{"orientation": 270, "camera": "back"})
	a.expectOK("orientationChange")
	oe := decode[protocol.OrientationEvent](t, b.expect(protocol.EventOrientationChange).D)
	if oe.From.SocketID != ja.SocketID || oe.Orientation != 270 || oe.Camera != "back" {
		t.Fatalf("eventOrientationChange = %+v", oe)
	}
	a.send("orientationChange", map[string]any{"orientation": 0})
	a.expectOK("orientationChange")
	b.expect(protocol.EventOrientationChange)

	// A later joiner gets the stored values, camera kept when omitted.
	c := h.dial()
	c.send("join", map[string]any{"roomId": "r", "bearer": h.token("c", "")})
	stored := decode[protocol.OrientationEvent](t, c.expect(protocol.EventOrientationChange).D)
	if stored.From.SocketID != ja.SocketID || stored.Orientation != 0 || stored.Camera != "back" {
		t.Fatalf("stored orientation = %+v", stored)
	}
	a.flush()

	for frame, code := range map[string]int{
		`{"a":"orientationChange","d":{}}`:                  protocol.CodeJSONFieldMissing,
		`{"a":"orientationChange","d":{"orientation":"0"}}`: protocol.CodeJSON,
		`{"a":"orientationChange","d":{"orientation":-90}}`: protocol.CodeFieldInvalid,
	} {
		a.sendRaw(frame)
		a.expectError("orientationChange", code)
	}
}

func TestSendMessageStaysInTheRoom(t *testing.T) {
	h := newHarness(t, nil)
	a, b, x := h.dial(), h.dial(), h.dial()
	ja := a.joinAs(h, "r", "a")
	jb := b.joinAs(h, "r", "b")
	jx := x.joinAs(h, "elsewhere", "x")
	a.expect(protocol.EventUserMediaConfiguration)
	a.expect(protocol.EventOrientationChange)

	a.send("sendMessage", map[string]any{"to": jb.SocketID, "message": map[string]any{"hello": []int{1, 2}}})
	a.expectOK("sendMessage")
	me := decode[protocol.MessageEvent](t, b.expect(protocol.EventMessage).D)
	if me.From != (protocol.From{SocketID: ja.SocketID, UserID: "a"}) || string(me.Message) != `{"hello":[1,2]}` {
		t.Fatalf("eventMessage = %+v %s", me.From, me.Message)
	}
	for _, to := range []string{jx.SocketID, ja.SocketID, "unknown"} {
		a.send("sendMessage", map[string]any{"to": to, "message": "hi"})
		a.expectError("sendMessage", protocol.CodeSocketIDDoesNotExist)
	}
	a.send("sendMessage", map[string]any{"to": jb.SocketID})
	a.expectError("sendMessage", protocol.CodeJSONFieldMissing)
	x.barrier()
}

func TestRelayMode(t *testing.T) {
	h := newHarness(t, nil)
	a, b := h.dial(), h.dial()
	ja := a.joinAs(h, "r", "a")
	jb := b.joinAs(h, "r", "b")
	a.expect(protocol.EventUserMediaConfiguration)
	a.expect(protocol.EventOrientationChange)

	offer := map[string]any{"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}
	a.send("exchangeSdp", map[string]any{"to": jb.SocketID, "sdp": offer})
	a.expectOK("exchangeSdp")
	se := decode[protocol.ExchangeSdpEvent](t, b.expect(protocol.EventExchangeSdp).D)
	if se.From != (protocol.From{SocketID: ja.SocketID, UserID: "a"}) || se.SDP.SDP != offer["sdp"] {
		t.Fatalf("eventExchangeSdp = %+v", se)
	}

	cand := map[string]any{"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host", "sdpMid": "0", "sdpMLineIndex": 0}
	b.send("exchangeCandidate", map[string]any{"to": ja.SocketID, "candidate": cand})
	b.expectOK("exchangeCandidate")
	ce := decode[protocol.ExchangeCandidateEvent](t, a.expect(protocol.EventExchangeCandidate).D)
	if ce.From != (protocol.From{SocketID: jb.SocketID, UserID: "b"}) || !strings.Contains(string(ce.Candidate), "typ host") {
		t.Fatalf("eventExchangeCandidate = %+v %s", ce.From, ce.Candidate)
	}
	// End of candidates: relayed, no reply on success.
	b.send("exchangeCandidate", map[string]any{"to": ja.SocketID, "candidate": map[string]any{"completed": true}})
	a.expect(protocol.EventExchangeCandidate)
	b.barrier()

	for _, tt := range []struct {
		action, frame string
		code          int
	}{
		{"exchangeSdp", `{"a":"exchangeSdp","d":{"to":"` + jb.SocketID + `"}}`, protocol.CodeJSONFieldMissing},
		{"exchangeSdp", `{"a":"exchangeSdp","d":{"sdp":{"type":"offer"}}}`, protocol.CodeJSONFieldMissing},
		{"exchangeSdp", `{"a":"exchangeSdp","d":{"to":"` + jb.SocketID + `","sdp":"v=0"}}`, protocol.CodeJSON}, // docs/API.md: a field of the wrong type
		{"exchangeSdp", `{"a":"exchangeSdp","d":{"to":7,"sdp":{}}}`, protocol.CodeJSON},
		{"exchangeSdp", `{"a":"exchangeSdp","d":{"to":"publisher","sdp":{}}}`, protocol.CodeSocketIDDoesNotExist},
		{"exchangeCandidate", `{"a":"exchangeCandidate","d":{"to":"` + jb.SocketID + `","candidate":{"completed":"yes"}}}`, protocol.CodeJSON},
		{"exchangeCandidate", `{"a":"exchangeCandidate","d":{"to":"nobody","candidate":{}}}`, protocol.CodeSocketIDDoesNotExist},
	} {
		a.sendRaw(tt.frame)
		a.expectError(tt.action, tt.code)
	}
}

func TestReportsArePublished(t *testing.T) {
	h := newHarness(t, nil)
	a := h.dial()
	ja := a.joinAs(h, "r", "a")
	a.send("eventFreeze", nil)
	a.send("eventCpu", map[string]any{"cpuUsed": 42})
	a.send("eventNetworkChange", map[string]any{"networkType": "mobile"})
	// No reply on success: the next message answers the barrier.
	a.barrier()
	want := []bus.Event{
		bus.WebrtcFreeze{RoomID: "r", SocketID: ja.SocketID, UserID: "a"},
		bus.WebrtcCPU{RoomID: "r", SocketID: ja.SocketID, UserID: "a", CPUUsed: 42},
		bus.WebrtcNetworkChange{RoomID: "r", SocketID: ja.SocketID, UserID: "a", NetworkType: "mobile"},
	}
	got := h.pub.all()[1:]
	if len(got) != len(want) {
		t.Fatalf("events %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if st := h.srv.Snapshot(); st.Rooms[0].Participants[0].NetworkType != "mobile" {
		t.Fatalf("networkType not stored: %+v", st.Rooms[0].Participants[0])
	}
	for frame, code := range map[string]int{
		`{"a":"eventCpu"}`:                                 protocol.CodeJSONFieldMissing,
		`{"a":"eventCpu","d":{"cpuUsed":"high"}}`:          protocol.CodeJSON,
		`{"a":"eventCpu","d":{"cpuUsed":-1}}`:              protocol.CodeFieldInvalid,
		`{"a":"eventNetworkChange","d":{}}`:                protocol.CodeJSONFieldMissing,
		`{"a":"eventNetworkChange","d":{"networkType":1}}`: protocol.CodeJSON,
	} {
		var env struct{ A string }
		if err := json.Unmarshal([]byte(frame), &env); err != nil {
			t.Fatal(err)
		}
		a.sendRaw(frame)
		a.expectError(env.A, code)
	}
}
