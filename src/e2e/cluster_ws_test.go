package e2e

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// wsClient is a websocket client of one node that fails its test on an error.
type wsClient struct {
	t    testing.TB
	kc   *testkit.Client
	node string
	user string
	// socketID is the participant's, once joined.
	socketID string
}

// dial opens a websocket to node for user.
func dial(t testing.TB, node *clusterNode, user string) *wsClient {
	t.Helper()
	return &wsClient{t: t, kc: testkit.DialT(t, node.WS, nil), node: node.ID, user: user}
}

func (c *wsClient) send(action string, data any) {
	c.t.Helper()
	if err := c.kc.Send(action, data); err != nil {
		c.t.Fatalf("%s on node %s: send %s: %v", c.user, c.node, action, err)
	}
}

func (c *wsClient) sendRaw(frame string) {
	c.t.Helper()
	if err := c.kc.SendRaw([]byte(frame)); err != nil {
		c.t.Fatalf("%s on node %s: send %s: %v", c.user, c.node, frame, err)
	}
}

// expect returns the next message named action; the messages before it stay for later calls.
func (c *wsClient) expect(action string) testkit.Message {
	c.t.Helper()
	m, err := c.kc.Await(testkit.Patient, action, func(m testkit.Message) bool { return m.A == action })
	if err != nil {
		c.t.Fatalf("%s on node %s: %v", c.user, c.node, err)
	}
	return m
}

// next returns the next message whatever it is.
func (c *wsClient) next() testkit.Message {
	c.t.Helper()
	m, err := c.kc.Next(testkit.Patient)
	if err != nil {
		c.t.Fatalf("%s on node %s: %v", c.user, c.node, err)
	}
	return m
}

// ok returns the reply to action and checks it succeeded.
func (c *wsClient) ok(action string) testkit.Message {
	c.t.Helper()
	m, err := c.kc.OKReply(action, testkit.Patient)
	if err != nil {
		c.t.Fatalf("%s on node %s: %v", c.user, c.node, err)
	}
	return m
}

// refused checks that action is answered with the error code.
func (c *wsClient) refused(action string, code int) {
	c.t.Helper()
	m, err := c.kc.Reply(action, testkit.Patient)
	if err != nil {
		c.t.Fatalf("%s on node %s: %v", c.user, c.node, err)
	}
	if m.OK() || m.E != code {
		c.t.Fatalf("%s on node %s: %s answered s=%v e=%d, want error %d", c.user, c.node, m.A, m.OK(), m.E, code)
	}
}

// join joins room and returns joinR's data.
func (c *wsClient) join(room string) protocol.JoinResult {
	c.t.Helper()
	c.send("join", map[string]any{"roomId": room, "bearer": bearer(c.t, c.user), "platform": "Web",
		"orientation": 90, "camera": "front"})
	jr := decodeAs[protocol.JoinResult](c.t, c.ok("join").D)
	c.socketID = jr.SocketID
	return jr
}

// barrier proves that nothing else was queued for c before now: the server answers frames in order, so the reply
// to an unknown action comes after everything sent before it. The messages before it are returned.
func (c *wsClient) barrier() []testkit.Message {
	c.t.Helper()
	c.sendRaw(`{"a":"barrier"}`)
	var before []testkit.Message
	for m := c.next(); m.A != "barrierR"; m = c.next() {
		before = append(before, m)
	}
	return before
}

