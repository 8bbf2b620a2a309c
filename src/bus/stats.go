package bus

import "sync/atomic"

// Stats are the publisher's counters since start, for logs and a /metrics endpoint. Counters only grow; Connected,
// Outbox and Unconfirmed are gauges.
type Stats struct {
	// Connected is true while a channel to the broker is open and ready to publish.
	Connected bool
	// Outbox is the number of events waiting in the outbox.
	Outbox int
	// Unconfirmed counts the events taken from the outbox and not yet confirmed: sent and awaiting their confirm,
	// or waiting to be sent again after a failure.
	Unconfirmed int
	// Published counts the events the broker confirmed (acked).
	Published uint64
	// Retried counts sends of an event after its first (after a lost connection, a nack or a confirm timeout).
	Retried uint64
	// Nacked counts negative confirms from the broker; each nacked event is sent again.
	Nacked uint64
	// DroppedSnapshots and DroppedTelemetry count room.live and client reports dropped because the outbox was full.
	DroppedSnapshots uint64
	DroppedTelemetry uint64
	// Lost counts room.join and room.leave dropped because the outbox was past its hard limit.
	Lost uint64
	// Abandoned counts events still undelivered when Shutdown gave up, or published after it.
	Abandoned uint64
	// EncodeErrors counts events that could not be encoded to JSON (a bug: they are dropped).
	EncodeErrors uint64
	// Connects counts channels opened to the broker; Connects-1 is the number of reconnections.
	Connects uint64
	// ConnectionErrors counts failed connection attempts and lost connections or channels.
	ConnectionErrors uint64
}

// metrics holds the counters behind Stats, updated without locks.
type metrics struct {
	connected        atomic.Bool
	unconfirmed      atomic.Int64
	published        atomic.Uint64
	retried          atomic.Uint64
	nacked           atomic.Uint64
	droppedSnapshots atomic.Uint64
	droppedTelemetry atomic.Uint64
	lost             atomic.Uint64
	abandoned        atomic.Uint64
	encodeErrors     atomic.Uint64
	connects         atomic.Uint64
	connectionErrors atomic.Uint64
}

func (m *metrics) stats(outbox int) Stats {
	return Stats{
		Connected:        m.connected.Load(),
		Outbox:           outbox,
		Unconfirmed:      int(m.unconfirmed.Load()),
		Published:        m.published.Load(),
		Retried:          m.retried.Load(),
		Nacked:           m.nacked.Load(),
		DroppedSnapshots: m.droppedSnapshots.Load(),
		DroppedTelemetry: m.droppedTelemetry.Load(),
		Lost:             m.lost.Load(),
		Abandoned:        m.abandoned.Load(),
		EncodeErrors:     m.encodeErrors.Load(),
		Connects:         m.connects.Load(),
		ConnectionErrors: m.connectionErrors.Load(),
	}
}
