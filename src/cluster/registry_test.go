package cluster

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func ann(node, inc string, seq uint64, load Load) announcement {
	return announcement{Version: announcementVersion, Node: node, Incarnation: inc, Seq: seq, IntervalMs: 1000,
		Load: load}
}

func kinds(events []Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Kind.String()+" "+e.Node+" "+e.Reason)
	}
	return out
}

func sameKinds(t *testing.T, what string, events []Event, want ...string) {
	t.Helper()
	got := kinds(events)
	if len(got) != len(want) {
		t.Fatalf("%s: events %q, want %q", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: events %q, want %q", what, got, want)
		}
	}
}

func TestRegistryLifecycle(t *testing.T) {
	r := newRegistry("self", 3)
	sameKinds(t, "own announcement", r.observe(ann("self", "i", 1, Load{}), t0))
	sameKinds(t, "first", r.observe(ann("b", "i1", 1, Load{}), t0), "node-up b ")
	sameKinds(t, "next", r.observe(ann("b", "i1", 2, Load{}), t0.Add(time.Second)))
	sameKinds(t, "duplicate", r.observe(ann("b", "i1", 2, Load{}), t0.Add(time.Second)))
	sameKinds(t, "late", r.observe(ann("b", "i1", 1, Load{}), t0.Add(time.Second)))
	if !r.alive("b") || !r.alive("self") || r.alive("c") {
		t.Fatal("alive")
	}
	// Silent for 3 of its intervals after its last announcement, at t0+1s.
	sameKinds(t, "silent 2.9s", r.expire(t0.Add(3900*time.Millisecond)))
	sameKinds(t, "silent 3s", r.expire(t0.Add(4*time.Second)), "node-down b silent")
	sameKinds(t, "back", r.observe(ann("b", "i1", 9, Load{}), t0.Add(5*time.Second)), "node-up b ")
	sameKinds(t, "restarted", r.observe(ann("b", "i2", 1, Load{}), t0.Add(6*time.Second)),
		"node-down b restarted", "node-up b ")
	leaving := ann("b", "i2", 2, Load{})
	leaving.Leaving = true
	sameKinds(t, "left", r.observe(leaving, t0.Add(6*time.Second)), "node-down b left")
	if r.alive("b") {
		t.Fatal("b alive after leaving")
	}
	sameKinds(t, "a leaving node not known", r.observe(leaving, t0.Add(6*time.Second)))
}

func TestRegistryJudgesSilenceByTheNodesOwnInterval(t *testing.T) {
	r := newRegistry("self", 3)
	slow := ann("slow", "i", 1, Load{})
	slow.IntervalMs = 5000
	r.observe(slow, t0)
	r.observe(ann("fast", "i", 1, Load{}), t0)
	sameKinds(t, "after 3s", r.expire(t0.Add(3*time.Second)), "node-down fast silent")
	sameKinds(t, "after 15s", r.expire(t0.Add(15*time.Second)), "node-down slow silent")
}

func TestRegistryResumeAfterReconnect(t *testing.T) {
	r := newRegistry("self", 3)
	r.observe(ann("b", "i", 1, Load{}), t0)
	// This node was cut off for 10 s: b's silence says nothing.
	r.resume(t0.Add(10 * time.Second))
	sameKinds(t, "just after", r.expire(t0.Add(11*time.Second)))
	sameKinds(t, "3 intervals after", r.expire(t0.Add(13*time.Second)), "node-down b silent")
}

func TestRegistryNodes(t *testing.T) {
	r := newRegistry("self", 3)
	r.selfLoad = Load{Rooms: 1}
	r.observe(ann("c", "i", 1, Load{Rooms: 3}), t0)
	r.observe(ann("b", "i", 1, Load{Rooms: 2}), t0)
	nodes := r.nodes(t0)
	if len(nodes) != 3 || nodes[0].ID != "self" || !nodes[0].Self || nodes[0].Load.Rooms != 1 ||
		nodes[1].ID != "b" || nodes[2].ID != "c" || nodes[2].Load.Rooms != 3 || nodes[1].Self {
		t.Fatalf("nodes: %+v", nodes)
	}
}

func TestRegistryChoosesTheLeastLoaded(t *testing.T) {
	for _, tc := range []struct {
		name  string
		self  Load
		peers map[string]Load
		want  string
	}{
		{"alone", Load{Participants: 100}, nil, "self"},
		{"lower CPU", Load{CPU: 0.5}, map[string]Load{"b": {CPU: 0.3, Participants: 50}}, "b"},
		{"CPU within one step: fewer encoders", Load{CPU: 0.31, Encoders: 1},
			map[string]Load{"b": {CPU: 0.35, Encoders: 0}}, "b"},
		{"fewer encoders", Load{Encoders: 4}, map[string]Load{"b": {Encoders: 2}, "c": {Encoders: 3}}, "b"},
		{"fewer participants", Load{Participants: 9},
			map[string]Load{"b": {Participants: 3}, "c": {Participants: 4}}, "b"},
		{"fewer rooms", Load{Rooms: 2, Participants: 2}, map[string]Load{"b": {Rooms: 1, Participants: 2}}, "b"},
		{"draining is last", Load{CPU: 0.9}, map[string]Load{"b": {Draining: true}}, "self"},
		{"draining self", Load{Draining: true}, map[string]Load{"b": {CPU: 0.9}}, "b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRegistry("self", 3)
			r.selfLoad = tc.self
			for id, l := range tc.peers {
				r.observe(ann(id, "i", 1, l), t0)
			}
			if got := r.choose(); got != tc.want {
				t.Fatalf("chose %s, want %s", got, tc.want)
			}
		})
	}
}

func TestRegistryPendingPlacementsSpreadRooms(t *testing.T) {
	r := newRegistry("self", 3)
	r.selfLoad = Load{Participants: 10}
	r.observe(ann("b", "i", 1, Load{}), t0)
	r.observe(ann("c", "i", 1, Load{}), t0)
	counts := map[string]int{}
	// Six placements within one announcement interval: they spread over b and c instead of all going to one.
	for range 6 {
		node := r.choose()
		r.placed(node)
		counts[node]++
	}
	if counts["b"] != 3 || counts["c"] != 3 {
		t.Fatalf("placements: %v, want 3 on b and 3 on c", counts)
	}
	// The next announcement replaces the estimate.
	r.observe(ann("b", "i", 2, Load{}), t0.Add(time.Second))
	if got := r.choose(); got != "b" {
		t.Fatalf("after b's announcement chose %s", got)
	}
}

func TestRegistryTiesAreSpread(t *testing.T) {
	r := newRegistry("self", 3)
	for _, id := range []string{"b", "c", "d"} {
		r.observe(ann(id, "i", 1, Load{}), t0)
	}
	counts := map[string]int{}
	for range 4000 {
		counts[r.choose()]++
	}
	for _, id := range []string{"self", "b", "c", "d"} {
		if counts[id] < 800 || counts[id] > 1200 {
			t.Fatalf("ties chosen %v, want about 1000 each", counts)
		}
	}
}
