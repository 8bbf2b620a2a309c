package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/auth"
	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/cluster"
	"github.com/heytribe/live-webrtcsignaling/src/config"
	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

const clusterSecret = "cluster-secret-cluster-secret-cluster"

// testCluster is several servers of one cluster in this process, each with its own way to the broker (a proxy the
// test can cut, to make a node vanish as a crash would).
type testCluster struct {
	url   string
	ns    string
	nodes map[string]*testNode
}

type testNode struct {
	id    string
	srv   *testServer
	proxy *brokertest.Proxy
}

// startCluster runs a server per id, relay mode (no media plane), with a namespace of the test's own.
func startCluster(t *testing.T, ids ...string) *testCluster {
	t.Helper()
	return startClusterIn(t, "relay", ids...)
}

// startClusterIn is startCluster in the media mode mode (MCU: each node's media plane on a port of its own).
func startClusterIn(t *testing.T, mode string, ids ...string) *testCluster {
	t.Helper()
	return startClusterWith(t, mode, nil, ids...)
}

// startClusterWith is startClusterIn with more environment variables for every node.
func startClusterWith(t *testing.T, mode string, extra map[string]string, ids ...string) *testCluster {
	t.Helper()
	tc := &testCluster{url: brokertest.URL(t), ns: brokertest.UniqueName("ct"), nodes: make(map[string]*testNode)}
	for _, id := range ids {
		proxy := brokertest.NewProxy(t, tc.url)
		env := map[string]string{"PORT_NUMBER": "0", "BIND_ADDRESS": "127.0.0.1", "ADMIN_ADDR": "127.0.0.1:0",
			"JWT_SECRET": clusterSecret, "MEDIA_MODE": mode, "UDP_PORT": "0", "DRAIN_TIMEOUT": "0s",
			"RABBITMQ_URL": proxy.URL(tc.url), "RABBITMQ_FLUSH_TIMEOUT": "1s",
			"CLUSTER": "on", "NODE_ID": id, "CLUSTER_NAMESPACE": tc.ns, "CLUSTER_ANNOUNCE_INTERVAL": "200ms",
			"WS_RATE_LIMIT": "10000", "WS_RATE_BURST": "10000", "WS_USER_RATE_LIMIT": "10000",
			"WS_USER_RATE_BURST": "10000"}
		maps.Copy(env, extra)
		tc.nodes[id] = &testNode{id: id, srv: launch(t, env, io.Discard), proxy: proxy}
	}
	for _, n := range tc.nodes {
		testkit.WaitFor(t, testkit.Patient, n.id+" sees every node", func() bool {
			st := n.state(t)
			return st.Connected && len(st.Nodes) == len(ids)
		})
	}
	return tc
}

func (n *testNode) state(t *testing.T) clusterState {
	t.Helper()
	code, body := getWith(t, "http://"+n.srv.addrs.admin+"/state", "")
	var st struct{ Cluster clusterState }
	if code != http.StatusOK || json.Unmarshal([]byte(body), &st) != nil {
		t.Fatalf("/state: %d %s", code, body)
	}
	return st.Cluster
}

// owner returns the node that owns room.
func (tc *testCluster) owner(t *testing.T, room string) string {
	t.Helper()
	for id, n := range tc.nodes {
		if slices.Contains(n.state(t).RoomsOwned, room) {
			return id
		}
	}
	return ""
}

func (n *testNode) dial(t *testing.T) *wsClient { return dialWS(t, n.srv.addrs.public) }

