package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

func TestConcurrentClaimsGiveOneOwner(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, brokertest.URL(t))
	nodes := []*testNode{c.start(c.config("a")), c.start(c.config("b")), c.start(c.config("c"))}
	const rounds = 100
	var winners, losers []time.Duration
	wins := map[string]int{}
	for i := range rounds {
		room := fmt.Sprintf("race-%d", i)
		owners := make([]string, len(nodes))
		took := make([]time.Duration, len(nodes))
		errs := make([]error, len(nodes))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for j, n := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
				defer cancel()
				<-start
				t0 := time.Now()
				owners[j], errs[j] = n.Claim(ctx, room)
				took[j] = time.Since(t0)
			}()
		}
		close(start)
		wg.Wait()
		for j, err := range errs {
			if err != nil {
				t.Fatalf("round %d: %s: %v", i, nodes[j].ID(), err)
			}
		}
		owner := owners[0]
		holders := 0
		for j, n := range nodes {
			if owners[j] != owner {
				t.Fatalf("round %d: owners %q disagree", i, owners)
			}
			if n.Owns(room) {
				holders++
			}
			if n.ID() == owner {
				winners = append(winners, took[j])
			} else {
				losers = append(losers, took[j])
			}
		}
		if holders != 1 || !slices.ContainsFunc(nodes, func(n *testNode) bool { return n.ID() == owner }) {
			t.Fatalf("round %d: owner %q, %d nodes hold the room", i, owner, holders)
		}
		wins[owner]++
	}
	var won, lost uint64
	for _, n := range nodes {
		st := n.Stats()
		won += st.ClaimsWon
		lost += st.ClaimsLost
	}
	if won != rounds || lost != 2*rounds {
		t.Fatalf("claims won %d and lost %d over %d rounds, want %d and %d", won, lost, rounds, rounds, 2*rounds)
	}
	slices.Sort(winners)
	slices.Sort(losers)
	t.Logf("%d rounds of 3 concurrent claims: wins %v; winner's claim p50 %v p99 %v; loser's claim (with the "+
		"owner's answer) p50 %v p99 %v", rounds, wins, percentile(winners, 50), percentile(winners, 99),
		percentile(losers, 50), percentile(losers, 99))
}

func TestClaimOnOneNodeIsSharedByItsCallers(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, brokertest.URL(t))
	a := c.start(c.config("a"))
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
			defer cancel()
			if owner, err := a.Claim(ctx, "r1"); err != nil || owner != "a" {
				t.Errorf("claim: %q, %v", owner, err)
			}
		}()
	}
	wg.Wait()
	if st := a.Stats(); st.ClaimsWon != 1 || st.ClaimsLost != 0 || st.RoomsOwned != 1 {
		t.Fatalf("stats after 10 claims of one room: %+v", st)
	}
}

// blockingHandler records the bodies it handles; a body "block" waits until unblock.
type blockingHandler struct {
	mu      sync.Mutex
	got     []string
	entered chan struct{}
	unblock chan struct{}
}

func newBlockingHandler() *blockingHandler {
	return &blockingHandler{entered: make(chan struct{}, 1), unblock: make(chan struct{})}
}

func (h *blockingHandler) handle(_ context.Context, d *Delivery) {
	if string(d.Body) == "block" {
		h.entered <- struct{}{}
		<-h.unblock
	}
	h.mu.Lock()
	h.got = append(h.got, string(d.Body))
	h.mu.Unlock()
}

func (h *blockingHandler) bodies() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.got)
}

func TestReleaseFreesAnIdleRoom(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, brokertest.URL(t))
	a, b := c.start(c.config("a")), c.start(c.config("b"))
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
	defer cancel()
	if owner, err := a.Claim(ctx, "r1"); err != nil || owner != "a" {
		t.Fatalf("claim: %q, %v", owner, err)
	}
	if err := a.Release(ctx, "r1", nil); err != nil {
		t.Fatal(err)
	}
	if a.Owns("r1") || a.Stats().RoomsReleased != 1 {
		t.Fatalf("a still owns r1 after Release: %+v", a.Stats())
	}
	if err := a.Release(ctx, "r1", nil); !errors.Is(err, ErrNotOwner) {
		t.Fatalf("second release: %v, want ErrNotOwner", err)
	}
	if err := b.Send(ctx, RoomAddress("r1"), Message{Kind: "k"}); !errors.Is(err, ErrNoRoute) {
		t.Fatalf("send to a released room: %v, want ErrNoRoute", err)
	}
	if owner, err := b.Claim(ctx, "r1"); err != nil || owner != "b" {
		t.Fatalf("claim after release: %q, %v", owner, err)
	}
}

