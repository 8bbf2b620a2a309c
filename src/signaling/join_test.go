package signaling

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/auth"
	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

var socketIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestJoinTellsEveryoneInOrder(t *testing.T) {
	h := newHarness(t, nil)
	a, b := h.dial(), h.dial()

	ja := a.joinAs(h, "room1", "alice")
	if !socketIDPattern.MatchString(ja.SocketID) || ja.UserID != "alice" || ja.RoomSize != 0 || ja.Mode != protocol.ModeRelay ||
		ja.Sessions == nil || len(ja.Sessions) != 0 || ja.UserMediaConfiguration != mediaConfigurationFor(0) {
		t.Fatalf("alice joinR = %+v", ja)
	}

	b.send("join", map[string]any{"roomId": "room1", "bearer": h.token("bob", "room1"), "platform": "iOS",
		"orientation": 180, "camera": "back", "deviceName": "iPhone", "networkType": "wifi", "version": "17",
		"appVersion": "110", "maxVideoBitrate": 500000})
	// The joiner gets each present peer's orientation, then joinR.
	oe := decode[protocol.OrientationEvent](t, b.expect(protocol.EventOrientationChange).D)
	if oe.From != (protocol.From{SocketID: ja.SocketID, UserID: "alice"}) || oe.Orientation != 90 || oe.Camera != "front" ||
		oe.Platform != "Web" {
		t.Fatalf("orientation of alice sent to bob = %+v", oe)
	}
	jb := decode[protocol.JoinResult](t, b.expectOK("join").D)
	if jb.RoomSize != 1 || len(jb.Sessions) != 1 || jb.Sessions[0] != (protocol.Session{SocketID: ja.SocketID, UserID: "alice"}) ||
		jb.SocketID == ja.SocketID {
		t.Fatalf("bob joinR = %+v", jb)
	}
	// The others get the new configuration, then the joiner's orientation.
	umc := decode[protocol.UserMediaConfiguration](t, a.expect(protocol.EventUserMediaConfiguration).D)
	if umc != mediaConfigurationFor(1) {
		t.Fatalf("umc = %+v", umc)
	}
	ob := decode[protocol.OrientationEvent](t, a.expect(protocol.EventOrientationChange).D)
	if ob.From.SocketID != jb.SocketID || ob.Orientation != 180 || ob.Camera != "back" || ob.Platform != "iOS" {
		t.Fatalf("orientation of bob sent to alice = %+v", ob)
	}

	joins := h.pub.ofKey(bus.KeyRoomJoin)
	if len(joins) != 2 {
		t.Fatalf("room.join events: %d", len(joins))
	}
	want := bus.RoomJoin{RoomID: "room1", RoomSize: 2, SocketID: jb.SocketID, UserID: "bob", Platform: "iOS",
		DeviceName: "iPhone", NetworkType: "wifi", AppVersion: "110", Version: "17", IP: "127.0.0.1", Bitrate: 500000}
	if got := joins[1].(bus.RoomJoin); got != want {
		t.Fatalf("room.join = %+v, want %+v", got, want)
	}
	if joins[0].(bus.RoomJoin).RoomSize != 1 {
		t.Fatalf("first room.join size = %d", joins[0].(bus.RoomJoin).RoomSize)
	}
}

