package bus

import (
	"sync"
	"time"
)

// entry is one event on its way to the broker. seq orders every event of the process: the outbox hands entries
// out in seq order, which keeps the order of each room.
type entry struct {
	seq   uint64
	at    time.Time
	event Event
	key   string

	// Owned by the publisher goroutine.
	id     string    // eventId, set with body
	body   []byte    // encoded once, reused by retries
	tag    uint64    // delivery tag on the current channel
	sentAt time.Time // when it was last sent
	sends  int
}

// fifo is a queue of entries. Popped slots are cleared, so the outbox holds no reference to a sent event.
type fifo struct {
	items []*entry
	head  int
}

func (q *fifo) len() int { return len(q.items) - q.head }

func (q *fifo) push(e *entry) { q.items = append(q.items, e) }

func (q *fifo) front() *entry {
	if q.len() == 0 {
		return nil
	}
	return q.items[q.head]
}

// compactAfter is the number of popped slots past which the live part of a queue is moved to the front.
const compactAfter = 1024

func (q *fifo) pop() *entry {
	if q.len() == 0 {
		return nil
	}
	e := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	switch {
	case q.head == len(q.items):
		// Empty: forget a backing array grown during an outage.
		q.items, q.head = nil, 0
	case q.head >= compactAfter && q.head*2 >= len(q.items):
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	return e
}

// dropReport is what the outbox dropped since the last report.
type dropReport struct {
	// byKey counts the dropped events per routing key.
	byKey map[string]uint64
	// lost are membership events dropped past the hard limit (at most maxLostReported; byKey counts them all).
	lost []Event
}

// maxLostReported bounds the lost events kept for one report's log lines.
const maxLostReported = 100

// outbox is the bounded queue between Publish and the publisher goroutine. One FIFO per class, with a shared
// sequence number, lets a full outbox drop the oldest event of the lowest class in constant time while the goroutine
// still takes every event in publish order.
type outbox struct {
	limit, hardLimit int
	metrics          *metrics

	mu      sync.Mutex
	queues  [numClasses]fifo
	size    int
	nextSeq uint64
	closed  bool
	drops   dropReport

	// ready holds a token when events may be waiting: the publisher goroutine selects on it.
	ready chan struct{}
}

func newOutbox(limit, hardLimit int, m *metrics) *outbox {
	return &outbox{
		limit:     limit,
		hardLimit: hardLimit,
		metrics:   m,
		drops:     dropReport{byKey: make(map[string]uint64)},
		ready:     make(chan struct{}, 1),
	}
}

// push queues e, first dropping an older event of a lower or equal class when the outbox is full. It never blocks.
func (o *outbox) push(e Event, now time.Time) {
	key := e.RoutingKey()
	c := classOf(key)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		o.metrics.abandoned.Add(1)
		return
	}
	if o.size >= o.limit && !o.makeRoom(c) {
		o.drop(e, key, c)
		return
	}
	o.queues[c].push(&entry{seq: o.nextSeq, at: now, event: e, key: key})
	o.nextSeq++
	o.size++
	select {
	case o.ready <- struct{}{}:
	default:
	}
}

// makeRoom drops the oldest event of the lowest class up to c, and reports whether an event of class c may be
// queued. A membership event may exceed the limit, up to the hard limit.
func (o *outbox) makeRoom(c class) bool {
	for victim := classSnapshot; victim <= c && victim < classMembership; victim++ {
		if old := o.queues[victim].pop(); old != nil {
			o.size--
			o.drop(old.event, old.key, victim)
			return true
		}
	}
	return c == classMembership && o.size < o.hardLimit
}

// drop counts e as dropped. Called with o.mu held; the log lines are written later by the drop reporter, so that
// no I/O happens under the caller's room lock.
func (o *outbox) drop(e Event, key string, c class) {
	o.drops.byKey[key]++
	switch c {
	case classSnapshot:
		o.metrics.droppedSnapshots.Add(1)
	case classTelemetry:
		o.metrics.droppedTelemetry.Add(1)
	default:
		o.metrics.lost.Add(1)
		if len(o.drops.lost) < maxLostReported {
			o.drops.lost = append(o.drops.lost, e)
		}
	}
}

// pop takes the oldest event, or nil when the outbox is empty.
func (o *outbox) pop() *entry {
	o.mu.Lock()
	defer o.mu.Unlock()
	var oldest *fifo
	for i := range o.queues {
		q := &o.queues[i]
		if f := q.front(); f != nil && (oldest == nil || f.seq < oldest.front().seq) {
			oldest = q
		}
	}
	if oldest == nil {
		return nil
	}
	o.size--
	return oldest.pop()
}

func (o *outbox) len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.size
}

// takeDrops returns what was dropped since the last call.
func (o *outbox) takeDrops() dropReport {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.drops
	o.drops = dropReport{byKey: make(map[string]uint64)}
	return r
}

// close refuses further events (they count as abandoned) and abandons those still queued; it returns their number.
func (o *outbox) close() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closed = true
	n := o.size
	for i := range o.queues {
		o.queues[i] = fifo{}
	}
	o.size = 0
	o.metrics.abandoned.Add(uint64(n))
	return n
}