// TestReleaseKeepsABusyRoom: a message for the room keeps it, whether the Handler got it around the call (the
// caller's idle check says so) or it waits in the queue (prefetch 1: the broker holds it back while the first
// message is being handled; the caller's idle check says nothing).
func TestReleaseKeepsABusyRoom(t *testing.T) {
	for _, tc := range []struct {
		name     string
		prefetch int
		idle     func(h *blockingHandler) func() bool
	}{
		{"handled", 256, func(h *blockingHandler) func() bool {
			return func() bool { return !slices.Contains(h.bodies(), "m2") }
		}},
		{"queued", 1, func(*blockingHandler) func() bool { return func() bool { return true } }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newTestCluster(t, brokertest.URL(t))
			h := newBlockingHandler()
			cfg := c.config("a")
			cfg.Prefetch = tc.prefetch
			cfg.Handler = h.handle
			a, b := c.start(cfg), c.start(c.config("b"))
			ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
			defer cancel()
			if _, err := a.Claim(ctx, "r1"); err != nil {
				t.Fatal(err)
			}
			for _, body := range []string{"block", "m2"} {
				if err := b.Send(ctx, RoomAddress("r1"), Message{Kind: "k", Body: []byte(body)}); err != nil {
					t.Fatal(err)
				}
			}
			<-h.entered
			released := make(chan error, 1)
			go func() { released <- a.Release(ctx, "r1", tc.idle(h)) }()
			close(h.unblock)
			if err := <-released; !errors.Is(err, ErrRoomBusy) {
				t.Fatalf("release of a room with a message: %v, want ErrRoomBusy", err)
			}
			if !a.Owns("r1") {
				t.Fatal("a gave up a busy room")
			}
			if err := b.Send(ctx, RoomAddress("r1"), Message{Kind: "k", Body: []byte("m3")}); err != nil {
				t.Fatalf("send after the refused release: %v", err)
			}
			testkit.WaitFor(t, testkit.Patient, "every message handled", func() bool { return len(h.bodies()) == 3 })
			if got := h.bodies(); !slices.Equal(got, []string{"block", "m2", "m3"}) {
				t.Fatalf("handled %q", got)
			}
			if err := a.Release(ctx, "r1", nil); err != nil {
				t.Fatalf("release once idle: %v", err)
			}
		})
	}
}

func TestReconnectReclaimsRooms(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, brokertest.URL(t))
	a, b := c.start(c.config("a")), c.start(c.config("b"))
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
	defer cancel()
	for _, room := range []string{"r1", "r2"} {
		if _, err := a.Claim(ctx, room); err != nil {
			t.Fatal(err)
		}
	}
	a.net.crash()
	a.events.wait(t, "a disconnected", testkit.Patient, func(e Event) bool { return e.Kind == Disconnected })
	a.net.restore()
	a.events.wait(t, "a reconnected", testkit.Patient, func(e Event) bool { return e.Kind == Connected && a.Stats().Connects == 2 })
	for _, room := range []string{"r1", "r2"} {
		owner, err := b.Place(ctx, room)
		if err != nil || owner != "a" {
			t.Fatalf("owner of %s after a's reconnection: %q, %v", room, owner, err)
		}
	}
	if st := a.Stats(); st.RoomsLost != 0 || st.RoomsOwned != 2 {
		t.Fatalf("a's stats after reconnecting: %+v", st)
	}
}

// TestFrozenOwnerLosesItsRoom: a node frozen past the broker's heartbeat timeout loses its connection and its
// rooms; another node takes a room; when the frozen node wakes up, it reconnects and reports the room lost.
func TestFrozenOwnerLosesItsRoom(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, brokertest.URL(t))
	cfgA := c.config("a")
	cfgA.Heartbeat = time.Second // the broker drops the frozen node after three
	a, b := c.start(cfgA), c.start(c.config("b"))
	testkit.WaitFor(t, testkit.Patient, "b to see a", func() bool { return seesAll(b, 2) })
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
	defer cancel()
	for _, room := range []string{"r1", "r2"} {
		if _, err := a.Claim(ctx, room); err != nil {
			t.Fatal(err)
		}
	}
	frozen := time.Now()
	a.net.freeze()
	b.events.wait(t, "b to see a dead", testkit.Patient, func(e Event) bool { return e.Kind == NodeDown && e.Node == "a" })
	probe := newProber(t, c.url)
	testkit.WaitFor(t, testkit.Patient, "the broker to drop the frozen node's connection", func() bool {
		return code(probe.passive(c.ns+".room.r1")) == codeNotFound
	})
	t.Logf("a frozen owner's room is free %v after the freeze (heartbeat %v)", time.Since(frozen).Round(time.Millisecond),
		cfgA.Heartbeat)
	if owner, err := b.Place(ctx, "r1"); err != nil || owner != "b" {
		t.Fatalf("placing r1 while a is frozen: %q, %v", owner, err)
	}
	a.net.thaw()
	e, _ := a.events.wait(t, "a to report r1 lost", testkit.Patient, func(e Event) bool { return e.Kind == RoomLost })
	if e.Room != "r1" {
		t.Fatalf("lost %q, want r1", e.Room)
	}
	a.events.wait(t, "a reconnected", testkit.Patient, func(e Event) bool { return e.Kind == Connected && a.Stats().Connects == 2 })
	if a.Owns("r1") || !a.Owns("r2") || a.Stats().RoomsLost != 1 {
		t.Fatalf("after waking up a owns %q, stats %+v", a.Rooms(), a.Stats())
	}
	if owner, err := b.Place(ctx, "r2"); err != nil || owner != "a" {
		t.Fatalf("r2 after a woke up: %q, %v", owner, err)
	}
}
