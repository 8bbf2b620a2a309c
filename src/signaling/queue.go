package signaling

import "sync"

// outQueue is a connection's bounded send queue. push never blocks: when the queue is full it refuses the message
// and remembers the overflow, and the connection is closed as a slow reader. Its slice is allocated on first use, so
// an idle connection holds no buffer.
type outQueue struct {
	mu       sync.Mutex
	items    []*outMsg
	limit    int
	overflow bool
	closed   bool
	// notify has room for one wake-up: the writer drains everything on each.
	notify chan struct{}
}

func newOutQueue(limit int) *outQueue {
	return &outQueue{limit: limit, notify: make(chan struct{}, 1)}
}

// push appends m, or reports false when the queue is closed or full.
func (q *outQueue) push(m *outMsg) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.overflow {
		return false
	}
	if len(q.items) >= q.limit {
		q.overflow = true
		return false
	}
	q.items = append(q.items, m)
	select {
	case q.notify <- struct{}{}:
	default:
	}
	return true
}

// take moves every queued message into dst (reusing its storage) and returns it.
func (q *outQueue) take(dst []*outMsg) []*outMsg {
	q.mu.Lock()
	defer q.mu.Unlock()
	dst = append(dst[:0], q.items...)
	clear(q.items)
	q.items = q.items[:0]
	if cap(q.items) > 64 {
		// Do not keep a burst's large array alive on an idle connection.
		q.items = nil
	}
	return dst
}

// close refuses further messages and returns those never taken, for replay on another connection.
func (q *outQueue) close() []*outMsg {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	rest := q.items
	q.items = nil
	return rest
}