func signedBearer(t *testing.T, user string) string {
	t.Helper()
	b, err := auth.SignHS256([]byte(clusterSecret), user, "", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type joined struct {
	SocketID string
	Sessions []struct{ SocketID, UserID string }
}

func (c *wsClient) joinAs(t *testing.T, room, user string) joined {
	t.Helper()
	c.send(t, "join", map[string]any{"roomId": room, "bearer": signedBearer(t, user)})
	r := c.reply(t, "join")
	var j joined
	if !r.OK() || json.Unmarshal(r.D, &j) != nil || j.SocketID == "" {
		t.Fatalf("joinR %+v", r)
	}
	return j
}

// event waits for the event name and decodes its data into v.
func (c *wsClient) event(t *testing.T, name string, v any) {
	t.Helper()
	m, err := c.Await(testkit.Patient, name, func(m testkit.Message) bool { return m.A == name })
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(m.D, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// busEvents collects the live_events of room with their routing keys.
type busEvents struct {
	ch <-chan amqp.Delivery
}

func (b busEvents) next(t *testing.T, within time.Duration) (string, map[string]any, bool) {
	t.Helper()
	for {
		select {
		case d := <-b.ch:
			if d.RoutingKey == bus.KeyRoomLive {
				continue
			}
			var f map[string]any
			if err := json.Unmarshal(d.Body, &f); err != nil {
				t.Fatal(err)
			}
			return d.RoutingKey, f, true
		case <-time.After(within):
			return "", nil, false
		}
	}
}

// TestClusterJoinThroughAnotherNode: two clients on two nodes join one room, whichever owns it. Each learns of the
// other as on one server, 200 messages relayed through the broker arrive in order, room.join and room.leave are
// published once each, and a leave reaches the other.
func TestClusterJoinThroughAnotherNode(t *testing.T) {
	tc := startCluster(t, "a", "b")
	room := brokertest.UniqueName("room-")
	events := busEvents{liveEvents(t, tc.url, room)}
	alice, bob := tc.nodes["a"].dial(t), tc.nodes["b"].dial(t)
	ja := alice.joinAs(t, room, "alice")
	jb := bob.joinAs(t, room, "bob")
	if len(jb.Sessions) != 1 || jb.Sessions[0].SocketID != ja.SocketID {
		t.Fatalf("bob's joinR sessions %+v, want alice's %s", jb.Sessions, ja.SocketID)
	}
	var orientation struct{ From struct{ SocketID string } }
	alice.event(t, "eventOrientationChange", &orientation)
	if orientation.From.SocketID != jb.SocketID {
		t.Fatalf("alice told of %s, want bob %s", orientation.From.SocketID, jb.SocketID)
	}
	owner := tc.owner(t, room)
	if owner == "" {
		t.Fatal("nobody owns the room")
	}
	t.Logf("room owned by %s", owner)
	_, metrics := getWith(t, "http://"+tc.nodes[owner].srv.addrs.admin+"/metrics", "")
	for _, want := range []string{"\nlive_webrtcsignaling_cluster_connected 1\n",
		"\nlive_webrtcsignaling_cluster_live_nodes 2\n", "\nlive_webrtcsignaling_cluster_rooms_owned 1\n",
		"\nlive_webrtcsignaling_cluster_remote_participants 1\n", "\nlive_webrtcsignaling_participants 2\n"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("the owner's /metrics lacks %q", want)
		}
	}

	const n = 200
	for i := range n {
		alice.send(t, "sendMessage", map[string]any{"to": jb.SocketID, "message": i})
	}
	for i := range n {
		var ev struct {
			From    struct{ SocketID string }
			Message int
		}
		bob.event(t, "eventMessage", &ev)
		if ev.Message != i || ev.From.SocketID != ja.SocketID {
			t.Fatalf("message %d: got %+v", i, ev)
		}
	}
	for range n {
		if r := alice.reply(t, "sendMessage"); !r.OK() {
			t.Fatalf("sendMessageR %+v", r)
		}
	}
	// And back: bob's frames go through his node to the owner, alice's events back through hers.
	for i := range n {
		bob.send(t, "sendMessage", map[string]any{"to": ja.SocketID, "message": i})
	}
	for i := range n {
		var ev struct {
			From    struct{ SocketID string }
			Message int
		}
		alice.event(t, "eventMessage", &ev)
		if ev.Message != i || ev.From.SocketID != jb.SocketID {
			t.Fatalf("message %d back: got %+v", i, ev)
		}
		if r := bob.reply(t, "sendMessage"); !r.OK() {
			t.Fatalf("sendMessageR %+v", r)
		}
	}

	bob.send(t, "leave", nil)
	if r := bob.reply(t, "leave"); !r.OK() {
		t.Fatalf("leaveR %+v", r)
	}
	var left struct{ SocketID string }
	alice.event(t, "eventLeave", &left)
	if left.SocketID != jb.SocketID {
		t.Fatalf("eventLeave of %s, want %s", left.SocketID, jb.SocketID)
	}
	// Bob's websocket stays open without participant: a frame is answered as on one server.
	bob.send(t, "sendMessage", map[string]any{"to": ja.SocketID, "message": 1})
	if r := bob.reply(t, "sendMessage"); r.E != 1297 {
		t.Fatalf("sendMessage after leave: %+v, want 1297", r)
	}

	want := []string{bus.KeyRoomJoin + " " + ja.SocketID, bus.KeyRoomJoin + " " + jb.SocketID,
		bus.KeyRoomLeave + " " + jb.SocketID}
	var got []string
	for len(got) < len(want) {
		key, f, ok := events.next(t, testkit.Patient)
		if !ok {
			t.Fatalf("bus events %v, want %v", got, want)
		}
		got = append(got, fmt.Sprint(key, " ", f["socketId"]))
	}
	if key, f, ok := events.next(t, time.Second); ok {
		t.Fatalf("one more bus event: %s %v", key, f)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("bus events %v, want %v", got, want)
	}
}

// TestClusterReconnectThroughAnotherNode: a participant whose websocket drops reconnects through another node (not
// the owner, not its first node) and gets what was sent to it meanwhile; its first node's websocket is closed.
func TestClusterReconnectThroughAnotherNode(t *testing.T) {
	tc := startCluster(t, "a", "b", "c")
	room := brokertest.UniqueName("room-")
	alice, bob := tc.nodes["a"].dial(t), tc.nodes["b"].dial(t)
	ja := alice.joinAs(t, room, "alice")
	jb := bob.joinAs(t, room, "bob")
	owner := tc.owner(t, room)
	t.Logf("room owned by %s", owner)

	// Bob's TCP connection ends without a close frame: a drop, he keeps his place.
	_ = bob.Conn.NetConn().Close()
	testkit.WaitFor(t, testkit.Patient, "bob away on the owner", func() bool {
		body := ownerState(t, tc.nodes[owner])
		return strings.Contains(body, `"awaySince"`)
	})
	alice.send(t, "sendMessage", map[string]any{"to": jb.SocketID, "message": "while away"})
	if r := alice.reply(t, "sendMessage"); !r.OK() {
		t.Fatalf("sendMessageR %+v", r)
	}
	// Through c, then through a: each reconnect replaces the websocket before it, which is closed as on one server.
	var previous *wsClient
	for _, via := range []string{"c", "a"} {
		bob2 := tc.nodes[via].dial(t)
		bob2.send(t, "reconnect", map[string]any{"socketId": jb.SocketID, "bearer": signedBearer(t, "bob")})
		if r := bob2.reply(t, "reconnect"); !r.OK() {
			t.Fatalf("reconnect via %s: %+v", via, r)
		}
		if previous == nil {
			var ev struct{ Message string }
			bob2.event(t, "eventMessage", &ev)
			if ev.Message != "while away" {
				t.Fatalf("replayed %+v", ev)
			}
		} else if code := previous.closeCode(t); code != 1008 {
			t.Fatalf("replaced websocket closed with %d, want 1008", code)
		}
		alice.send(t, "sendMessage", map[string]any{"to": jb.SocketID, "message": via})
		var ev struct {
			From    struct{ SocketID string }
			Message string
		}
		bob2.event(t, "eventMessage", &ev)
		if ev.Message != via || ev.From.SocketID != ja.SocketID {
			t.Fatalf("after reconnect via %s: %+v", via, ev)
		}
		previous = bob2
	}
}

func ownerState(t *testing.T, n *testNode) string {
	t.Helper()
	_, body := getWith(t, "http://"+n.srv.addrs.admin+"/state", "")
	return body
}

// TestClusterOwnerDeath: the owner of a room vanishes (its broker connection cut, no reconnection: for the others,
// a crash); the nodes of the room's websockets place it again and enter their participants there, with their
// socketIds; each client is told that its media connections moved, messages flow again, and no room.join is
// published again. MCU mode: the media planes are real, the clients do not publish.
func TestClusterOwnerDeath(t *testing.T) {
	tc := startClusterIn(t, "mcu", "a", "b", "c")
	var room, owner string
	var alice, bob *wsClient
	var ja, jb joined
	// Placement goes to the least loaded node, at random among equals: try rooms until c owns one.
	for range 30 {
		room = brokertest.UniqueName("room-")
		alice, bob = tc.nodes["a"].dial(t), tc.nodes["b"].dial(t)
		ja = alice.joinAs(t, room, "alice")
		jb = bob.joinAs(t, room, "bob")
		if owner = tc.owner(t, room); owner == "c" {
			break
		}
		_ = alice.Conn.Close()
		_ = bob.Conn.Close()
	}
	if owner != "c" {
		t.Fatalf("c never got a room (last owner %q)", owner)
	}
	events := busEvents{liveEvents(t, tc.url, room)}
	dead := tc.nodes["c"].proxy
	dead.RefuseNew()
	start := time.Now()
	dead.Cut()
	newOwner := ""
	testkit.WaitFor(t, testkit.Patient, "a new owner running both participants", func() bool {
		for _, id := range []string{"a", "b"} {
			st := tc.nodes[id]
			if slices.Contains(st.state(t).RoomsOwned, room) {
				body := ownerState(t, st)
				if strings.Count(body, `"connected": true`) >= 3 && strings.Contains(body, ja.SocketID) &&
					strings.Contains(body, jb.SocketID) {
					newOwner = id
				}
			}
		}
		return newOwner != ""
	})
	t.Logf("room moved to %s %v after its owner vanished", newOwner, time.Since(start))
	// Each is told of its upstream and of its downstream from the other, once.
	for _, c := range []struct {
		ws    *wsClient
		other string
	}{{alice, jb.SocketID}, {bob, ja.SocketID}} {
		seen := map[string]int{}
		for range 2 {
			var down struct {
				From   struct{ SocketID string }
				Reason string
			}
			c.ws.event(t, "eventWebrtcDown", &down)
			if down.Reason != "moved" {
				t.Fatalf("eventWebrtcDown %+v", down)
			}
			seen[down.From.SocketID]++
		}
		if seen["publisher"] != 1 || seen[c.other] != 1 {
			t.Fatalf("eventWebrtcDown moved from %v, want publisher and %s", seen, c.other)
		}
	}
	alice.send(t, "sendMessage", map[string]any{"to": jb.SocketID, "message": "again"})
	var ev struct {
		From    struct{ SocketID string }
		Message string
	}
	bob.event(t, "eventMessage", &ev)
	if ev.Message != "again" || ev.From.SocketID != ja.SocketID {
		t.Fatalf("after failover: %+v", ev)
	}
	if r := alice.reply(t, "sendMessage"); !r.OK() {
		t.Fatalf("sendMessageR %+v", r)
	}
	if key, f, ok := events.next(t, time.Second); ok {
		t.Fatalf("bus event after failover: %s %v", key, f)
	}
}

// The names the server puts on the broker are those package cluster accepts.
func TestNodeIDRuleIsCluster(t *testing.T) {
	for _, id := range []string{"a", "node-1.b_c:d", strings.Repeat("n", 64), strings.Repeat("n", 65), "a b", "é", ""} {
		_, err := loadNodeID(id)
		if (err == nil) != cluster.ValidNodeID(id) {
			t.Errorf("NODE_ID %q: config says %v, cluster says %v", id, err, cluster.ValidNodeID(id))
		}
	}
}

func loadNodeID(id string) (string, error) {
	env := map[string]string{"NODE_ID": id}
	c, err := config.Load(func(n string) (string, bool) { v, ok := env[n]; return v, ok })
	if err != nil {
		return "", err
	}
	return c.NodeID, nil
}

// TestClusterEdgeDeath: the node holding a client's websocket vanishes (for the others, a crash; the client's
// websocket is cut). The owner keeps the participant for the reconnect grace; the client reconnects through another
// node, keeps its socketId and place, and gets what was sent to it meanwhile.
func TestClusterEdgeDeath(t *testing.T) {
	tc := startCluster(t, "a", "b", "c")
	var room, owner string
	var alice, bob *wsClient
	var jb joined
	for range 30 {
		room = brokertest.UniqueName("room-")
		alice, bob = tc.nodes["a"].dial(t), tc.nodes["b"].dial(t)
		alice.joinAs(t, room, "alice")
		jb = bob.joinAs(t, room, "bob")
		if owner = tc.owner(t, room); owner != "b" {
			break
		}
		_ = alice.Conn.Close()
		_ = bob.Conn.Close()
	}
	if owner == "b" {
		t.Fatal("b owned every room")
	}
	edge := tc.nodes["b"].proxy
	edge.RefuseNew()
	edge.Cut()
	_ = bob.Conn.NetConn().Close()
	testkit.WaitFor(t, testkit.Patient, "bob away on the owner", func() bool {
		return strings.Contains(ownerState(t, tc.nodes[owner]), `"awaySince"`)
	})
	alice.send(t, "sendMessage", map[string]any{"to": jb.SocketID, "message": "while away"})
	if r := alice.reply(t, "sendMessage"); !r.OK() {
		t.Fatalf("sendMessageR %+v", r)
	}
	bob2 := tc.nodes["c"].dial(t)
	bob2.send(t, "reconnect", map[string]any{"socketId": jb.SocketID, "bearer": signedBearer(t, "bob")})
	if r := bob2.reply(t, "reconnect"); !r.OK() {
		t.Fatalf("reconnect: %+v", r)
	}
	var ev struct{ Message string }
	bob2.event(t, "eventMessage", &ev)
	if ev.Message != "while away" {
		t.Fatalf("replayed %+v", ev)
	}
}

// TestClusterConcurrentFirstJoins: three clients, one per node, join a new room at the same moment, 20 times: each
// room gets one owner and one set of members, whoever placed it.
func TestClusterConcurrentFirstJoins(t *testing.T) {
	tc := startCluster(t, "a", "b", "c")
	ids := []string{"a", "b", "c"}
	for range 20 {
		room := brokertest.UniqueName("room-")
		clients := make([]*wsClient, len(ids))
		for i, id := range ids {
			clients[i] = tc.nodes[id].dial(t)
		}
		for i, c := range clients {
			c.send(t, "join", map[string]any{"roomId": room, "bearer": signedBearer(t, fmt.Sprint("user", i))})
		}
		sizes := 0
		for _, c := range clients {
			r := c.reply(t, "join")
			var j struct{ RoomSize int }
			if !r.OK() || json.Unmarshal(r.D, &j) != nil {
				t.Fatalf("joinR %+v", r)
			}
			sizes += j.RoomSize
		}
		// Members before each joiner: 0, 1 and 2 in some order, when all three are in one room.
		if sizes != 3 {
			t.Fatalf("room %s: joinR room sizes add up to %d, want 0+1+2", room, sizes)
		}
		owners := 0
		for _, id := range ids {
			if slices.Contains(tc.nodes[id].state(t).RoomsOwned, room) {
				owners++
			}
		}
		if owners != 1 {
			t.Fatalf("room %s has %d owners", room, owners)
		}
		for _, c := range clients {
			_ = c.Conn.Close()
		}
	}
}

// TestClusterFigures measures, with LWS_CLUSTER_FIGURES=1, the join latency and the relay latency (sendMessage to
// eventMessage) through a node that does not own the room against the owner's own websockets, p50 and p99.
func TestClusterFigures(t *testing.T) {
	if os.Getenv("LWS_CLUSTER_FIGURES") == "" {
		t.Skip("set LWS_CLUSTER_FIGURES=1 to measure")
	}
	tc := startCluster(t, "a", "b")
	const rounds = 200
	var joinLocal, joinRemote, relayLocal, relayRemote []time.Duration
	for range rounds / 10 {
		room := brokertest.UniqueName("room-")
		owner, other := "a", "b"
		first := tc.nodes[owner].dial(t)
		first.joinAs(t, room, "first")
		if tc.owner(t, room) != owner {
			owner, other = "b", "a"
		}
		for _, via := range []string{owner, other} {
			for range 5 {
				c := tc.nodes[via].dial(t)
				start := time.Now()
				c.joinAs(t, room, "x")
				if via == owner {
					joinLocal = append(joinLocal, time.Since(start))
				} else {
					joinRemote = append(joinRemote, time.Since(start))
				}
				c.send(t, "leave", nil)
				c.reply(t, "leave")
				_ = c.Conn.Close()
			}
		}
		// Two participants on the owner, two elsewhere: one message each way, timed to the receiver's event.
		pairs := map[string][2]*wsClient{}
		for _, via := range []string{owner, other} {
			s, r := tc.nodes[via].dial(t), tc.nodes[via].dial(t)
			s.joinAs(t, room, "s"+via)
			jr := r.joinAs(t, room, "r"+via)
			pairs[via] = [2]*wsClient{s, r}
			for range 10 {
				start := time.Now()
				s.send(t, "sendMessage", map[string]any{"to": jr.SocketID, "message": 1})
				r.event(t, "eventMessage", nil)
				if via == owner {
					relayLocal = append(relayLocal, time.Since(start))
				} else {
					relayRemote = append(relayRemote, time.Since(start))
				}
			}
		}
		_ = first.Conn.Close()
		for _, p := range pairs {
			_ = p[0].Conn.Close()
			_ = p[1].Conn.Close()
		}
	}
	for _, f := range []struct {
		what string
		d    []time.Duration
	}{{"join on the owner", joinLocal}, {"join through another node", joinRemote},
		{"relay between websockets of the owner", relayLocal}, {"relay between websockets of another node", relayRemote}} {
		slices.Sort(f.d)
		t.Logf("%s: p50 %v p99 %v (%d)", f.what, f.d[len(f.d)/2], f.d[len(f.d)*99/100], len(f.d))
	}
}

// TestClusterEdgeStopKeepsPlaces: a node stopped by SIGTERM closes its websockets whose room lives elsewhere
// (1001) without their participants leaving: the client reconnects through another node and is still there.
func TestClusterEdgeStopKeepsPlaces(t *testing.T) {
	tc := startCluster(t, "a", "b")
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
	defer cancel()
	room := brokertest.UniqueName("room-")
	// Rooms until one is placed on a.
	alice := tc.nodes["a"].dial(t)
	for {
		alice.joinAs(t, room, "alice")
		if tc.owner(t, room) == "a" {
			break
		}
		alice.send(t, "leave", nil)
		alice.reply(t, "leave")
		room = brokertest.UniqueName("room-")
		if ctx.Err() != nil {
			t.Fatal("a never owned a room")
		}
	}
	bob := tc.nodes["b"].dial(t)
	jb := bob.joinAs(t, room, "bob")
	tc.nodes["b"].srv.stop()
	if code := bob.closeCode(t); code != 1001 {
		t.Fatalf("bob's websocket closed with %d, want 1001", code)
	}
	if err := tc.nodes["b"].srv.wait(t); err != nil {
		t.Fatalf("b stopped with %v", err)
	}
	bob2 := tc.nodes["a"].dial(t)
	bob2.send(t, "reconnect", map[string]any{"socketId": jb.SocketID, "bearer": signedBearer(t, "bob")})
	if r := bob2.reply(t, "reconnect"); !r.OK() {
		t.Fatalf("reconnect after the edge stopped: %+v", r)
	}
}
