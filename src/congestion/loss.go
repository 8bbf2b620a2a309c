package congestion

import (
	"math"
	"time"
)

// Loss-based control (libwebrtc's SendSideBandwidthEstimation, draft-ietf-rmcat-gcc-02 section 6): loss that the
// delay-based estimate did not prevent, such as a shallow buffer or a lossy radio link, caps the estimate.
const (
	// Below lossLow the cap grows; above lossHigh it drops by half the loss; in between it holds. A few percent of
	// loss is what NACK and the codecs absorb; over 10 % the video visibly suffers.
	lossLow  = 0.02
	lossHigh = 0.10
	// lossMinPackets: a fraction over fewer packets is noise.
	lossMinPackets = 20
	// lossDecreaseInterval plus a round trip separates two decreases, so that the effect of one is seen first.
	lossDecreaseInterval = 300 * time.Millisecond
	// The cap grows 8 % a second plus 1 kbit/s, as the delay-based increase far from capacity does.
	lossIncreasePerSecond = 1.08
	lossIncreaseExtra     = 1000.0
)

// lossControl keeps the loss-based cap, in bit/s; 0 means that loss does not limit the estimate.
type lossControl struct {
	lost, expected int
	fraction       float64
	lastEval       time.Duration
	evaluated      bool
	lastDecrease   time.Duration
	decreased      bool
	cap            float64
}

// add counts the first reports of a feedback: packets newly lost, newly received, and received after a loss report
// (which take back that loss).
func (l *lossControl) add(lost, received, recovered int) {
	l.expected += lost + received - recovered
	l.lost = max(l.lost+lost-recovered, 0)
}

// update evaluates the loss once enough packets were reported. target is the current final estimate, delayBased the
// delay-based one, floor the lowest a decrease may go (the configured minimum, or a share of the acknowledged
// bitrate), rtt the round trip.
func (l *lossControl) update(now time.Duration, target, delayBased, floor float64, rtt time.Duration) {
	if l.expected < lossMinPackets {
		return
	}
	l.fraction = float64(l.lost) / float64(l.expected)
	l.lost, l.expected = 0, 0
	since := time.Duration(0)
	if l.evaluated {
		since = max(now-l.lastEval, 0)
	}
	l.lastEval, l.evaluated = now, true
	switch {
	case l.fraction > lossHigh:
		if l.decreased && now-l.lastDecrease < lossDecreaseInterval+rtt {
			return
		}
		base := target
		if l.cap > 0 {
			base = min(l.cap, target)
		}
		l.cap = max(base*(1-l.fraction/2), floor)
		l.lastDecrease, l.decreased = now, true
	case l.fraction < lossLow && l.cap > 0:
		dt := min(since.Seconds(), 1)
		l.cap = l.cap*math.Pow(lossIncreasePerSecond, dt) + lossIncreaseExtra*dt
		if l.cap >= delayBased {
			l.cap = 0
		}
	}
}

// raise lifts the cap to at least bps (a successful probe shows the path carries it).
func (l *lossControl) raise(bps float64) {
	if l.cap > 0 && l.cap < bps {
		l.cap = bps
	}
}
