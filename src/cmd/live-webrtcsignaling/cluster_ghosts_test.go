package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// ownerDeathWithLocalMember makes a room owned by c with carol's websocket on c and alice's on a, then kills c (its
// broker connection cut for good, carol's websocket cut): alice's node moves the room. It returns the clients,
// their joins and the room's bus events after both room.join.
func ownerDeathWithLocalMember(t *testing.T, tc *testCluster) (alice *wsClient, ja, jc joined, room string,
	events busEvents) {
	t.Helper()
	var carol *wsClient
	for range 30 {
		room = brokertest.UniqueName("room-")
		events = busEvents{liveEvents(t, tc.url, room)}
		carol = tc.nodes["c"].dial(t)
		jc = carol.joinAs(t, room, "carol")
		if tc.owner(t, room) == "c" {
			break
		}
		_ = carol.Conn.Close()
	}
	if tc.owner(t, room) != "c" {
		t.Fatal("c never got a room")
	}
	alice = tc.nodes["a"].dial(t)
	ja = alice.joinAs(t, room, "alice")
	// Both room.join are out before c dies.
	for _, want := range []string{jc.SocketID, ja.SocketID} {
		key, f, ok := events.next(t, testkit.Patient)
		if !ok || key != bus.KeyRoomJoin || f["socketId"] != want {
			t.Fatalf("bus event %s %v, want the room.join of %s", key, f, want)
		}
	}
	dead := tc.nodes["c"].proxy
	dead.RefuseNew()
	dead.Cut()
	_ = carol.Conn.NetConn().Close()
	return alice, ja, jc, room, events
}

// heldAway waits until a live node owns room and holds the participant socketID away.
func (tc *testCluster) heldAway(t *testing.T, room, socketID string) string {
	t.Helper()
	owner := ""
	testkit.WaitFor(t, testkit.Patient, "a new owner holding "+socketID+" away", func() bool {
		for _, id := range []string{"a", "b"} {
			n := tc.nodes[id]
			if slices.Contains(n.state(t).RoomsOwned, room) {
				body := ownerState(t, n)
				if strings.Contains(body, socketID) && strings.Contains(body, `"awaySince"`) {
					owner = id
				}
			}
		}
		return owner != ""
	})
	return owner
}

// TestClusterOwnerDeathKeepsItsOwnMembers: the dead owner held carol's websocket itself. The new owner learnt of
// her from the membership the old owner sent alice's node; carol reconnects through b within the grace, keeps her
// socketId and gets what alice sent her meanwhile; no room.join or room.leave is published again.
func TestClusterOwnerDeathKeepsItsOwnMembers(t *testing.T) {
	tc := startCluster(t, "a", "b", "c")
	alice, ja, jc, room, events := ownerDeathWithLocalMember(t, tc)
	t.Logf("room moved to %s, carol held away there", tc.heldAway(t, room, jc.SocketID))
	alice.send(t, "sendMessage", map[string]any{"to": jc.SocketID, "message": "while the room moved"})
	if r := alice.reply(t, "sendMessage"); !r.OK() {
		t.Fatalf("sendMessageR to carol away: %+v", r)
	}
	carol := tc.nodes["b"].dial(t)
	carol.send(t, "reconnect", map[string]any{"socketId": jc.SocketID, "bearer": signedBearer(t, "carol")})
	r := carol.reply(t, "reconnect")
	if !r.OK() {
		t.Fatalf("carol's reconnect through b: %+v", r)
	}
	var ev struct {
		From    struct{ SocketID string }
		Message string
	}
	carol.event(t, "eventMessage", &ev)
	if ev.Message != "while the room moved" || ev.From.SocketID != ja.SocketID {
		t.Fatalf("replayed %+v", ev)
	}
	carol.send(t, "sendMessage", map[string]any{"to": ja.SocketID, "message": "back"})
	alice.event(t, "eventMessage", &ev)
	if ev.Message != "back" || ev.From.SocketID != jc.SocketID {
		t.Fatalf("alice got %+v", ev)
	}
	if key, f, ok := events.next(t, time.Second); ok {
		t.Fatalf("bus event after the move: %s %v", key, f)
	}
}

