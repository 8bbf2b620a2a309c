package media

import (
	"math"
	"sync/atomic"
	"time"
)

// estimateMaxAge is how long a receiver's REMB counts: browsers send one about every second, so five missed ones
// mean the receiver's estimate is gone.
const estimateMaxAge = 5 * time.Second

// estimator is what the server knows of the path to one receiver: the publisher's REMB reads it now, the choice of
// a transcoded tier will. Today's is built from the receiver's own reports (REMB for the bitrate, receiver reports
// for the loss); a transport-wide congestion control estimator plugs in behind the same interface, leaving its
// readers alone. Its shape is that of congestion.Estimate (bitrate with ok, loss of the last report), so that
// package's estimates can take its place. Safe for concurrent use.
type estimator interface {
	// bitrate is what the path to the receiver carries at now, in bit/s; ok is false before the first estimate and
	// once the last one is too old to trust.
	bitrate(now time.Duration) (bps uint64, ok bool)
	// loss is the fraction of the packets sent to the receiver that its last report said lost, from 0 to 1.
	loss() float64
}

// reportEstimator is the estimate from a receiver's reports: its latest REMB, for estimateMaxAge, and the fraction
// lost in its latest receiver report about its video. The receiver's goroutine feeds it, any goroutine reads it.
type reportEstimator struct {
	bps atomic.Uint64
	// at is the monotonic time of the last REMB plus one nanosecond, so that 0 means none.
	at   atomic.Int64
	lost atomic.Uint64 // float64 bits
}

var _ estimator = (*reportEstimator)(nil)

func newReportEstimator() *reportEstimator { return &reportEstimator{} }

// onREMB records a REMB of bps received at now.
func (e *reportEstimator) onREMB(bps uint64, now time.Duration) {
	e.bps.Store(bps)
	e.at.Store(int64(now) + 1)
}

// onReceiverReport records the fraction lost (in 1/256) of a report block about the video sent to the receiver.
func (e *reportEstimator) onReceiverReport(fractionLost uint8) {
	e.lost.Store(math.Float64bits(float64(fractionLost) / 256))
}

func (e *reportEstimator) bitrate(now time.Duration) (uint64, bool) {
	at := e.at.Load()
	if at == 0 || now-time.Duration(at-1) > estimateMaxAge {
		return 0, false
	}
	return e.bps.Load(), true
}

func (e *reportEstimator) loss() float64 { return math.Float64frombits(e.lost.Load()) }