func TestJoinRefusalsLeaveTheConnectionFree(t *testing.T) {
	h := newHarness(t, nil)
	expired, err := auth.SignHS256(testSecret, "u", "", time.Now().Add(-2*time.Hour), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := auth.SignHS256([]byte("another-secret"), "u", "", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("r", maxFieldBytes+1)
	tests := []struct {
		name  string
		frame string
		code  int
	}{
		{"no data", `{"a":"join"}`, protocol.CodeJSONFieldMissing},
		{"null data", `{"a":"join","d":null}`, protocol.CodeJSONFieldMissing},
		{"data not an object", `{"a":"join","d":"room"}`, protocol.CodeJSON},
		{"roomId not a string", `{"a":"join","d":{"roomId":1,"bearer":"` + h.token("u", "") + `"}}`, protocol.CodeJSON},
		{"orientation not an int", `{"a":"join","d":{"roomId":"r","bearer":"x","orientation":"90"}}`, protocol.CodeJSON},
		{"orientation fractional", `{"a":"join","d":{"roomId":"r","bearer":"x","orientation":90.5}}`, protocol.CodeJSON},
		{"missing roomId", `{"a":"join","d":{"bearer":"` + h.token("u", "") + `"}}`, protocol.CodeJSONFieldMissing},
		{"empty roomId", `{"a":"join","d":{"roomId":"","bearer":"` + h.token("u", "") + `"}}`, protocol.CodeJSONFieldMissing},
		{"missing bearer", `{"a":"join","d":{"roomId":"r"}}`, protocol.CodeJSONFieldMissing},
		{"long roomId", `{"a":"join","d":{"roomId":"` + long + `","bearer":"` + h.token("u", "") + `"}}`, protocol.CodeFieldInvalid},
		{"long platform", `{"a":"join","d":{"roomId":"r","platform":"` + long + `","bearer":"x"}}`, protocol.CodeFieldInvalid},
		{"orientation out of range", `{"a":"join","d":{"roomId":"r","bearer":"x","orientation":360}}`, protocol.CodeFieldInvalid},
		{"negative bitrate", `{"a":"join","d":{"roomId":"r","bearer":"x","maxVideoBitrate":-1}}`, protocol.CodeFieldInvalid},
		{"garbage bearer", `{"a":"join","d":{"roomId":"r","bearer":"not.a.jwt"}}`, protocol.CodeAuthFailed},
		{"expired bearer", `{"a":"join","d":{"roomId":"r","bearer":"` + expired + `"}}`, protocol.CodeAuthFailed},
		{"bearer of another key", `{"a":"join","d":{"roomId":"r","bearer":"` + otherKey + `"}}`, protocol.CodeAuthFailed},
		{"bearer bound to another room", `{"a":"join","d":{"roomId":"r","bearer":"` + h.token("u", "r2") + `"}}`, protocol.CodeAuthFailed},
	}
	c := h.dial()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.sendRaw(tt.frame)
			c.expectError("join", tt.code)
		})
	}
	c.t = t
	// After every refusal the same connection can still join, once.
	c.joinAs(h, "r", "u")
	c.send("join", map[string]any{"roomId": "r", "bearer": h.token("u", "")})
	c.expectError("join", protocol.CodeRoomAlreadyJoined)
	c.send("reconnect", map[string]any{"socketId": strings.Repeat("0", 32), "bearer": h.token("u", "")})
	c.expectError("reconnect", protocol.CodeRoomAlreadyJoined)
}

func TestActionsNeedAJoin(t *testing.T) {
	h := newHarness(t, nil)
	c := h.dial()
	for _, action := range []string{"leave", "exchangeSdp", "exchangeCandidate", "orientationChange", "sendMessage",
		"eventFreeze", "eventCpu", "eventNetworkChange"} {
		c.send(action, map[string]any{"to": "x"})
		c.expectError(action, protocol.CodeUserNotAuthenticated)
	}
}

func TestRoomLimit(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.RoomMaxSize = 2 })
	a, b, c := h.dial(), h.dial(), h.dial()
	a.joinAs(h, "r", "a")
	b.joinAs(h, "r", "b")
	c.send("join", map[string]any{"roomId": "r", "bearer": h.token("c", "")})
	c.expectError("join", protocol.CodeRoomIsFull)
	// Another room is not affected.
	c.joinAs(h, "other", "c")
	c.send("leave", nil)
	c.expectOK("leave")
	b.send("leave", nil)
	b.expectOK("leave")
	jc := c.joinAs(h, "r", "c")
	if jc.RoomSize != 1 {
		t.Fatalf("roomSize after a leave = %d", jc.RoomSize)
	}
}

func TestMediaConfigurationTable(t *testing.T) {
	tests := []struct {
		others                 int
		minW, maxW, minH, maxH string
	}{
		{0, "213", "640", "193", "580"},
		{1, "213", "640", "193", "580"},
		{2, "213", "640", "193", "580"},
		{3, "106", "320", "96", "290"},
		{4, "106", "320", "96", "290"},
		{5, "106", "320", "64", "193"},
		{6, "106", "320", "64", "193"},
		{7, "106", "320", "48", "145"},
	}
	for _, tt := range tests {
		got := mediaConfigurationFor(tt.others)
		want := protocol.UserMediaConfiguration{Audio: true, Video: protocol.VideoRange{
			Width:     protocol.MinMax{Min: tt.minW, Max: tt.maxW},
			Height:    protocol.MinMax{Min: tt.minH, Max: tt.maxH},
			FrameRate: protocol.MinMax{Min: "10", Max: "30"}}}
		if got != want {
			t.Errorf("others=%d: %+v, want %+v", tt.others, got, want)
		}
	}
}
