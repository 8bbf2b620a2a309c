package signaling

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// awayIn waits until the server has noticed that socketID dropped.
func (h *harness) awayIn(socketID string) {
	h.t.Helper()
	testkit.WaitFor(h.t, waitFor, "participant away", func() bool {
		for _, r := range h.srv.Snapshot().Rooms {
			for _, p := range r.Participants {
				if p.SocketID == socketID {
					return !p.Connected
				}
			}
		}
		return false
	})
}

func TestReconnectReplaysWhatWasMissed(t *testing.T) {
	h := newHarness(t, nil)
	a, b := h.dial(), h.dial()
	ja := a.joinAs(h, "r", "a")
	jb := b.joinAs(h, "r", "b")
	a.flush()
	a.drop()
	h.awayIn(ja.SocketID)

	// While a is away, b talks to it and changes orientation; b is told nothing about a.
	b.send("sendMessage", map[string]any{"to": ja.SocketID, "message": "one"})
	b.expectOK("sendMessage")
	b.send("orientationChange", map[string]any{"orientation": 180})
	b.expectOK("orientationChange")
	b.send("sendMessage", map[string]any{"to": ja.SocketID, "message": "two"})
	b.expectOK("sendMessage")
	b.barrier()

	a2 := h.dial()
	a2.send("reconnect", map[string]any{"socketId": ja.SocketID, "bearer": h.token("a", "")})
	rr := decode[protocol.ReconnectResult](t, a2.expectOK("reconnect").D)
	if rr != (protocol.ReconnectResult{SocketID: ja.SocketID, UserID: "a", RoomSize: 1, Mode: protocol.ModeRelay}) {
		t.Fatalf("reconnectR = %+v", rr)
	}
	if m := decode[protocol.MessageEvent](t, a2.expect(protocol.EventMessage).D); string(m.Message) != `"one"` || m.From.SocketID != jb.SocketID {
		t.Fatalf("first replayed = %+v", m)
	}
	if o := decode[protocol.OrientationEvent](t, a2.expect(protocol.EventOrientationChange).D); o.Orientation != 180 {
		t.Fatalf("second replayed = %+v", o)
	}
	if m := decode[protocol.MessageEvent](t, a2.expect(protocol.EventMessage).D); string(m.Message) != `"two"` {
		t.Fatalf("third replayed = %+v", m)
	}
	// The place is the same: same socketId, room and orientation; new messages reach the new websocket.
	b.send("sendMessage", map[string]any{"to": ja.SocketID, "message": "three"})
	b.expectOK("sendMessage")
	a2.expect(protocol.EventMessage)
	c := h.dial()
	c.send("join", map[string]any{"roomId": "r", "bearer": h.token("c", "")})
	if o := decode[protocol.OrientationEvent](t, c.expect(protocol.EventOrientationChange).D); o.From.SocketID != ja.SocketID || o.Orientation != 90 {
		t.Fatalf("orientation kept = %+v", o)
	}
	if len(h.pub.ofKey(bus.KeyRoomLeave)) != 0 {
		t.Fatal("a reconnect within the grace period published room.leave")
	}
}

func TestReconnectRefusals(t *testing.T) {
	h := newHarness(t, nil)
	a := h.dial()
	ja := a.joinAs(h, "r", "a")
	a.drop()
	h.awayIn(ja.SocketID)

	c := h.dial()
	for _, tt := range []struct {
		name string
		data map[string]any
		code int
	}{
		{"no bearer", map[string]any{"socketId": ja.SocketID}, protocol.CodeJSONFieldMissing},
		{"no socketId", map[string]any{"bearer": h.token("a", "")}, protocol.CodeJSONFieldMissing},
		{"another user", map[string]any{"socketId": ja.SocketID, "bearer": h.token("mallory", "")}, protocol.CodeAuthFailed},
		{"token for another room", map[string]any{"socketId": ja.SocketID, "bearer": h.token("a", "r2")}, protocol.CodeAuthFailed},
		{"bad bearer", map[string]any{"socketId": ja.SocketID, "bearer": "x.y.z"}, protocol.CodeAuthFailed},
		{"unknown socketId", map[string]any{"socketId": newSocketID(), "bearer": h.token("a", "")}, protocol.CodeReconnectUnknownSocket},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.send("reconnect", tt.data)
			c.expectError("reconnect", tt.code)
		})
	}
	c.t = t
	// The refusals did not disturb the place.
	c.send("reconnect", map[string]any{"socketId": ja.SocketID, "bearer": h.token("a", "r")})
	c.expectOK("reconnect")
}

