package signaling

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/cluster"
	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// clusterNode is a server that is a node of a cluster on the test broker.
type clusterNode struct {
	h    *harness
	node *cluster.Node
}

// startNodes runs a server per id, nodes of one cluster of the test's own (a namespace on the test broker); empty
// rooms are released after releaseAfter.
func startNodes(t *testing.T, releaseAfter time.Duration, ids ...string) []clusterNode {
	t.Helper()
	url, ns := brokertest.URL(t), brokertest.UniqueName("st")
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	var nodes []clusterNode
	for _, id := range ids {
		h := startHarness(t, func(o *Options) {
			o.RateLimit, o.RateBurst, o.UserRateLimit, o.UserRateBurst = 1e5, 1e5, 1e5, 1e5
		}, nil, logger)
		cfg := cluster.DefaultConfig()
		cfg.URL, cfg.NodeID, cfg.Namespace = url, id, ns
		cfg.AnnounceInterval = 100 * time.Millisecond
		cfg.Handler, cfg.OnEvent = h.srv.HandlePeer, h.srv.ClusterEvent
		node, err := cluster.NewNodeWith(cfg, logger)
		if err != nil {
			t.Fatal(err)
		}
		h.srv.UseCluster(node, releaseAfter, 0)
		ctx, stop := context.WithCancel(context.Background())
		go h.srv.Run(ctx)
		t.Cleanup(func() {
			stop()
			closeCtx, cancel := context.WithTimeout(context.Background(), waitFor)
			defer cancel()
			if err := node.Close(closeCtx); err != nil {
				t.Errorf("close %s: %v", id, err)
			}
		})
		nodes = append(nodes, clusterNode{h: h, node: node})
	}
	for _, n := range nodes {
		testkit.WaitFor(t, waitFor, n.node.ID()+" sees every node", func() bool { return len(n.node.Nodes()) == len(ids) })
	}
	return nodes
}

// TestClusterForwardsInOrder: a room owned by a; two participants through b, one on a. Their messages, each way,
// arrive in order; room.join and room.leave are published by the owner only, once each.
func TestClusterForwardsInOrder(t *testing.T) {
	nodes := startNodes(t, time.Hour, "a", "b")
	a, b := nodes[0], nodes[1]
	const room = "forwarded"
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if owner, err := a.node.Claim(ctx, room); err != nil || owner != "a" {
		t.Fatalf("claim: %q %v", owner, err)
	}
	u1, u2, u3 := b.h.dial(), b.h.dial(), a.h.dial()
	j1 := u1.joinAs(b.h, room, "u1")
	j2 := u2.joinAs(b.h, room, "u2")
	j3 := u3.joinAs(a.h, room, "u3")
	if j3.RoomSize != 2 || j2.RoomSize != 1 {
		t.Fatalf("room sizes %d %d", j2.RoomSize, j3.RoomSize)
	}
	for _, c := range []*client{u1, u2, u3} {
		c.flush()
	}
	const n = 300
	sentBefore := a.node.Stats().MessagesSent + b.node.Stats().MessagesSent
	for i := range n {
		u1.send("sendMessage", map[string]any{"to": j3.SocketID, "message": i})
		u3.send("sendMessage", map[string]any{"to": j2.SocketID, "message": i})
	}
	for _, to := range []struct {
		c    *client
		from string
	}{{u3, j1.SocketID}, {u2, j3.SocketID}} {
		for i := range n {
			m, err := to.c.kc.Await(waitFor, "eventMessage", func(m msg) bool { return m.A == "eventMessage" })
			if err != nil {
				t.Fatal(err)
			}
			ev := decode[struct {
				From    struct{ SocketID string }
				Message int
			}](t, m.D)
			if ev.Message != i || ev.From.SocketID != to.from {
				t.Fatalf("message %d: %+v", i, ev)
			}
		}
	}
	// Each of u1's frames and the replies to them cross the broker once; u3's frames none, the events for u2 once
	// (announcements are not messages).
	sent := func() uint64 { return a.node.Stats().MessagesSent + b.node.Stats().MessagesSent - sentBefore }
	testkit.WaitFor(t, waitFor, "the replies to u1", func() bool { return sent() >= 3*n })
	if got := sent(); got != 3*n {
		t.Fatalf("%d messages between the nodes for %d relayed, want %d", got, 2*n, 3*n)
	}
	u1.send("leave", nil)
	testkit.WaitFor(t, waitFor, "u1's room.leave", func() bool { return len(a.h.pub.ofKey(bus.KeyRoomLeave)) == 1 })
	if got := len(a.h.pub.ofKey(bus.KeyRoomJoin)); got != 3 {
		t.Fatalf("%d room.join on the owner, want 3", got)
	}
	if got := b.h.pub.all(); len(got) != 0 {
		t.Fatalf("the other node published %v", got)
	}
	// The leave ends u1's link on both sides, a moment after the reply.
	testkit.WaitFor(t, waitFor, "one websocket forwarded by b, one remote participant on a", func() bool {
		sb, sa := b.h.srv.Stats(), a.h.srv.Stats()
		return sb.ForwardedWebsockets == 1 && sb.Rooms == 0 && sa.RemoteParticipants == 1 && sa.Participants == 2 &&
			sa.Connections == 1
	})
}

// TestClusterReleasesEmptyRooms: once its last participant has left, the owner gives the room up after the
// release delay, and a new join places it again.
func TestClusterReleasesEmptyRooms(t *testing.T) {
	nodes := startNodes(t, 200*time.Millisecond, "a", "b")
	a, b := nodes[0], nodes[1]
	const room = "released"
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if _, err := a.node.Claim(ctx, room); err != nil {
		t.Fatal(err)
	}
	c := b.h.dial()
	c.joinAs(b.h, room, "u")
	c.send("leave", nil)
	c.expectOK("leave")
	testkit.WaitFor(t, waitFor, "the room released", func() bool { return !slices.Contains(a.node.Rooms(), room) })
	c.joinAs(b.h, room, "u")
	if !slices.Contains(a.node.Rooms(), room) && !slices.Contains(b.node.Rooms(), room) {
		t.Fatal("joined a room nobody owns")
	}
}
