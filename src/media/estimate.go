package media

import (
	"sync/atomic"
	"time"
)

// estimateMaxAge is how long a receiver's report counts for its estimate: Chromium sends REMB about once a
// second while its estimate moves, less often when it is steady.
const estimateMaxAge = 5 * time.Second

// estimator is what the server knows of one receiver's downlink: the publisher's REMB reads it now, the choice of
// a transcoded tier will. Today's is built from the receiver's own reports (REMB for the bitrate, receiver reports
// for the loss); a transport-wide congestion control estimator plugs in behind the same interface, leaving its
// readers alone. Safe for concurrent use.
type estimator interface {
	// bitrate is what the receiver's downlink carries, in bit/s; ok is false when nothing recent is known.
	bitrate(now time.Duration) (bps uint64, ok bool)
	// loss is the fraction of the packets sent to the receiver that it reported lost lately, out of 256; ok is
	// false when nothing recent is known.
	loss(now time.Duration) (fraction uint8, ok bool)
}

// reportEstimator is the estimate from a receiver's reports: its latest REMB, and the fraction lost in its latest
// receiver report about its video, each for estimateMaxAge. The receiver's goroutine feeds it, any goroutine
// reads it.
type reportEstimator struct {
	remb, lost     atomic.Uint64
	rembAt, lostAt atomic.Int64 // monotonic times, 0 never
}

var _ estimator = (*reportEstimator)(nil)

func newReportEstimator() *reportEstimator { return &reportEstimator{} }

// onREMB records a REMB of bps received at now.
func (e *reportEstimator) onREMB(bps uint64, now time.Duration) {
	e.remb.Store(bps)
	e.rembAt.Store(int64(now))
}

// onLoss records the fraction lost of a receiver report received at now.
func (e *reportEstimator) onLoss(fraction uint8, now time.Duration) {
	e.lost.Store(uint64(fraction))
	e.lostAt.Store(int64(now))
}

func (e *reportEstimator) bitrate(now time.Duration) (uint64, bool) {
	if !fresh(e.rembAt.Load(), now) {
		return 0, false
	}
	return e.remb.Load(), true
}

func (e *reportEstimator) loss(now time.Duration) (uint8, bool) {
	if !fresh(e.lostAt.Load(), now) {
		return 0, false
	}
	return uint8(e.lost.Load()), true
}

// fresh reports whether a report received at the monotonic time at (0: never) still counts at now.
func fresh(at int64, now time.Duration) bool {
	return at != 0 && now-time.Duration(at) <= estimateMaxAge
}
