package congestion

import (
	"math"
	"sync/atomic"
	"time"
)

// Estimate is what a per-receiver policy reads to choose what to send a receiver: the bitrate the path to it
// carries and the loss on it. REMBEstimate and SendSide implement it; both are safe for concurrent use, so the
// policy reads them from any goroutine.
type Estimate interface {
	// Bitrate is the estimated bitrate, in bit/s, that the path to the receiver carries at now (a monotonic time,
	// the clock of the calls that fed the estimate). ok is false before the first estimate and once the last one is
	// too old to trust.
	Bitrate(now time.Duration) (bps uint64, ok bool)
	// Loss is the fraction of packets lost on the path over the last report, from 0 to 1.
	Loss() float64
}

// DefaultREMBMaxAge is how long a REMB counts: browsers send one about every second, so five missed ones mean the
// receiver's estimate is gone.
const DefaultREMBMaxAge = 5 * time.Second

// REMBEstimate is the Estimate of a receiver that did not negotiate transport-wide congestion control: its browser
// estimates on the receive side and reports a REMB (draft-alvestrand-rmcat-remb), and its receiver reports give
// the loss. Safe for concurrent use.
type REMBEstimate struct {
	maxAge time.Duration
	bps    atomic.Uint64
	// at is the time of the last REMB plus one nanosecond, so that 0 means none.
	at   atomic.Int64
	loss atomic.Uint64 // float64 bits
}

// NewREMBEstimate returns an estimate with DefaultREMBMaxAge.
func NewREMBEstimate() *REMBEstimate {
	return &REMBEstimate{maxAge: DefaultREMBMaxAge}
}

// NewREMBEstimateWith returns an estimate whose REMBs count for maxAge (> 0).
func NewREMBEstimateWith(maxAge time.Duration) (*REMBEstimate, error) {
	if maxAge <= 0 {
		return nil, badConfig("REMB max age %v is not positive", maxAge)
	}
	return &REMBEstimate{maxAge: maxAge}, nil
}

// OnREMB records the receiver's REMB bitrate received at now.
func (r *REMBEstimate) OnREMB(bps uint64, now time.Duration) {
	r.bps.Store(bps)
	r.at.Store(int64(now) + 1)
}

// OnReceiverReport records the fraction lost of a report block about the stream sent to the receiver (RFC 3550:
// the lost fraction since the previous report, in 1/256).
func (r *REMBEstimate) OnReceiverReport(fractionLost uint8) {
	r.loss.Store(math.Float64bits(float64(fractionLost) / 256))
}

// Bitrate is the last REMB, while it is younger than the max age.
func (r *REMBEstimate) Bitrate(now time.Duration) (uint64, bool) {
	at := r.at.Load()
	if at == 0 || now-time.Duration(at-1) > r.maxAge {
		return 0, false
	}
	return r.bps.Load(), true
}

// Loss is the fraction lost of the last receiver report.
func (r *REMBEstimate) Loss() float64 {
	return math.Float64frombits(r.loss.Load())
}
