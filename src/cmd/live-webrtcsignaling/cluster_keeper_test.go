package main

import (
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// ownerDeathAllLocal makes a room owned by c with the websockets of alice and bob both on c, then kills c: no
// other node holds a websocket of the room, so only c's keeper knows its members. It returns the joins and the
// room's bus events after both room.join.
func ownerDeathAllLocal(t *testing.T, tc *testCluster) (ja, jb joined, room string, events busEvents) {
	t.Helper()
	var alice *wsClient
	for range 30 {
		room = brokertest.UniqueName("room-")
		events = busEvents{liveEvents(t, tc.url, room)}
		alice = tc.nodes["c"].dial(t)
		ja = alice.joinAs(t, room, "alice")
		if tc.owner(t, room) == "c" {
			break
		}
		_ = alice.Conn.Close()
	}
	if tc.owner(t, room) != "c" {
		t.Fatal("c never got a room")
	}
	bob := tc.nodes["c"].dial(t)
	jb = bob.joinAs(t, room, "bob")
	for _, want := range []string{ja.SocketID, jb.SocketID} {
		key, f, ok := events.next(t, testkit.Patient)
		if !ok || key != bus.KeyRoomJoin || f["socketId"] != want {
			t.Fatalf("bus event %s %v, want the room.join of %s", key, f, want)
		}
	}
	dead := tc.nodes["c"].proxy
	dead.RefuseNew()
	dead.Cut()
	_ = alice.Conn.NetConn().Close()
	_ = bob.Conn.NetConn().Close()
	return ja, jb, room, events
}

// TestClusterOwnerDeathKeeperMovesRoom: both members were on the dead owner. Its keeper places the room again with
// both away; they reconnect through a and b, keep their socketIds and reach each other; the bus shows nothing more.
func TestClusterOwnerDeathKeeperMovesRoom(t *testing.T) {
	tc := startCluster(t, "a", "b", "c")
	ja, jb, _, events := ownerDeathAllLocal(t, tc)
	alice := tc.nodes["a"].dial(t)
	alice.send(t, "reconnect", map[string]any{"socketId": ja.SocketID, "bearer": signedBearer(t, "alice")})
	if r := alice.reply(t, "reconnect"); !r.OK() {
		t.Fatalf("alice's reconnect through a: %+v", r)
	}
	bob := tc.nodes["b"].dial(t)
	bob.send(t, "reconnect", map[string]any{"socketId": jb.SocketID, "bearer": signedBearer(t, "bob")})
	if r := bob.reply(t, "reconnect"); !r.OK() {
		t.Fatalf("bob's reconnect through b: %+v", r)
	}
	var ev struct {
		From    struct{ SocketID string }
		Message string
	}
	alice.send(t, "sendMessage", map[string]any{"to": jb.SocketID, "message": "hello bob"})
	bob.event(t, "eventMessage", &ev)
	if ev.Message != "hello bob" || ev.From.SocketID != ja.SocketID {
		t.Fatalf("bob got %+v", ev)
	}
	bob.send(t, "sendMessage", map[string]any{"to": ja.SocketID, "message": "hello alice"})
	alice.event(t, "eventMessage", &ev)
	if ev.Message != "hello alice" || ev.From.SocketID != jb.SocketID {
		t.Fatalf("alice got %+v", ev)
	}
	if key, f, ok := events.next(t, time.Second); ok {
		t.Fatalf("bus event after the move: %s %v", key, f)
	}
}

// TestClusterOwnerDeathKeeperGhostsLeave: as above, but nobody comes back: at the grace's end each member leaves,
// and the bus shows each room.leave exactly once.
func TestClusterOwnerDeathKeeperGhostsLeave(t *testing.T) {
	tc := startClusterWith(t, "relay", map[string]string{"RECONNECT_GRACE": "2s"}, "a", "b", "c")
	ja, jb, _, events := ownerDeathAllLocal(t, tc)
	left := map[string]int{}
	for range 2 {
		key, f, ok := events.next(t, testkit.Patient)
		if !ok || key != bus.KeyRoomLeave {
			t.Fatalf("bus event %s %v, want a room.leave", key, f)
		}
		id, _ := f["socketId"].(string)
		left[id]++
	}
	if left[ja.SocketID] != 1 || left[jb.SocketID] != 1 {
		t.Fatalf("room.leave of %v, want alice %s and bob %s once each", left, ja.SocketID, jb.SocketID)
	}
	if key, f, ok := events.next(t, 2*time.Second); ok {
		t.Fatalf("one more bus event: %s %v", key, f)
	}
}
