package cluster

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// seesAll reports whether n counts want live nodes.
func seesAll(n *testNode, want int) bool { return len(n.Nodes()) == want }

func TestThreeNodesSeeEachOtherAndACrashedOneDies(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, brokertest.URL(t))
	var nodes []*testNode
	for _, id := range []string{"a", "b", "c"} {
		cfg := c.config(id)
		cfg.AnnounceInterval = time.Second // the production pace: the deadlines below are the design's
		nodes = append(nodes, c.start(cfg))
	}
	a, b, victim := nodes[0], nodes[1], nodes[2]
	start := time.Now()
	for _, n := range nodes {
		testkit.WaitFor(t, 2*time.Second, n.ID()+" to see the three nodes", func() bool { return seesAll(n, 3) })
	}
	t.Logf("three nodes see each other %v after the last one connected", time.Since(start).Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
	defer cancel()
	var queues []string
	for _, room := range []string{"r1", "salle de réunion"} {
		owner, err := victim.Claim(ctx, room)
		if err != nil || owner != "c" {
			t.Fatalf("claim %q: %q, %v", room, owner, err)
		}
		queues = append(queues, c.ns+".room."+roomSuffix(room))
	}
	probe := newProber(t, c.url)
	for _, q := range queues {
		if err := probe.passive(q); code(err) != codeResourceLocked {
			t.Fatalf("queue %s before the crash: %v, want 405 (owned)", q, err)
		}
	}

	crashed := time.Now()
	victim.net.crash()
	testkit.WaitFor(t, 2*time.Second, "the crashed node's room queues to be deleted", func() bool {
		for _, q := range queues {
			if code(probe.passive(q)) != codeNotFound {
				return false
			}
		}
		return true
	})
	t.Logf("room queues deleted %v after the crash", time.Since(crashed).Round(time.Millisecond))
	for _, n := range []*testNode{a, b} {
		_, seen := n.events.wait(t, n.ID()+" to see c dead", 4*time.Second, func(e Event) bool {
			return e.Kind == NodeDown && e.Node == "c"
		})
		t.Logf("%s sees c dead %v after the crash", n.ID(), seen.Sub(crashed).Round(time.Millisecond))
	}
	for _, n := range []*testNode{a, b} {
		for _, e := range n.events.all() {
			if e.Kind == NodeDown && e.Node == "c" && e.Reason != ReasonSilent {
				t.Errorf("%s: c down for %q, want %q", n.ID(), e.Reason, ReasonSilent)
			}
			if e.Kind == NodeDown && e.Node != "c" {
				t.Errorf("%s: %s declared down (%s)", n.ID(), e.Node, e.Reason)
			}
		}
		if n.Alive("c") || !seesAll(n, 2) {
			t.Errorf("%s: nodes %+v after c's death", n.ID(), n.Nodes())
		}
	}
	// The rooms are free: another node claims them at once.
	for _, room := range []string{"r1", "salle de réunion"} {
		if owner, err := a.Claim(ctx, room); err != nil || owner != "a" {
			t.Fatalf("claim %q after the crash: %q, %v", room, owner, err)
		}
	}
}

// roomSuffix is the part of a room's queue name after ".room.".
func roomSuffix(room string) string {
	q := names{ns: "x"}.roomQueue(room)
	return q[len("x.room."):]
}

func TestLeaveIsSeenAtOnce(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, brokertest.URL(t))
	cfgA, cfgB := c.config("a"), c.config("b")
	// A slow pace: a departure seen within one interval cannot be the silence.
	cfgA.AnnounceInterval, cfgB.AnnounceInterval = 5*time.Second, 5*time.Second
	a, b := c.start(cfgA), c.start(cfgB)
	testkit.WaitFor(t, testkit.Patient, "a to see b", func() bool { return seesAll(a, 2) })
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
	defer cancel()
	left := time.Now()
	if err := b.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	e, seen := a.events.wait(t, "a to see b leave", 4*time.Second, func(e Event) bool {
		return e.Kind == NodeDown && e.Node == "b"
	})
	if e.Reason != ReasonLeft {
		t.Fatalf("b down for %q, want %q", e.Reason, ReasonLeft)
	}
	t.Logf("departure seen %v after Leave", seen.Sub(left).Round(time.Millisecond))
	// A leaving node refuses new rooms.
	if _, err := a.askToClaim(ctx, "b", "r1"); err != errRefused {
		t.Fatalf("claim request to a leaving node: %v, want errRefused", err)
	}
}

func TestNodeStatsCountAnnouncements(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, brokertest.URL(t))
	a, b := c.start(c.config("a")), c.start(c.config("b"))
	testkit.WaitFor(t, testkit.Patient, "announcements both ways", func() bool {
		sa, sb := a.Stats(), b.Stats()
		return sa.AnnouncementsReceived >= 3 && sb.AnnouncementsReceived >= 3 && sa.AnnouncementsSent >= 3 &&
			sa.Connected && sa.LiveNodes == 2 && sa.Connects == 1
	})
}

func TestDuplicateNodeIDWaitsForTheFirst(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, brokertest.URL(t))
	first := c.start(c.config("a"))
	second, err := newNode(c.config("a"), quietLogger(), newFaultyNet().dial)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
		defer cancel()
		if err := second.Close(ctx); err != nil {
			t.Error(err)
		}
	}()
	testkit.WaitFor(t, testkit.Patient, "the second node to fail connecting", func() bool {
		return second.Stats().ConnectionErrors >= 2
	})
	if second.Stats().Connected {
		t.Fatal("two nodes connected with one id")
	}
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
	defer cancel()
	if err := first.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := second.Ready(ctx); err != nil {
		t.Fatalf("the second node after the first closed: %v", err)
	}
}

func TestClosedNode(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, brokertest.URL(t))
	a, b := c.start(c.config("a")), c.start(c.config("b"))
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
	defer cancel()
	if _, err := a.Claim(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := a.Send(ctx, NodeAddress("b"), Message{Kind: "k"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("send after Close: %v, want ErrClosed", err)
	}
	if err := a.Ready(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Ready after Close: %v, want ErrClosed", err)
	}
	// Its room is free again.
	if owner, err := b.Claim(ctx, "r1"); err != nil || owner != "b" {
		t.Fatalf("claim after a's Close: %q, %v", owner, err)
	}
}
