package congestion

import (
	"math"
	"time"
)

// Trendline estimator of the delay gradient (libwebrtc's TrendlineEstimator, which replaced the Kalman filter of
// draft-ietf-rmcat-gcc-02): the slope of the smoothed accumulated one-way delay variation over the last groups.
// A positive slope means queues are growing on the path.
const (
	// trendlineWindow groups feed the linear fit: about 100 ms to 1 s of traffic, long enough to see through the
	// noise of one frame, short enough to react within a few hundred milliseconds.
	trendlineWindow = 20
	// trendlineSmoothing is the weight of the past in the exponential smoothing of the accumulated delay.
	trendlineSmoothing = 0.9
	// trendlineGain and trendlineMaxDeltas scale the slope into the detector's unit: the expected delay build-up,
	// in ms, over up to 60 groups.
	trendlineGain      = 4.0
	trendlineMaxDeltas = 60
	deltaCounterMax    = 1000
)

// Usage is the delay-based detector's verdict about the path.
type Usage int8

// Verdicts of the overuse detector.
const (
	UsageNormal Usage = iota
	// UsageUnder: queues are draining; the rate holds so that they can empty.
	UsageUnder
	// UsageOver: queues are building; the rate must decrease.
	UsageOver
)

func (u Usage) String() string {
	switch u {
	case UsageUnder:
		return "underusing"
	case UsageOver:
		return "overusing"
	default:
		return "normal"
	}
}

type trendPoint struct{ x, y float64 } // arrival (ms since the first group), smoothed delay (ms)

type trendline struct {
	points      [trendlineWindow]trendPoint
	n, next     int
	numDeltas   int
	started     bool
	first       time.Duration
	accumulated float64
	smoothed    float64
	prevTrend   float64
	detector    overuseDetector
}

func newTrendline() trendline {
	return trendline{detector: newOveruseDetector()}
}

// update takes the deltas between two groups, the later one arriving at arrival, and returns the verdict.
func (t *trendline) update(sendDelta, arrivalDelta, arrival time.Duration) Usage {
	t.numDeltas = min(t.numDeltas+1, deltaCounterMax)
	if !t.started {
		t.started, t.first = true, arrival
	}
	t.accumulated += milliseconds(arrivalDelta - sendDelta)
	t.smoothed = trendlineSmoothing*t.smoothed + (1-trendlineSmoothing)*t.accumulated
	t.points[t.next] = trendPoint{x: milliseconds(arrival - t.first), y: t.smoothed}
	t.next = (t.next + 1) % trendlineWindow
	t.n = min(t.n+1, trendlineWindow)

	trend := t.prevTrend
	if t.n == trendlineWindow {
		if slope, ok := fitSlope(t.points[:]); ok {
			trend = slope
		}
	}
	u := t.detector.detect(trend, t.prevTrend, sendDelta, arrival, t.numDeltas)
	t.prevTrend = trend
	return u
}

// fitSlope is the least-squares slope of y over x; false when the xs do not spread.
func fitSlope(points []trendPoint) (float64, bool) {
	var sumX, sumY float64
	for _, p := range points {
		sumX += p.x
		sumY += p.y
	}
	meanX, meanY := sumX/float64(len(points)), sumY/float64(len(points))
	var num, den float64
	for _, p := range points {
		num += (p.x - meanX) * (p.y - meanY)
		den += (p.x - meanX) * (p.x - meanX)
	}
	if den == 0 {
		return 0, false
	}
	return num / den, true
}

// Overuse detector with an adaptive threshold (draft-ietf-rmcat-gcc-02 sections 5.4 and 5.5, with libwebrtc's
// constants for the trendline).
const (
	initialThreshold = 12.5 // ms
	minThreshold     = 6.0
	maxThreshold     = 600.0
	// thresholdUp and thresholdDown are libwebrtc's gains for the trendline (the draft's 0.01 and 0.00018 are for
	// its Kalman filter's scale): the threshold rises towards a trend above it, so that the standing queues of
	// competing TCP flows do not starve the estimate, and falls back towards smaller trends to regain sensitivity.
	thresholdUp   = 0.0087
	thresholdDown = 0.039
	// maxAdaptOffset: a trend this far above the threshold is a real capacity drop, not noise to adapt to.
	maxAdaptOffset = 15.0
	// overusingTime: the trend must stay above the threshold this long (in send time), over at least two groups,
	// before overuse is signalled.
	overusingTime         = 10.0 // ms
	maxThresholdTimeDelta = 100 * time.Millisecond
)

type overuseDetector struct {
	threshold     float64
	lastUpdate    time.Duration
	updated       bool
	timeOverusing float64 // ms, -1 when the trend is not above the threshold
	overuseCount  int
	usage         Usage
}

func newOveruseDetector() overuseDetector {
	return overuseDetector{threshold: initialThreshold, timeOverusing: -1}
}

func (d *overuseDetector) detect(trend, prevTrend float64, sendDelta, now time.Duration, numDeltas int) Usage {
	if numDeltas < 2 {
		return UsageNormal
	}
	modified := float64(min(numDeltas, trendlineMaxDeltas)) * trend * trendlineGain
	switch {
	case modified > d.threshold:
		if d.timeOverusing < 0 {
			// The overuse began somewhere within this delta.
			d.timeOverusing = milliseconds(sendDelta) / 2
		} else {
			d.timeOverusing += milliseconds(sendDelta)
		}
		d.overuseCount++
		if d.timeOverusing > overusingTime && d.overuseCount > 1 && trend >= prevTrend {
			d.timeOverusing, d.overuseCount = 0, 0
			d.usage = UsageOver
		}
	case modified < -d.threshold:
		d.timeOverusing, d.overuseCount = -1, 0
		d.usage = UsageUnder
	default:
		d.timeOverusing, d.overuseCount = -1, 0
		d.usage = UsageNormal
	}
	d.adapt(modified, now)
	return d.usage
}

func (d *overuseDetector) adapt(modified float64, now time.Duration) {
	if !d.updated {
		d.updated, d.lastUpdate = true, now
	}
	abs := math.Abs(modified)
	if abs > d.threshold+maxAdaptOffset {
		d.lastUpdate = now
		return
	}
	k := thresholdUp
	if abs < d.threshold {
		k = thresholdDown
	}
	dt := milliseconds(min(max(now-d.lastUpdate, 0), maxThresholdTimeDelta))
	d.threshold += k * (abs - d.threshold) * dt
	d.threshold = min(max(d.threshold, minThreshold), maxThreshold)
	d.lastUpdate = now
}

func milliseconds(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
