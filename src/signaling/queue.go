package signaling

import "sync"

// refusal says why a message was not queued; the connection is then dropped as a slow reader.
type refusal int

const (
	queued refusal = iota
	// refusedClosed: the queue is closed (the connection ends) or already overflowed.
	refusedClosed
	// refusedFull: the queue holds SendQueueLimit messages or SendQueueBytes bytes.
	refusedFull
	// refusedBudget: the process holds QueuedBytesTotal bytes and this connection is behind.
	refusedBudget
)

// behindBytes is what a connection's queue holds when it counts as behind: past the process's budget, a message for
// it is refused (and it is dropped), while one for a connection that keeps up still goes. A client that reads has
// far less waiting: the writer takes everything at each wake-up.
const behindBytes = 64 << 10

// outQueue is a connection's bounded send queue. push never blocks: when the queue is full it refuses the message
// and remembers the overflow, and the connection is closed as a slow reader. Its slice is allocated on first use, so
// an idle connection holds no buffer. It counts the bytes it holds, against its own bound and the process's budget.
type outQueue struct {
	mu        sync.Mutex
	items     []*outMsg
	bytes     int
	limit     int
	byteLimit int
	budget    *byteBudget
	overflow  bool
	closed    bool
	// notify has room for one wake-up: the writer drains everything on each.
	notify chan struct{}
}

func newOutQueue(limit, byteLimit int, budget *byteBudget) *outQueue {
	return &outQueue{limit: limit, byteLimit: byteLimit, budget: budget, notify: make(chan struct{}, 1)}
}

// push appends m, or says why it did not.
func (q *outQueue) push(m *outMsg) refusal {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.overflow {
		return refusedClosed
	}
	n := m.charge
	if len(q.items) >= q.limit || q.bytes+n > q.byteLimit {
		q.overflow = true
		return refusedFull
	}
	if !q.budget.take(n, q.bytes < behindBytes) {
		q.overflow = true
		return refusedBudget
	}
	q.items = append(q.items, m)
	q.bytes += n
	select {
	case q.notify <- struct{}{}:
	default:
	}
	return queued
}

// take moves every queued message into dst (reusing its storage) and returns it. The bytes leave the queue's
// count: a writer holds at most one queue's worth while it writes.
func (q *outQueue) take(dst []*outMsg) []*outMsg {
	q.mu.Lock()
	defer q.mu.Unlock()
	dst = append(dst[:0], q.items...)
	q.release()
	clear(q.items)
	q.items = q.items[:0]
	if cap(q.items) > 64 {
		// Do not keep a burst's large array alive on an idle connection.
		q.items = nil
	}
	return dst
}

// close refuses further messages and returns those never taken, for replay on another connection; the returned
// slice is the queue's own, which it no longer uses.
func (q *outQueue) close() []*outMsg {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.release()
	rest := q.items
	q.items = nil
	return rest
}

// release gives the bytes held back to the budget. Called with q.mu held.
func (q *outQueue) release() {
	q.budget.give(q.bytes)
	q.bytes = 0
}
