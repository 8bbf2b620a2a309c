package cluster

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

// withLoad returns cfg announcing load.
func withLoad(cfg Config, load Load) Config {
	cfg.Load = func() Load { return load }
	return cfg
}

// seesLoad reports whether n sees node with the given CPU.
func seesLoad(n *testNode, node string, cpu float64) bool {
	for _, info := range n.Nodes() {
		if info.ID == node && info.Load.CPU == cpu {
			return true
		}
	}
	return false
}

func TestPlacementOnTheLeastLoadedNode(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, brokertest.URL(t))
	a := c.start(withLoad(c.config("a"), Load{CPU: 0.8}))
	b := c.start(withLoad(c.config("b"), Load{CPU: 0.1, Participants: 30}))
	cn := c.start(withLoad(c.config("c"), Load{CPU: 0.5}))
	testkit.WaitFor(t, testkit.Patient, "a to see the loads", func() bool { return seesLoad(a, "b", 0.1) && seesLoad(a, "c", 0.5) })
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
	defer cancel()
	owner, err := a.Place(ctx, "r1")
	if err != nil || owner != "b" {
		t.Fatalf("a placed r1 on %q (%v), want b, the least loaded", owner, err)
	}
	if !b.Owns("r1") {
		t.Fatal("b does not own r1")
	}
	b.events.wait(t, "b's RoomClaimed", testkit.Patient, func(e Event) bool { return e.Kind == RoomClaimed && e.Room == "r1" })
	// The room has an owner now: another node finds it, placing nothing.
	if owner, err := cn.Place(ctx, "r1"); err != nil || owner != "b" {
		t.Fatalf("c found r1 on %q (%v), want b", owner, err)
	}
	if st := a.Stats(); st.Placements != 1 || st.PlacedRemotely != 1 || st.PlacementFallbacks != 0 {
		t.Fatalf("a's stats: %+v", st)
	}
	if st := cn.Stats(); st.Placements != 0 {
		t.Fatalf("c placed a room that had an owner: %+v", st)
	}
}

// ghost announces a node that is not a Node: it has an inbox that nobody consumes, or none at all.
func ghost(t *testing.T, c *testCluster, id string, withInbox bool) {
	t.Helper()
	probe := newProber(t, c.url)
	ch := channel(t, probe.conn)
	if withInbox {
		if _, err := ch.QueueDeclare(names{ns: c.ns}.nodeQueue(id), false, false, true, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	// A long interval: it stays alive for the whole test with one announcement.
	body, err := encodeAnnouncement(announcement{Version: announcementVersion, Node: id, Incarnation: "ghost",
		Seq: 1, IntervalMs: 60_000})
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Publish(c.ns+".cluster", "", false, false, amqp.Publishing{Body: body}); err != nil {
		t.Fatal(err)
	}
}

func TestPlacementFallsBackWhenTheChosenNodeFails(t *testing.T) {
	for _, tc := range []struct {
		name      string
		withInbox bool
	}{
		{"chosen node does not answer", true},
		{"chosen node has no inbox", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newTestCluster(t, brokertest.URL(t))
			cfg := withLoad(c.config("a"), Load{CPU: 0.9})
			cfg.PlacementTimeout = 500 * time.Millisecond
			a := c.start(cfg)
			ghost(t, c, "ghost", tc.withInbox)
			testkit.WaitFor(t, testkit.Patient, "a to see the ghost", func() bool { return a.Alive("ghost") })
			ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
			defer cancel()
			start := time.Now()
			owner, err := a.Place(ctx, "r1")
			if err != nil || owner != "a" {
				t.Fatalf("placement: %q, %v; want a's fallback", owner, err)
			}
			t.Logf("fallback after %v", time.Since(start).Round(time.Millisecond))
			if st := a.Stats(); st.PlacementFallbacks != 1 || st.PlacedRemotely != 0 || !a.Owns("r1") {
				t.Fatalf("a's stats: %+v", st)
			}
		})
	}
}

func TestConcurrentPlacementsAgree(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, brokertest.URL(t))
	nodes := []*testNode{c.start(c.config("a")), c.start(c.config("b")), c.start(c.config("c"))}
	for _, n := range nodes {
		testkit.WaitFor(t, testkit.Patient, n.ID()+" to see all", func() bool { return seesAll(n, 3) })
	}
	for i := range 20 {
		room := fmt.Sprintf("placed-%d", i)
		owners := make([]string, len(nodes))
		var wg sync.WaitGroup
		for j, n := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
				defer cancel()
				var err error
				if owners[j], err = n.Place(ctx, room); err != nil {
					t.Errorf("%s: place %s: %v", n.ID(), room, err)
				}
			}()
		}
		wg.Wait()
		holders := 0
		for _, n := range nodes {
			if n.Owns(room) {
				holders++
			}
		}
		if owners[0] != owners[1] || owners[1] != owners[2] || holders != 1 {
			t.Fatalf("%s: owners %q, %d holders", room, owners, holders)
		}
	}
}