func TestReconnectWithoutBearerWhenAllowed(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.ReconnectWithoutBearer = true })
	a := h.dial()
	ja := a.joinAs(h, "r", "a")
	a.drop()
	h.awayIn(ja.SocketID)
	c := h.dial()
	c.send("reconnect", map[string]any{"socketId": ja.SocketID})
	c.expectOK("reconnect")
}

func TestGracePeriodExpiry(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.ReconnectGrace = 100 * time.Millisecond })
	a, b := h.dial(), h.dial()
	ja := a.joinAs(h, "r", "a")
	b.joinAs(h, "r", "b")
	a.drop()
	le := decode[protocol.LeaveEvent](t, b.expect(protocol.EventLeave).D)
	if le.SocketID != ja.SocketID || le.RoomSize != 1 {
		t.Fatalf("eventLeave = %+v", le)
	}
	b.expect(protocol.EventUserMediaConfiguration)
	leaves := h.pub.ofKey(bus.KeyRoomLeave)
	if len(leaves) != 1 || leaves[0].(bus.RoomLeave).RoomSize != 1 {
		t.Fatalf("room.leave = %+v", leaves)
	}
	c := h.dial()
	c.send("reconnect", map[string]any{"socketId": ja.SocketID, "bearer": h.token("a", "")})
	c.expectError("reconnect", protocol.CodeReconnectUnknownSocket)
}

func TestReconnectReplayOverflow(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.ReplayLimit = 3; o.SendQueueLimit = 8 })
	a, b := h.dial(), h.dial()
	ja := a.joinAs(h, "r", "a")
	b.joinAs(h, "r", "b")
	a.flush()
	a.drop()
	h.awayIn(ja.SocketID)
	for range 4 {
		b.send("sendMessage", map[string]any{"to": ja.SocketID, "message": "x"})
		b.expectOK("sendMessage")
	}
	a2 := h.dial()
	a2.send("reconnect", map[string]any{"socketId": ja.SocketID, "bearer": h.token("a", "")})
	a2.expectError("reconnect", protocol.CodeReconnectReplayOverflow)
	if le := decode[protocol.LeaveEvent](t, b.expect(protocol.EventLeave).D); le.SocketID != ja.SocketID || le.RoomSize != 1 {
		t.Fatalf("eventLeave = %+v", le)
	}
	// The client joins again on the same websocket.
	a2.joinAs(h, "r", "a")
}

func TestReconnectTakesOverALiveWebsocket(t *testing.T) {
	h := newHarness(t, nil)
	a, b := h.dial(), h.dial()
	ja := a.joinAs(h, "r", "a")
	b.joinAs(h, "r", "b")
	a.flush()
	a2 := h.dial()
	a2.send("reconnect", map[string]any{"socketId": ja.SocketID, "bearer": h.token("a", "")})
	a2.expectOK("reconnect")
	ce := a.expectClose()
	if ce.Code != websocket.ClosePolicyViolation || ce.Text != "replaced by reconnect" {
		t.Fatalf("old websocket closed with %d %q", ce.Code, ce.Text)
	}
	// The old websocket's end does not make the participant leave.
	b.send("sendMessage", map[string]any{"to": ja.SocketID, "message": "still here"})
	b.expectOK("sendMessage")
	a2.expect(protocol.EventMessage)
	if st := h.srv.Snapshot(); st.Participants != 2 || !st.Rooms[0].Participants[0].Connected {
		t.Fatalf("state after takeover: %+v", st)
	}
}
