package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
)

// EventKind says what happened.
type EventKind int

const (
	// NodeUp: a node announced itself for the first time, again after being dead, or with a new incarnation.
	NodeUp EventKind = iota + 1
	// NodeDown: a node is dead for this node; Reason says why (ReasonSilent, ReasonLeft, ReasonRestarted). The
	// rooms it owned are free again: their queues went with its connection (at once after a crash, within the
	// broker's heartbeat timeout after a freeze).
	NodeDown
	// RoomClaimed: this node became the owner of Room (its own claim, or another node's request).
	RoomClaimed
	// RoomLost: this node no longer owns Room although it did not release it: another node claimed it while this
	// node's connection was down, or the queue was deleted under it. The caller hands its participants over.
	RoomLost
	// Connected: this node's connection to the broker is up (again), with its inbox and its rooms re-claimed.
	Connected
	// Disconnected: this node's connection to the broker is down; it reconnects by itself. Sends fail meanwhile.
	Disconnected
)

func (k EventKind) String() string {
	switch k {
	case NodeUp:
		return "node-up"
	case NodeDown:
		return "node-down"
	case RoomClaimed:
		return "room-claimed"
	case RoomLost:
		return "room-lost"
	case Connected:
		return "connected"
	case Disconnected:
		return "disconnected"
	}
	return fmt.Sprintf("event-%d", int(k))
}

// Reasons of NodeDown.
const (
	// ReasonSilent: no announcement for Config.DeadAfter of the node's announcement intervals.
	ReasonSilent = "silent"
	// ReasonLeft: the node announced its departure (Node.Leave).
	ReasonLeft = "left"
	// ReasonRestarted: the node announced itself with a new incarnation: the process restarted.
	ReasonRestarted = "restarted"
)

// Event is something that happened to the cluster, as this node saw it.
type Event struct {
	Kind EventKind
	// Node is the node of NodeUp and NodeDown.
	Node string
	// Room is the room of RoomClaimed and RoomLost.
	Room string
	// Reason says why, for NodeDown and RoomLost.
	Reason string
	// Load is the node's load at NodeUp.
	Load Load
}

// dispatcher hands events to the caller's callback on a goroutine of its own, in order: the node never waits for
// the callback, and the callback may call the node.
type dispatcher struct {
	log     *slog.Logger
	handle  func(Event)
	mu      sync.Mutex
	queue   []Event
	wake    chan struct{}
	stopped bool
	done    chan struct{}
}

func newDispatcher(handle func(Event), log *slog.Logger) *dispatcher {
	return &dispatcher{log: log, handle: handle, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// emit queues e; it never blocks. Events after stop are dropped.
func (d *dispatcher) emit(e Event) {
	if d.handle == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	d.queue = append(d.queue, e)
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// run delivers the queued events until stop; then it delivers what is left and returns.
func (d *dispatcher) run() {
	defer close(d.done)
	for {
		d.mu.Lock()
		batch, stopped := d.queue, d.stopped
		d.queue = nil
		d.mu.Unlock()
		for _, e := range batch {
			d.deliver(e)
		}
		if stopped && len(batch) == 0 {
			return
		}
		if len(batch) == 0 {
			<-d.wake
		}
	}
}

func (d *dispatcher) deliver(e Event) {
	defer func() {
		if v := recover(); v != nil {
			d.log.Error("cluster: panic in the event callback", "event", e.Kind.String(), "panic", fmt.Sprint(v),
				"stack", string(debug.Stack()))
		}
	}()
	d.handle(e)
}

// stop ends run once the queued events are delivered, or when ctx ends.
func (d *dispatcher) stop(ctx context.Context) error {
	d.mu.Lock()
	d.stopped = true
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
	select {
	case <-d.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("cluster: event callback still running: %w", ctx.Err())
	}
}