func decodeAs[T any](t testing.TB, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

var socketIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// busEvents returns the room events of room the consumer received, deduplicated by eventId as a consumer must,
// and counts by "key socketId" the events with a distinct eventId: a duplicate published twice shows there.
func busEvents(msgs []brokertest.Message, room string) (events []brokertest.Message, count map[string]int) {
	count = make(map[string]int)
	for _, m := range brokertest.Dedupe(msgs) {
		if m.Str("roomId") != room {
			continue
		}
		events = append(events, m)
		count[m.Key+" "+m.Str("socketId")]++
	}
	return events, count
}

// waitBus waits until the consumer has every one of want ("key socketId") for room, then lets a moment for
// duplicates pass through a barrier of its own (an event published after the waited ones, on every node), and
// checks that each came exactly once.
func waitBus(t testing.TB, consumer *brokertest.Consumer, room string, want []string) {
	t.Helper()
	var count map[string]int
	consumer.WaitUntilIn(t, "the bus events of room "+room, func(msgs []brokertest.Message) bool {
		_, count = busEvents(msgs, room)
		for _, w := range want {
			if count[w] == 0 {
				return false
			}
		}
		return true
	})
	for k, n := range count {
		if n != 1 {
			t.Errorf("room %s: %d distinct %s events on the bus, want exactly one", room, n, k)
		}
	}
}

// ownedElsewhere places room on the cluster with a first member joined on node first, and returns the room's
// owner, that member, and a node that is not the owner.
func ownedElsewhere(t *testing.T, c *cluster, room string, first *clusterNode) (owner string, member *wsClient,
	edge *clusterNode) {
	t.Helper()
	member = dial(t, first, "first")
	member.join(room)
	owner = c.ownerOf(t, room)
	return owner, member, c.others(owner)[0]
}

// TestClusterSignaling holds the websocket-level proofs of the cluster (docs/OPERATIONS.md, "Cluster"): three
// nodes of the built binary, CLUSTER=on, on one private RabbitMQ, inside the test's loopback-only namespace.
func TestClusterSignaling(t *testing.T) {
	c := newCluster(t)
	consumer := brokertest.NewConsumer(t, c.Broker.URL, liveEvents)

	t.Run("conformance through a non-owner node", func(t *testing.T) {
		c.startNodes(t, 3, map[string]string{"MEDIA_MODE": "mcu", "ROOM_MAX_SIZE": "4", "RECONNECT_GRACE": "20s"})
		testConformanceThroughNonOwner(t, c, consumer)
	})
	t.Run("concurrent first joins give one owner", func(t *testing.T) {
		// A short grace: a websocket the server finds broken by a failed write before it read the client's close
		// frame counts as a drop, whose room.leave comes at the grace's end (30 s by default, as long as the wait).
		c.startNodes(t, 3, map[string]string{"MEDIA_MODE": "relay", "CLUSTER_ROOM_RELEASE_AFTER": "1s",
			"RECONNECT_GRACE": "2s"})
		testConcurrentFirstJoins(t, c, consumer)
	})
	t.Run("signaling node killed", func(t *testing.T) {
		c.startNodes(t, 3, map[string]string{"MEDIA_MODE": "relay", "RECONNECT_GRACE": "20s"})
		testEdgeKilled(t, c, consumer)
	})
	t.Run("owner killed", func(t *testing.T) {
		c.startNodes(t, 3, map[string]string{"MEDIA_MODE": "relay", "RECONNECT_GRACE": "20s"})
		testOwnerKilled(t, c, consumer)
	})
}

// testConformanceThroughNonOwner runs the API's actions, events and error codes (docs/API.md) through a node that
// does not own the room, with the room's other members on the owner and on the third node: what a client sees is
// what a single node shows (src/signaling's tests).
func testConformanceThroughNonOwner(t *testing.T, c *cluster, consumer *brokertest.Consumer) {
	const room = "conformance"
	owner, first, edge := ownedElsewhere(t, c, room, c.Nodes[0])
	third := c.others(owner, edge.ID)[0]
	t.Logf("room %s owned by %s; the client under test on %s, another member on %s", room, owner, edge.ID, third.ID)
	onOwner := dial(t, c.node(owner), "owner-member")
	onOwner.join(room)
	first.barrier()
	onOwner.barrier()

	// Before a join: the errors that the node holding the websocket answers.
	e := dial(t, edge, "edge")
	e.send("sendMessage", map[string]any{"to": "x", "message": "hi"})
	e.refused("sendMessage", protocol.CodeUserNotAuthenticated)
	e.sendRaw(`not json`)
	e.refused("general", protocol.CodeJSON)
	e.sendRaw(`{"a":"nope"}`)
	e.refused("nope", protocol.CodeUnknownAction)
	e.send("join", map[string]any{"roomId": room, "bearer": "not-a-jwt"})
	e.refused("join", protocol.CodeAuthFailed)

	// The join through the non-owner: joinR as on one node, the others told in order.
	jr := e.join(room)
	if !socketIDPattern.MatchString(jr.SocketID) || jr.UserID != "edge" || jr.RoomSize != 2 || jr.Mode != "mcu" {
		t.Errorf("joinR through %s = %+v; want a 32-hex socketId, userId edge, roomSize 2 (the others), mode mcu", edge.ID, jr)
	}
	if len(jr.Sessions) != 2 {
		t.Errorf("joinR sessions = %+v, want the 2 other members", jr.Sessions)
	}
	for _, peer := range []*wsClient{first, onOwner} {
		umc := decodeAs[protocol.UserMediaConfiguration](t, peer.expect(protocol.EventUserMediaConfiguration).D)
		if umc.Video.Width.Max == "" {
			t.Errorf("%s: eventUserMediaConfiguration %+v", peer.user, umc)
		}
		o := decodeAs[protocol.OrientationEvent](t, peer.expect(protocol.EventOrientationChange).D)
		if o.From.SocketID != jr.SocketID || o.Orientation != 90 {
			t.Errorf("%s: the newcomer's orientation = %+v", peer.user, o)
		}
	}
	e.send("join", map[string]any{"roomId": room, "bearer": bearer(t, "edge")})
	e.refused("join", protocol.CodeRoomAlreadyJoined)

	// sendMessage across nodes, both ways, and to a socketId not in the room.
	e.send("sendMessage", map[string]any{"to": onOwner.socketID, "message": map[string]any{"k": "to-owner"}})
	e.ok("sendMessage")
	m := decodeAs[protocol.MessageEvent](t, onOwner.expect(protocol.EventMessage).D)
	if m.From != (protocol.From{SocketID: jr.SocketID, UserID: "edge"}) || string(m.Message) != `{"k":"to-owner"}` {
		t.Errorf("eventMessage at the owner's member = %+v", m)
	}
	onOwner.send("sendMessage", map[string]any{"to": jr.SocketID, "message": "back"})
	onOwner.ok("sendMessage")
	if m := decodeAs[protocol.MessageEvent](t, e.expect(protocol.EventMessage).D); string(m.Message) != `"back"` ||
		m.From.SocketID != onOwner.socketID {
		t.Errorf("eventMessage through %s = %+v", edge.ID, m)
	}
	e.send("sendMessage", map[string]any{"to": "0123456789abcdef0123456789abcdef", "message": "lost"})
	e.refused("sendMessage", protocol.CodeSocketIDDoesNotExist)

	// orientationChange: stored, broadcast, checked.
	e.send("orientationChange", map[string]any{"orientation": 270, "camera": "back"})
	e.ok("orientationChange")
	for _, peer := range []*wsClient{first, onOwner} {
		o := decodeAs[protocol.OrientationEvent](t, peer.expect(protocol.EventOrientationChange).D)
		if o.From.SocketID != jr.SocketID || o.Orientation != 270 || o.Camera != "back" {
			t.Errorf("%s: eventOrientationChange = %+v", peer.user, o)
		}
	}
	for frame, code := range map[string]int{
		`{"a":"orientationChange","d":{}}`:                  protocol.CodeJSONFieldMissing,
		`{"a":"orientationChange","d":{"orientation":"0"}}`: protocol.CodeJSON,
		`{"a":"orientationChange","d":{"orientation":-90}}`: protocol.CodeFieldInvalid,
	} {
		e.sendRaw(frame)
		e.refused("orientationChange", code)
	}

	// The media plane's answers come from the owner: a bad SDP and an answer to nothing.
	e.send("exchangeSdp", map[string]any{"to": "publisher", "sdp": map[string]any{"type": "offer", "sdp": "v=0 garbage"}})
	e.refused("exchangeSdp", protocol.CodeSDPDecode)
	e.send("exchangeSdp", map[string]any{"to": onOwner.socketID,
		"sdp": map[string]any{"type": "answer", "sdp": "v=0\r\n"}})
	m2, err := e.kc.Reply("exchangeSdp", testkit.Patient)
	if err != nil || m2.OK() {
		t.Errorf("an answer to no offer through %s: %+v, %v; want an error", edge.ID, m2, err)
	}

	// The room is full at ROOM_MAX_SIZE=4, whichever node the joiner reaches.
	fourth := dial(t, third, "fourth")
	fourth.join(room)
	full := dial(t, edge, "fifth")
	full.send("join", map[string]any{"roomId": room, "bearer": bearer(t, "fifth")})
	full.refused("join", protocol.CodeRoomIsFull)

	// leave through the non-owner: eventLeave with the room's new size, and the umc, to everyone.
	for _, peer := range []*wsClient{first, onOwner, fourth, e} {
		peer.barrier()
	}
	e.send("leave", nil)
	e.ok("leave")
	for _, peer := range []*wsClient{first, onOwner, fourth} {
		le := decodeAs[protocol.LeaveEvent](t, peer.expect(protocol.EventLeave).D)
		if le != (protocol.LeaveEvent{RoomID: room, RoomSize: 3, SocketID: jr.SocketID, UserID: "edge"}) {
			t.Errorf("%s: eventLeave = %+v", peer.user, le)
		}
		peer.expect(protocol.EventUserMediaConfiguration)
	}

	// reconnect through the third node after a drop on the non-owner: same place, what was missed replayed, and
	// the refusals of a wrong user and an unknown socketId.
	back := dial(t, edge, "back")
	bj := back.join(room)
	onOwner.barrier()
	back.kc.Drop()
	c.node(owner).awayOn(t, bj.SocketID)
	onOwner.send("sendMessage", map[string]any{"to": bj.SocketID, "message": "while-away"})
	onOwner.ok("sendMessage")
	impostor := dial(t, third, "impostor")
	impostor.send("reconnect", map[string]any{"socketId": bj.SocketID, "bearer": bearer(t, "impostor")})
	impostor.refused("reconnect", protocol.CodeAuthFailed)
	unknown := dial(t, third, "back")
	unknown.send("reconnect", map[string]any{"socketId": "0123456789abcdef0123456789abcdef", "bearer": bearer(t, "back")})
	unknown.refused("reconnect", protocol.CodeReconnectUnknownSocket)
	again := dial(t, third, "back")
	again.send("reconnect", map[string]any{"socketId": bj.SocketID, "bearer": bearer(t, "back")})
	rr := decodeAs[protocol.ReconnectResult](t, again.ok("reconnect").D)
	if rr.SocketID != bj.SocketID || rr.UserID != "back" {
		t.Errorf("reconnectR through %s = %+v, want socketId %s", third.ID, rr, bj.SocketID)
	}
	if m := decodeAs[protocol.MessageEvent](t, again.expect(protocol.EventMessage).D); string(m.Message) != `"while-away"` {
		t.Errorf("replayed after the reconnect = %+v", m)
	}
	for _, peer := range []*wsClient{first, onOwner, fourth} {
		for _, m := range peer.barrier() {
			if m.A == protocol.EventLeave {
				t.Errorf("%s was told %s: a reconnect within the grace period is not a leave", peer.user, m.D)
			}
		}
	}

	waitBus(t, consumer, room, []string{
		bus.KeyRoomJoin + " " + first.socketID, bus.KeyRoomJoin + " " + onOwner.socketID,
		bus.KeyRoomJoin + " " + jr.SocketID, bus.KeyRoomLeave + " " + jr.SocketID,
		bus.KeyRoomJoin + " " + fourth.socketID, bus.KeyRoomJoin + " " + bj.SocketID,
	})
	if _, count := busEvents(consumer.Messages(), room); count[bus.KeyRoomLeave+" "+bj.SocketID] != 0 {
		t.Errorf("the reconnected participant's room.leave is on the bus")
	}
}

// concurrentJoinRounds is how many rooms the concurrent first joins are repeated on.
const concurrentJoinRounds = 100

// testConcurrentFirstJoins joins one new room on all three nodes at once, concurrentJoinRounds times: each time
// the broker shows one owner, the three members are in one room (0, 1 and 2 others in joinR, each told of the two
// others), and the bus has each room.join and, after the websockets close, each room.leave exactly once.
func testConcurrentFirstJoins(t *testing.T, c *cluster, consumer *brokertest.Consumer) {
	rooms := make(map[string][]*wsClient, concurrentJoinRounds)
	for round := range concurrentJoinRounds {
		room := "race-" + strconv.Itoa(round)
		clients := make([]*wsClient, len(c.Nodes))
		for i, n := range c.Nodes {
			clients[i] = dial(t, n, "racer-"+n.ID+"-"+strconv.Itoa(round))
		}
		start := make(chan struct{})
		results := make(chan error, len(clients))
		for _, cl := range clients {
			go func() {
				<-start
				results <- cl.kc.Send("join", map[string]any{"roomId": room, "bearer": bearer(t, cl.user)})
			}()
		}
		close(start)
		for range clients {
			if err := <-results; err != nil {
				t.Fatal(err)
			}
		}
		sizes := map[int]bool{}
		for _, cl := range clients {
			jr := decodeAs[protocol.JoinResult](t, cl.ok("join").D)
			cl.socketID = jr.SocketID
			sizes[jr.RoomSize] = true
		}
		if !sizes[0] || !sizes[1] || !sizes[2] {
			t.Fatalf("round %d: joinR room sizes (the others) %v, want 0, 1 and 2: the joins did not meet in one room",
				round, sizes)
		}
		for _, cl := range clients {
			// Each member hears of the two others: every umc comes from one room.
			for _, m := range cl.barrier() {
				if m.A == protocol.EventLeave {
					t.Fatalf("round %d: %s was told %s", round, cl.user, m.D)
				}
			}
		}
		rooms[room] = clients
	}
	owned, err := c.roomOwners()
	if err != nil {
		t.Fatal(err)
	}
	perNode := map[string]int{}
	for room := range rooms {
		if owned[room] == "" {
			t.Errorf("room %s has no owner on the broker while its 3 members are in it", room)
		}
		perNode[owned[room]]++
	}
	t.Logf("%d rooms joined at once on 3 nodes, one owner each on the broker; rooms per owner %v",
		concurrentJoinRounds, perNode)
	for room, clients := range rooms {
		var want []string
		for _, cl := range clients {
			cl.kc.Close()
			want = append(want, bus.KeyRoomJoin+" "+cl.socketID, bus.KeyRoomLeave+" "+cl.socketID)
		}
		waitBus(t, consumer, room, want)
	}
	testkit.WaitFor(t, testkit.Patient, "every race room released once empty", func() bool {
		owned, err := c.roomOwners()
		for room := range rooms {
			if owned[room] != "" {
				return false
			}
		}
		return err == nil
	})
}

// testEdgeKilled kills (kill -9) the node holding two members' websockets, a node that does not own the room:
// both reconnect through another node within the grace period and keep their place (socketId, no eventLeave to
// the others, no room.leave on the bus), one at once, the other once the owner knows it away, and that one gets
// what was sent to it while away.
func testEdgeKilled(t *testing.T, c *cluster, consumer *brokertest.Consumer) {
	const room = "edge-killed"
	owner, first, edge := ownedElsewhere(t, c, room, c.Nodes[0])
	alice := dial(t, edge, "alice")
	aj := alice.join(room)
	carol := dial(t, edge, "carol")
	cj := carol.join(room)
	onOwner := dial(t, c.node(owner), "bob")
	onOwner.join(room)
	first.barrier()
	alice.barrier()
	carol.barrier()

	killed := time.Now()
	edge.Kill()
	t.Logf("room owned by %s; alice's and carol's node %s killed", owner, edge.ID)
	other := c.others(edge.ID, owner)[0]

	// carol comes back at once, before the owner may have noticed the death of her node.
	carolBack := dial(t, other, "carol")
	carolBack.send("reconnect", map[string]any{"socketId": cj.SocketID, "bearer": bearer(t, "carol")})
	if rr := decodeAs[protocol.ReconnectResult](t, carolBack.ok("reconnect").D); rr.SocketID != cj.SocketID {
		t.Errorf("carol's reconnectR = %+v, want socketId %s", rr, cj.SocketID)
	}
	t.Logf("carol reconnected through %s %v after the kill", other.ID, time.Since(killed).Round(time.Millisecond))
	if first.node == edge.ID {
		first = nil
	}
	c.node(owner).awayOn(t, aj.SocketID)
	t.Logf("the owner %s knows alice away %v after the kill", owner, time.Since(killed).Round(time.Millisecond))
	onOwner.send("sendMessage", map[string]any{"to": aj.SocketID, "message": "while-away"})
	onOwner.ok("sendMessage")

	back := dial(t, other, "alice")
	back.send("reconnect", map[string]any{"socketId": aj.SocketID, "bearer": bearer(t, "alice")})
	rr := decodeAs[protocol.ReconnectResult](t, back.ok("reconnect").D)
	t.Logf("alice reconnected through %s %v after the kill", other.ID, time.Since(killed).Round(time.Millisecond))
	if rr.SocketID != aj.SocketID || rr.UserID != "alice" || rr.RoomSize < 2 {
		t.Errorf("reconnectR = %+v, want socketId %s in the room", rr, aj.SocketID)
	}
	if m := decodeAs[protocol.MessageEvent](t, back.expect(protocol.EventMessage).D); string(m.Message) != `"while-away"` {
		t.Errorf("replayed after the reconnect = %+v", m)
	}
	back.send("sendMessage", map[string]any{"to": onOwner.socketID, "message": "i-am-back"})
	back.ok("sendMessage")
	if m := decodeAs[protocol.MessageEvent](t, onOwner.expect(protocol.EventMessage).D); m.From.SocketID != aj.SocketID {
		t.Errorf("bob got %+v, want alice's message", m)
	}
	for _, m := range onOwner.barrier() {
		if m.A == protocol.EventLeave {
			t.Errorf("bob was told %s: alice's place was lost", m.D)
		}
	}
	want := []string{bus.KeyRoomJoin + " " + aj.SocketID, bus.KeyRoomJoin + " " + cj.SocketID,
		bus.KeyRoomJoin + " " + onOwner.socketID}
	if first != nil {
		want = append(want, bus.KeyRoomJoin+" "+first.socketID)
	}
	waitBus(t, consumer, room, want)
	_, count := busEvents(consumer.Messages(), room)
	for who, s := range map[string]string{"alice": aj.SocketID, "carol": cj.SocketID} {
		if count[bus.KeyRoomLeave+" "+s] != 0 {
			t.Errorf("%s's room.leave is on the bus: she kept her place", who)
		}
	}
}

// testOwnerKilled runs relay mode between two members whose websockets are on the two nodes that do not own the
// room, then kills (kill -9) the room's owner:
// within 10 s another node owns the room, the members are still in it and reach each other, and the bus shows no
// room.join again nor a room.leave for them.
func testOwnerKilled(t *testing.T, c *cluster, consumer *brokertest.Consumer) {
	const room = "owner-killed"
	owner, first, _ := ownedElsewhere(t, c, room, c.Nodes[0])
	edges := c.others(owner)
	alice, bob := dial(t, edges[0], "alice"), dial(t, edges[1], "bob")
	aj, bj := alice.join(room), bob.join(room)
	alice.barrier()
	bob.barrier()
	relayThroughTwoEdges(t, alice, bob)

	killed := time.Now()
	c.node(owner).Kill()
	newOwner, took := c.newOwnerAfterKill(t, room, owner, killed)
	t.Logf("owner %s killed; %s claimed the room %v later", owner, newOwner, took.Round(time.Millisecond))

	alice.send("sendMessage", map[string]any{"to": bj.SocketID, "message": "after-failover"})
	alice.ok("sendMessage")
	if m := decodeAs[protocol.MessageEvent](t, bob.expect(protocol.EventMessage).D); m.From.SocketID != aj.SocketID {
		t.Errorf("bob got %+v after the failover, want alice's message", m)
	}
	bob.send("sendMessage", map[string]any{"to": aj.SocketID, "message": "me-too"})
	bob.ok("sendMessage")
	alice.expect(protocol.EventMessage)

	want := []string{bus.KeyRoomJoin + " " + aj.SocketID, bus.KeyRoomJoin + " " + bj.SocketID}
	waitBus(t, consumer, room, want)
	_, count := busEvents(consumer.Messages(), room)
	for _, s := range []string{aj.SocketID, bj.SocketID} {
		if count[bus.KeyRoomLeave+" "+s] != 0 {
			t.Errorf("room.leave of %s on the bus after the owner's death: its member is still in the room", s)
		}
	}
	if first.node != owner {
		for _, m := range first.barrier() {
			if m.A == protocol.EventLeave {
				t.Errorf("%s was told %s after the failover", first.user, m.D)
			}
		}
	}
}

// relayThroughTwoEdges runs relay mode's actions (docs/API.md, Modes) between a and b, two members whose
// websockets are on two nodes that do not own their room: exchangeSdp and exchangeCandidate reach the peer with
// "from", end of candidates included, and the errors are a single node's.
func relayThroughTwoEdges(t *testing.T, a, b *wsClient) {
	t.Helper()
	offer := map[string]any{"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}
	a.send("exchangeSdp", map[string]any{"to": b.socketID, "sdp": offer})
	a.ok("exchangeSdp")
	se := decodeAs[protocol.ExchangeSdpEvent](t, b.expect(protocol.EventExchangeSdp).D)
	if se.From != (protocol.From{SocketID: a.socketID, UserID: a.user}) || se.SDP.SDP != offer["sdp"] {
		t.Errorf("eventExchangeSdp through nodes %s and %s = %+v", a.node, b.node, se)
	}
	cand := map[string]any{"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host", "sdpMid": "0",
		"sdpMLineIndex": 0}
	b.send("exchangeCandidate", map[string]any{"to": a.socketID, "candidate": cand})
	b.ok("exchangeCandidate")
	ce := decodeAs[protocol.ExchangeCandidateEvent](t, a.expect(protocol.EventExchangeCandidate).D)
	if ce.From != (protocol.From{SocketID: b.socketID, UserID: b.user}) || !strings.Contains(string(ce.Candidate), "typ host") {
		t.Errorf("eventExchangeCandidate = %+v %s", ce.From, ce.Candidate)
	}
	b.send("exchangeCandidate", map[string]any{"to": a.socketID, "candidate": map[string]any{"completed": true}})
	a.expect(protocol.EventExchangeCandidate)
	for _, tt := range []struct {
		action, frame string
		code          int
	}{
		{"exchangeSdp", `{"a":"exchangeSdp","d":{"to":"` + b.socketID + `"}}`, protocol.CodeJSONFieldMissing},
		{"exchangeSdp", `{"a":"exchangeSdp","d":{"to":"` + b.socketID + `","sdp":"v=0"}}`, protocol.CodeJSON},
		{"exchangeSdp", `{"a":"exchangeSdp","d":{"to":"publisher","sdp":{}}}`, protocol.CodeSocketIDDoesNotExist},
		{"exchangeCandidate", `{"a":"exchangeCandidate","d":{"to":"nobody","candidate":{}}}`, protocol.CodeSocketIDDoesNotExist},
	} {
		a.sendRaw(tt.frame)
		a.refused(tt.action, tt.code)
	}
	a.barrier()
	b.barrier()
}
