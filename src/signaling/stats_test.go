package signaling

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

func messageCount(st Stats, action string) MessageCount {
	for _, m := range st.Messages {
		if m.Action == action {
			return m
		}
	}
	return MessageCount{Action: action}
}

func errorCount(st Stats, code int) uint64 {
	for _, e := range st.Errors {
		if e.Code == code {
			return e.Count
		}
	}
	return 0
}

func TestStatsCountMessagesErrorsAndReconnects(t *testing.T) {
	h := newHarness(t, nil)
	if st := h.srv.Stats(); st.Rooms != 0 || st.Participants != 0 || len(st.Messages) != len(countedActions) ||
		len(st.Errors) != 0 {
		t.Fatalf("fresh server: %+v", st)
	}
	a, b := h.dial(), h.dial()
	ja := a.joinAs(h, "r1", "a")
	b.joinAs(h, "r2", "b")
	a.send("orientationChange", map[string]any{"orientation": 180})
	a.expectOK("orientationChange")
	a.send("sendMessage", map[string]any{"to": "nobody"})
	a.expectError("sendMessage", protocol.CodeJSONFieldMissing)
	a.sendRaw(`{"a":"no such action"}`)
	a.expectError("no such action", protocol.CodeUnknownAction)
	a.sendRaw(`not json`)
	a.expectError("general", protocol.CodeJSON)
	if err := a.ws.WriteMessage(websocket.BinaryMessage, []byte{1}); err != nil {
		t.Fatal(err)
	}
	a.expectError("general", protocol.CodeJSON)
	a.drop()
	h.awayIn(ja.SocketID)
	a2 := h.dial()
	a2.send("reconnect", map[string]any{"socketId": ja.SocketID, "bearer": h.token("a", "")})
	a2.expectOK("reconnect")

	// The server counts a message, and the reconnect, after queueing its reply: wait for the last ones counted,
	// b's join and a2's reconnect (a's messages were counted before its read goroutine ended).
	var st Stats
	testkit.WaitFor(t, waitFor, "the join and the reconnect counted", func() bool {
		st = h.srv.Stats()
		return st.Reconnects >= 1 && messageCount(st, "reconnect").OK >= 1 && messageCount(st, "join").OK >= 2
	})
	if st.Rooms != 2 || st.Participants != 2 || st.Reconnects != 1 || st.Connections != 2 || st.AcceptedTotal != 3 {
		t.Fatalf("gauges: %+v", st)
	}
	for _, want := range []MessageCount{
		{Action: "join", OK: 2}, {Action: "reconnect", OK: 1}, {Action: "orientationChange", OK: 1},
		{Action: "sendMessage", Failed: 1}, {Action: protocol.ActionGeneral, Failed: 3}, {Action: "leave"},
	} {
		if got := messageCount(st, want.Action); got != want {
			t.Errorf("messages %s = %+v, want %+v", want.Action, got, want)
		}
	}
	for code, want := range map[int]uint64{protocol.CodeJSONFieldMissing: 1, protocol.CodeUnknownAction: 1, protocol.CodeJSON: 2, protocol.CodeAuthFailed: 0} {
		if got := errorCount(st, code); got != want {
			t.Errorf("errors %d = %d, want %d", code, got, want)
		}
	}
}

func TestStatsCountRateLimitedMessages(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.RateLimit, o.RateBurst = 1, 5 })
	a := h.dial()
	// The server closes the flooder after its 6th drop in a row: the writes after its close frame fail.
	for range 20 {
		if a.kc.SendRaw([]byte(`{"a":"eventFreeze"}`)) != nil {
			break
		}
	}
	a.expectClose()
	if st := h.srv.Stats(); st.RateLimited == 0 || errorCount(st, protocol.CodeRateLimited) != 1 {
		t.Fatalf("rate limited %d, 1331 replies %d", st.RateLimited, errorCount(st, protocol.CodeRateLimited))
	}
}

func TestCountersOutOfRangeCodes(t *testing.T) {
	c := newCounters()
	c.errorReply(42)
	c.errorReply(codeBase + codeCounters)
	c.message("made up", protocol.CodeJSON)
	if got := c.codes[protocol.CodeSystem-codeBase].Load(); got != 2 {
		t.Fatalf("codes outside the range counted as 1280: %d", got)
	}
	if got := c.failed[actionIndex[protocol.ActionGeneral]].Load(); got != 1 {
		t.Fatalf("unknown action counted as general: %d", got)
	}
}

func TestDrainRefusesJoinsAndWaitsForTheLastParticipant(t *testing.T) {
	h := newHarness(t, nil)
	a, b := h.dial(), h.dial()
	ja := a.joinAs(h, "r", "a")
	jb := b.joinAs(h, "r", "b")
	a.flush()
	b.flush()
	drained := h.srv.Drain()

	// New joins are refused, in an existing room as in a new one; no room is left behind.
	c := h.dial()
	for _, room := range []string{"r", "new"} {
		c.send("join", map[string]any{"roomId": room, "bearer": h.token("c", "")})
		c.expectError("join", protocol.CodeServerDraining)
	}
	if st := h.srv.Stats(); st.Rooms != 1 || st.Participants != 2 {
		t.Fatalf("after refused joins: %+v", st)
	}
	// The call goes on: messages flow, and a dropped participant may come back.
	a.send("sendMessage", map[string]any{"to": jb.SocketID, "message": "still here"})
	a.expectOK("sendMessage")
	b.expect(protocol.EventMessage)
	a.drop()
	h.awayIn(ja.SocketID)
	a2 := h.dial()
	a2.send("reconnect", map[string]any{"socketId": ja.SocketID, "bearer": h.token("a", "")})
	a2.expectOK("reconnect")
	select {
	case <-drained:
		t.Fatal("drained while participants remain")
	default:
	}
	a2.send("leave", nil)
	a2.expectOK("leave")
	b.flush()
	b.send("leave", nil)
	b.expectOK("leave")
	select {
	case <-drained:
	case <-time.After(waitFor):
		t.Fatal("not drained after the last leave")
	}
	if n := len(h.pub.ofKey(bus.KeyRoomLeave)); n != 2 {
		t.Fatalf("room.leave published %d times, want 2", n)
	}
}

func TestDrainOfAnEmptyServerIsImmediate(t *testing.T) {
	h := newHarness(t, nil)
	select {
	case <-h.srv.Drain():
	default:
		t.Fatal("empty server not drained at once")
	}
	// A second call returns the same, closed, channel.
	select {
	case <-h.srv.Drain():
	default:
		t.Fatal("second Drain not closed")
	}
}
