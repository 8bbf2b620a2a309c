package cluster

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"time"
)

// NodeInfo is a live node as this node sees it.
type NodeInfo struct {
	ID   string
	Load Load
	// Self is true for this node.
	Self bool
	// LastSeen is when its last announcement arrived (now, for Self).
	LastSeen time.Time
}

// peer is the registry's record of another node.
type peer struct {
	incarnation string
	seq         uint64
	interval    time.Duration
	load        Load
	lastSeen    time.Time
	// pending counts rooms this node placed on the peer since its last announcement, which cannot show them yet:
	// without it, every placement within an announcement interval would pick the same node.
	pending int
}

// registry is the set of live nodes built from everyone's announcements. It is not safe for concurrent use (the
// Node holds its lock) and takes the time as an argument, so that tests drive it with a fake clock.
type registry struct {
	self      string
	selfLoad  Load
	deadAfter int
	peers     map[string]*peer
	// rand returns a number in [0, n), to break ties between equally loaded nodes.
	rand func(n int) int
}

func newRegistry(self string, deadAfter int) *registry {
	return &registry{self: self, deadAfter: deadAfter, peers: make(map[string]*peer), rand: rand.IntN}
}

// observe records an announcement received at now and returns the events it causes.
func (r *registry) observe(a announcement, now time.Time) []Event {
	if a.Node == r.self {
		return nil // this node's own announcement, back from the fanout
	}
	p, known := r.peers[a.Node]
	var events []Event
	switch {
	case known && p.incarnation != a.Incarnation:
		// A restarted process: its rooms went with its old connection.
		events = append(events, Event{Kind: NodeDown, Node: a.Node, Reason: ReasonRestarted})
		delete(r.peers, a.Node)
		known = false
	case known && a.Seq <= p.seq:
		return nil // a duplicate or a late one: nothing new
	}
	if a.Leaving {
		if known {
			delete(r.peers, a.Node)
			events = append(events, Event{Kind: NodeDown, Node: a.Node, Reason: ReasonLeft})
		}
		return events
	}
	if !known {
		p = &peer{incarnation: a.Incarnation}
		r.peers[a.Node] = p
		events = append(events, Event{Kind: NodeUp, Node: a.Node, Load: a.Load})
	}
	p.seq, p.interval, p.load, p.lastSeen, p.pending = a.Seq, a.interval(), a.Load, now, 0
	return events
}

// expire removes the nodes silent for deadAfter of their intervals at now, and returns their events.
func (r *registry) expire(now time.Time) []Event {
	var events []Event
	for id, p := range r.peers {
		if now.Sub(p.lastSeen) >= time.Duration(r.deadAfter)*p.interval {
			delete(r.peers, id)
			events = append(events, Event{Kind: NodeDown, Node: id, Reason: ReasonSilent})
		}
	}
	slices.SortFunc(events, func(a, b Event) int { return cmp.Compare(a.Node, b.Node) })
	return events
}

// resume gives every node a fresh deadline after this node reconnected at now: while this node was cut off it
// heard nobody, which says nothing about the others. A broker restart would otherwise make every node declare
// every other dead at once, and move every room.
func (r *registry) resume(now time.Time) {
	for _, p := range r.peers {
		p.lastSeen = now
	}
}

// alive reports whether node is this node or a live peer.
func (r *registry) alive(node string) bool {
	_, ok := r.peers[node]
	return ok || node == r.self
}

// nodes returns the live nodes, this node first, then by id.
func (r *registry) nodes(now time.Time) []NodeInfo {
	out := []NodeInfo{{ID: r.self, Load: r.selfLoad, Self: true, LastSeen: now}}
	for id, p := range r.peers {
		out = append(out, NodeInfo{ID: id, Load: p.load, LastSeen: p.lastSeen})
	}
	slices.SortFunc(out[1:], func(a, b NodeInfo) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// choose returns the least loaded live node (this node included) for a new room.
//
// Least loaded means, in order: not draining; the lower CPU use in steps of 10 % of the machine (CPU is what
// fills an MCU, and the only measure comparable between machines of different sizes; steps keep noise from
// deciding); fewer encoders; fewer participants; fewer rooms (both counting the rooms placed there since its last
// announcement). Ties go to a random one of the tied nodes, so that equal nodes share the new rooms.
func (r *registry) choose() string {
	best, bestKey, ties := r.self, placementKey(r.selfLoad, 0), 1
	for id, p := range r.peers {
		k := placementKey(p.load, p.pending)
		switch c := slices.Compare(k[:], bestKey[:]); {
		case c < 0:
			best, bestKey, ties = id, k, 1
		case c == 0:
			// Reservoir sampling: each of the tied nodes ends up chosen with the same probability.
			ties++
			if r.rand(ties) == 0 {
				best = id
			}
		}
	}
	return best
}

// placementKey orders nodes for placement: lower is better.
func placementKey(l Load, pending int) [5]int {
	draining := 0
	if l.Draining {
		draining = 1
	}
	return [5]int{draining, int(l.CPU * 10), l.Encoders, l.Participants + pending, l.Rooms + pending}
}

// placed counts a room this node placed on node, until node's next announcement shows it.
func (r *registry) placed(node string) {
	if p, ok := r.peers[node]; ok {
		p.pending++
	}
}
