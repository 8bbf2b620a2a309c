package signaling

import "sync/atomic"

// byteBudget is the process-wide budget of the bytes held in send queues and replay lists (QueuedBytesTotal).
type byteBudget struct {
	limit int64
	used  atomic.Int64
}

func newByteBudget(limit int) *byteBudget {
	return &byteBudget{limit: int64(limit)}
}

// take reserves n bytes. Past the limit it reserves nothing and reports false, unless force is set: a connection
// that is not behind (see behindBytes) still gets its message, so the budget drops those that hold bytes.
func (b *byteBudget) take(n int, force bool) bool {
	if b.used.Add(int64(n)) > b.limit && !force {
		b.used.Add(-int64(n))
		return false
	}
	return true
}

// give returns n bytes reserved by take.
func (b *byteBudget) give(n int) {
	b.used.Add(-int64(n))
}

func (b *byteBudget) load() int64 { return b.used.Load() }
