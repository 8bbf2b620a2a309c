package congestion

import (
	"math"
	"time"
)

// AIMD rate control of the delay-based estimate (draft-ietf-rmcat-gcc-02 section 5.5, with libwebrtc's
// AimdRateControl for the constants).
const (
	// backoff: on overuse the rate drops to 85 % of what the receiver acknowledged, just below the path's
	// capacity, so that the queue that caused the overuse drains.
	backoff = 0.85
	// increasePerSecond: far from the link's known capacity the rate grows 8 % a second.
	increasePerSecond = 1.08
	// minMultiplicativeIncrease and minAdditiveRate keep the increase moving at very low rates, in bit/s and bit/s
	// per second.
	minMultiplicativeIncrease = 1000.0
	minAdditiveRate           = 4000.0
	// Near the link's capacity the rate grows by about one packet per response time: the round trip plus the
	// detector's 100 ms, doubled as libwebrtc does, over frames of 30 a second cut into packets of 1200 bytes.
	detectorResponse = 100 * time.Millisecond
	assumedFrameRate = 30.0
	assumedPacketMax = 1200.0
	// throughputFactor and throughputExtra cap the estimate at 1.5 times the acknowledged bitrate plus 10 kbit/s:
	// growing far above what the receiver is seen to get would only be a guess.
	throughputFactor = 1.5
	throughputExtra  = 10_000.0
	// Overuse lowers the rate at most once per round trip (clamped to [10 ms, 200 ms]) unless the acknowledged
	// bitrate falls below half the estimate; before any acknowledged bitrate, it halves every 200 ms.
	minReduceInterval     = 10 * time.Millisecond
	maxReduceInterval     = 200 * time.Millisecond
	initialReduceInterval = 200 * time.Millisecond
	defaultRTT            = 200 * time.Millisecond
)

type rateState int8

const (
	rateHold rateState = iota
	rateIncrease
	rateDecrease
)

// rateControl is the AIMD controller: it turns the detector's verdicts and the acknowledged bitrate into the
// delay-based estimate, in bit/s.
type rateControl struct {
	min, max     float64
	current      float64
	latestAcked  float64
	state        rateState
	lastChange   time.Duration
	changed      bool
	lastDecrease time.Duration
	decreased    bool
	rtt          time.Duration
	link         linkCapacity
}

func newRateControl(lo, start, hi float64) rateControl {
	return rateControl{min: lo, max: hi, current: start, latestAcked: start, rtt: defaultRTT}
}

// update applies a verdict at now; acked is the acknowledged bitrate, 0 when not measured yet.
func (c *rateControl) update(u Usage, acked float64, now time.Duration) {
	if acked > 0 {
		c.latestAcked = acked
	}
	throughput := c.latestAcked
	switch u {
	case UsageNormal:
		if c.state == rateHold {
			c.state, c.lastChange, c.changed = rateIncrease, now, true
		}
	case UsageOver:
		c.state = rateDecrease
	case UsageUnder:
		c.state = rateHold
	}
	switch c.state {
	case rateIncrease:
		c.increase(throughput, now)
	case rateDecrease:
		c.decrease(throughput, now)
	}
}

func (c *rateControl) increase(throughput float64, now time.Duration) {
	if throughput > c.link.upperBound() {
		c.link.reset()
	}
	limit := throughputFactor*throughput + throughputExtra
	if c.current < limit {
		var next float64
		if c.link.has {
			// Close to a capacity measured before: grow by about a packet per response time.
			next = c.current + c.nearMaxRate()*c.sinceChange(now).Seconds()
		} else {
			alpha := math.Pow(increasePerSecond, min(c.sinceChange(now).Seconds(), 1))
			next = c.current + max(c.current*(alpha-1), minMultiplicativeIncrease)
		}
		c.current = c.clamp(min(next, limit))
	}
	c.lastChange, c.changed = now, true
}

func (c *rateControl) decrease(throughput float64, now time.Duration) {
	next := backoff * throughput
	if next > c.current && c.link.has {
		next = backoff * c.link.estimate
	}
	if next < c.current {
		c.current = c.clamp(next)
	}
	if throughput < c.link.lowerBound() {
		c.link.reset()
	}
	c.link.update(throughput, linkAlphaOveruse)
	c.state = rateHold
	c.lastChange, c.changed = now, true
	c.lastDecrease, c.decreased = now, true
}

// sinceChange is the time since the last change, 0 before the first.
func (c *rateControl) sinceChange(now time.Duration) time.Duration {
	if !c.changed {
		return 0
	}
	return max(now-c.lastChange, 0)
}

// nearMaxRate is the additive increase in bit/s per second: one average packet per response time.
func (c *rateControl) nearMaxRate() float64 {
	frameBytes := c.current / 8 / assumedFrameRate
	packets := math.Ceil(frameBytes / assumedPacketMax)
	packetBits := frameBytes / max(packets, 1) * 8
	response := 2 * (c.rtt + detectorResponse)
	return max(minAdditiveRate, packetBits/response.Seconds())
}

// timeToReduceFurther reports whether an overuse may lower the rate again at now.
func (c *rateControl) timeToReduceFurther(now time.Duration, acked float64) bool {
	interval := min(max(c.rtt, minReduceInterval), maxReduceInterval)
	if !c.changed || now-c.lastChange >= interval {
		return true
	}
	return acked < c.current/2
}

// initialTimeToReduce reports whether an overuse seen before any acknowledged bitrate may halve the rate.
func (c *rateControl) initialTimeToReduce(now time.Duration) bool {
	return !c.decreased || now-c.lastDecrease >= initialReduceInterval
}

// setEstimate replaces the estimate (a probe result, or a halving before any acknowledged bitrate).
func (c *rateControl) setEstimate(bps float64, now time.Duration) {
	prev := c.current
	c.current = c.clamp(bps)
	c.lastChange, c.changed = now, true
	if c.current < prev {
		c.lastDecrease, c.decreased = now, true
	}
}

func (c *rateControl) clamp(bps float64) float64 { return min(max(bps, c.min), c.max) }

// Link capacity estimate: the acknowledged bitrates at which overuse was detected, averaged, with their deviation.
// While the throughput stays within three deviations of it the increase is additive; outside, it is reset and the
// increase is multiplicative again.
const (
	linkAlphaOveruse = 0.05
	linkAlphaProbe   = 0.5
	// The normalized variance is clamped to [0.4, 2.5]: a deviation of 14 to 35 kbit/s at 500 kbit/s.
	minLinkVariance = 0.4
	maxLinkVariance = 2.5
)

type linkCapacity struct {
	has      bool
	estimate float64 // bit/s
	variance float64 // normalized, in kbit/s
}

func (l *linkCapacity) update(sample, alpha float64) {
	sampleKbps := sample / 1000
	est := sampleKbps
	if l.has {
		est = (1-alpha)*l.estimate/1000 + alpha*sampleKbps
	}
	norm := max(est, 1)
	err := est - sampleKbps
	l.variance = (1-alpha)*l.variance + alpha*err*err/norm
	l.variance = min(max(l.variance, minLinkVariance), maxLinkVariance)
	l.estimate, l.has = est*1000, true
}

func (l *linkCapacity) deviation() float64 { return math.Sqrt(l.variance*l.estimate/1000) * 1000 }

func (l *linkCapacity) upperBound() float64 {
	if !l.has {
		return math.Inf(1)
	}
	return l.estimate + 3*l.deviation()
}

func (l *linkCapacity) lowerBound() float64 {
	if !l.has {
		return 0
	}
	return max(0, l.estimate-3*l.deviation())
}

func (l *linkCapacity) reset() { l.has = false }
