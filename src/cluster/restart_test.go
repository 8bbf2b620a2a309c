package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// TestBrokerRestart: the broker stops and starts again (its non-durable exchange and every queue are gone); the
// nodes reconnect, declare everything again, re-claim their rooms, and do not take each other for dead.
func TestBrokerRestart(t *testing.T) {
	t.Parallel()
	broker := brokertest.NewPrivateBroker(t)
	broker.Start()
	c := newTestCluster(t, broker.URL)
	cfgA, cfgB := c.config("a"), c.config("b")
	cfgA.MaxBackoff, cfgB.MaxBackoff = 500*time.Millisecond, 500*time.Millisecond
	// The production pace: the first node back gives the other three intervals to reconnect, and a busy machine
	// may take longer than the 300 ms of the tests' usual 100 ms interval.
	cfgA.AnnounceInterval, cfgB.AnnounceInterval = time.Second, time.Second
	a, b := c.start(cfgA), c.start(cfgB)
	testkit.WaitFor(t, testkit.Patient, "a and b to see each other", func() bool { return seesAll(a, 2) && seesAll(b, 2) })
	ctx, cancel := context.WithTimeout(context.Background(), 3*testkit.Patient)
	defer cancel()
	rooms := map[string]*testNode{"r1": a, "salle de réunion": a, "r3": b}
	for room, n := range rooms {
		if owner, err := n.Claim(ctx, room); err != nil || owner != n.ID() {
			t.Fatalf("claim %q: %q, %v", room, owner, err)
		}
	}

	broker.Stop()
	for _, n := range []*testNode{a, b} {
		n.events.wait(t, n.ID()+" disconnected", testkit.Patient, func(e Event) bool { return e.Kind == Disconnected })
	}
	broker.Start()
	for _, n := range []*testNode{a, b} {
		if err := n.Ready(ctx); err != nil {
			t.Fatalf("%s after the restart: %v", n.ID(), err)
		}
	}
	testkit.WaitFor(t, testkit.Patient, "a and b to see each other again", func() bool {
		return a.Stats().AnnouncementsReceived > 0 && seesAll(a, 2) && seesAll(b, 2)
	})
	probe := newProber(t, broker.URL)
	for room, n := range rooms {
		if err := probe.passive(names{ns: c.ns}.roomQueue(room)); code(err) != codeResourceLocked {
			t.Errorf("room %q after the restart: %v, want its queue held (405)", room, err)
		}
		other := a
		if n == a {
			other = b
		}
		if owner, err := other.Place(ctx, room); err != nil || owner != n.ID() {
			t.Errorf("owner of %q after the restart: %q, %v; want %s", room, owner, err, n.ID())
		}
	}
	for _, n := range []*testNode{a, b} {
		st := n.Stats()
		if st.Connects != 2 || st.RoomsLost != 0 {
			t.Errorf("%s: %+v", n.ID(), st)
		}
		for _, e := range n.events.all() {
			if e.Kind == NodeDown || e.Kind == RoomLost {
				t.Errorf("%s: %+v during a broker restart", n.ID(), e)
			}
		}
	}
}
