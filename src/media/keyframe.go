package media

import (
	"math"
	"sync/atomic"
	"time"
)

// keyframeRequester throttles the keyframe requests (PLI or FIR) sent to one publisher's video: listeners that
// start, listeners that lost a frame, and the server's own loss recovery all ask for one, often at the same moment,
// and one request serves them all. A request inside the interval is remembered (one pending flag, whatever the
// number of askers) and sent when the interval ends. Safe for concurrent use.
type keyframeRequester struct {
	interval time.Duration
	last     atomic.Int64 // monotonic time of the last request sent, in nanoseconds
	pending  atomic.Bool
	// firSeq is the FIR command sequence number (RFC 5104 4.3.1.2): one more for each new request.
	firSeq atomic.Uint32
}

func newKeyframeRequester(interval time.Duration) *keyframeRequester {
	k := &keyframeRequester{interval: interval}
	k.last.Store(math.MinInt64 / 2)
	return k
}

// ask reports whether a request must be sent now; otherwise it is left pending for due.
func (k *keyframeRequester) ask(now time.Duration) bool {
	for {
		last := k.last.Load()
		if int64(now)-last < int64(k.interval) {
			k.pending.Store(true)
			return false
		}
		if k.last.CompareAndSwap(last, int64(now)) {
			k.pending.Store(false)
			return true
		}
	}
}

// due reports whether a pending request must be sent now.
func (k *keyframeRequester) due(now time.Duration) bool {
	return k.pending.Load() && k.ask(now)
}

// nextFIRSequence returns the sequence number of a new FIR.
func (k *keyframeRequester) nextFIRSequence() uint8 {
	return uint8(k.firSeq.Add(1))
}