// TestClusterOwnerDeathReconnectAtOnce: carol's client reconnects through b as soon as its websocket to the dead
// owner closes, before the others noticed the death: the reconnect waits for the room to move and keeps her place.
func TestClusterOwnerDeathReconnectAtOnce(t *testing.T) {
	tc := startCluster(t, "a", "b", "c")
	alice, ja, jc, _, _ := ownerDeathWithLocalMember(t, tc)
	carol := tc.nodes["b"].dial(t)
	carol.send(t, "reconnect", map[string]any{"socketId": jc.SocketID, "bearer": signedBearer(t, "carol")})
	if r := carol.reply(t, "reconnect"); !r.OK() {
		t.Fatalf("carol's reconnect through b at once: %+v", r)
	}
	carol.send(t, "sendMessage", map[string]any{"to": ja.SocketID, "message": "back"})
	var ev struct {
		From    struct{ SocketID string }
		Message string
	}
	alice.event(t, "eventMessage", &ev)
	if ev.Message != "back" || ev.From.SocketID != jc.SocketID {
		t.Fatalf("alice got %+v", ev)
	}
}

// TestClusterOwnerDeathGhostLeaves: as above, but carol never comes back: at the grace's end alice is told that she
// left, and the bus shows her room.leave exactly once.
func TestClusterOwnerDeathGhostLeaves(t *testing.T) {
	tc := startClusterWith(t, "relay", map[string]string{"RECONNECT_GRACE": "2s"}, "a", "b", "c")
	alice, _, jc, _, events := ownerDeathWithLocalMember(t, tc)
	var left struct{ SocketID string }
	alice.event(t, "eventLeave", &left)
	if left.SocketID != jc.SocketID {
		t.Fatalf("eventLeave of %s, want carol %s", left.SocketID, jc.SocketID)
	}
	key, f, ok := events.next(t, testkit.Patient)
	if !ok || key != bus.KeyRoomLeave || f["socketId"] != jc.SocketID {
		t.Fatalf("bus event %s %v, want carol's room.leave", key, f)
	}
	if key, f, ok := events.next(t, 2*time.Second); ok {
		t.Fatalf("one more bus event: %s %v", key, f)
	}
	carol := tc.nodes["b"].dial(t)
	carol.send(t, "reconnect", map[string]any{"socketId": jc.SocketID, "bearer": signedBearer(t, "carol")})
	if r := carol.reply(t, "reconnect"); r.E != 1317 {
		t.Fatalf("reconnect after the grace: %+v, want 1317", r)
	}
}

// TestClusterOwnerDeathGhostMCU: in MCU mode the held member's replay says that its media moved (its upstream and
// its downstream from alice), and alice is told that hers moved too (her upstream, her downstream from carol).
func TestClusterOwnerDeathGhostMCU(t *testing.T) {
	tc := startClusterIn(t, "mcu", "a", "b", "c")
	alice, ja, jc, room, _ := ownerDeathWithLocalMember(t, tc)
	tc.heldAway(t, room, jc.SocketID)
	var down struct {
		From   struct{ SocketID string }
		Reason string
	}
	movedFrom := func(c *wsClient) map[string]int {
		seen := map[string]int{}
		for range 2 {
			c.event(t, "eventWebrtcDown", &down)
			if down.Reason != "moved" {
				t.Fatalf("eventWebrtcDown %+v", down)
			}
			seen[down.From.SocketID]++
		}
		return seen
	}
	if seen := movedFrom(alice); seen["publisher"] != 1 || seen[jc.SocketID] != 1 {
		t.Fatalf("alice's eventWebrtcDown moved from %v, want publisher and carol", seen)
	}
	carol := tc.nodes["b"].dial(t)
	carol.send(t, "reconnect", map[string]any{"socketId": jc.SocketID, "bearer": signedBearer(t, "carol")})
	if r := carol.reply(t, "reconnect"); !r.OK() {
		t.Fatalf("carol's reconnect through b: %+v", r)
	}
	if seen := movedFrom(carol); seen["publisher"] != 1 || seen[ja.SocketID] != 1 {
		t.Fatalf("carol's eventWebrtcDown moved from %v, want publisher and alice", seen)
	}
}
