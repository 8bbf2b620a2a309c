package congestion

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
)

// Defaults of SendSideConfig.
const (
	// DefaultMinBitrate is the floor of the estimate: audio and a thumbnail of video still fit.
	DefaultMinBitrate = 50_000
	// DefaultStartBitrate is the estimate before any feedback, libwebrtc's; the initial probes correct it within
	// a few hundred milliseconds.
	DefaultStartBitrate = 300_000
	// DefaultMaxBitrate is the ceiling of the estimate and of probing: above the best quality the server sends, so
	// that the estimate can show headroom, without probing a receiver's link for nothing.
	DefaultMaxBitrate = 5_000_000
	// DefaultSendHistory is how many sent packets are remembered for their feedback (32 bytes each): 6 s of a
	// 2.5 Mbit/s video with its audio, far more than a round trip and a feedback interval.
	DefaultSendHistory = 2048
	// DefaultMaxFeedbackAge: an estimate without feedback for 5 s is no longer trusted (as a REMB is not).
	DefaultMaxFeedbackAge = DefaultREMBMaxAge
	// DefaultProbeInterval: while no congestion was seen for this long and the estimate is below the maximum, a
	// cluster probes for twice the estimate (libwebrtc probes as often while the sender is application-limited).
	DefaultProbeInterval = 5 * time.Second
	// initialProbeFactors: the first clusters probe at 3 and 6 times the start bitrate, so that a fast path is
	// found in a few hundred milliseconds instead of the tens of seconds the 8 %-a-second increase would take.
	initialProbeLow  = 3
	initialProbeHigh = 6
	// probeFurtherRatio and probeStep: a result above 70 % of its target suggests more headroom; the next cluster
	// probes at twice the result.
	probeFurtherRatio = 0.7
	probeStep         = 2
	// rttSmoothing weighs a new round-trip sample taken from the feedback.
	rttSmoothing = 0.125
	// probeResultValidity: a probe result counts as a throughput measurement for as long as the acknowledged
	// bitrate's window takes to catch up with it, twice over.
	probeResultValidity = 2 * ackedWindow
	// After an overuse, a probe raises the estimate to at most ceilingRaise times the ceiling, the acknowledged
	// media bitrate the overuse was seen at, until the acknowledged media bitrate has stayed above ceilingLift
	// times it for ceilingLiftAfter (the path grew; a probe looks at once for how much). A short cluster goes
	// through a token bucket (a shaper's burst, 10 KiB on the browser tests' links) at the line rate whatever the
	// capacity behind it, so its result alone cannot tell a grown path from a full one; the media, which the raise
	// lets grow, can, once it has lasted longer than a bucket can fake (10 KiB over 2 s is 41 kbit/s, 8 % of
	// 500 kbit/s). Probes are left out of that acknowledged bitrate: the bucket carries them above the capacity.
	// An overuse seen at less than ceilingDrop times the ceiling lowers it (the path shrank); one above, while
	// the sender did not fill the path, leaves it.
	ceilingRaise     = 1.1
	ceilingLift      = 1.05
	ceilingLiftAfter = 2 * time.Second
	ceilingDrop      = 0.8
)

// SendSideConfig configures a SendSide. Bitrates are in bit/s.
type SendSideConfig struct {
	// MinBitrate, StartBitrate and MaxBitrate bound the estimate and give its value before any feedback;
	// 0 means DefaultMinBitrate, DefaultStartBitrate (clamped to the bounds) and DefaultMaxBitrate.
	MinBitrate, StartBitrate, MaxBitrate uint64
	// History is how many sent packets are remembered, a power of two from 256 to 65536; 0 means
	// DefaultSendHistory.
	History int
	// MaxFeedbackAge is how long the estimate is trusted without feedback; 0 means DefaultMaxFeedbackAge.
	MaxFeedbackAge time.Duration
	// ProbeInterval is the period of probing while the path looks free; 0 means DefaultProbeInterval and a
	// negative value disables periodic probing.
	ProbeInterval time.Duration
	// NoInitialProbing disables the probes of the first packets. RequestProbe works whatever the settings.
	NoInitialProbing bool
}

// withDefaults returns c with its zero fields set to their defaults.
func (c SendSideConfig) withDefaults() SendSideConfig {
	if c.MinBitrate == 0 {
		c.MinBitrate = DefaultMinBitrate
	}
	if c.MaxBitrate == 0 {
		c.MaxBitrate = DefaultMaxBitrate
	}
	if c.StartBitrate == 0 {
		c.StartBitrate = min(max(DefaultStartBitrate, c.MinBitrate), c.MaxBitrate)
	}
	if c.History == 0 {
		c.History = DefaultSendHistory
	}
	if c.MaxFeedbackAge == 0 {
		c.MaxFeedbackAge = DefaultMaxFeedbackAge
	}
	if c.ProbeInterval == 0 {
		c.ProbeInterval = DefaultProbeInterval
	}
	return c
}

func (c *SendSideConfig) validate() error {
	switch {
	case c.MinBitrate > c.MaxBitrate:
		return badConfig("min bitrate %d above max bitrate %d", c.MinBitrate, c.MaxBitrate)
	case c.StartBitrate < c.MinBitrate || c.StartBitrate > c.MaxBitrate:
		return badConfig("start bitrate %d outside [%d, %d]", c.StartBitrate, c.MinBitrate, c.MaxBitrate)
	case c.MaxBitrate > 1<<40:
		return badConfig("max bitrate %d above 2^40", c.MaxBitrate)
	case c.History < 256 || c.History > 1<<16 || c.History&(c.History-1) != 0:
		return badConfig("send history %d is not a power of two in [256, 65536]", c.History)
	case c.MaxFeedbackAge < 0:
		return badConfig("negative max feedback age %v", c.MaxFeedbackAge)
	}
	return nil
}

// SendSideStats is a snapshot of a SendSide.
type SendSideStats struct {
	// Bitrate is the estimate; DelayBased, LossBased (0 when loss does not limit it) and Acknowledged its inputs.
	Bitrate, DelayBased, LossBased, Acknowledged uint64
	// Usage is the delay detector's last verdict; Loss the last loss fraction; RTT the round trip in use.
	Usage Usage
	Loss  float64
	RTT   time.Duration
	// Feedbacks counts the feedback packets read, FeedbackLost those missing from their count, UnknownReports
	// the reports of packets not in the history (too old, or never sent).
	Feedbacks, FeedbackLost, UnknownReports uint64
	// ProbeClusters counts the clusters requested, ProbeResults those measured; LastProbe is the last result.
	ProbeClusters, ProbeResults, LastProbe uint64
}

// ProbeResult is what the feedback showed of a probe cluster.
type ProbeResult struct {
	// Target is the rate the cluster was sent at, Bitrate the rate the receiver got it at (the estimate rises to it
	// when it is above), in bit/s; At is when the feedback that measured it arrived.
	Target, Bitrate uint64
	At              time.Duration
}

// SendSide is the send side of transport-wide congestion control for one receiver: it numbers every packet sent
// to the receiver, reads the receiver's transport-wide feedback, and runs a GCC-style estimator
// (draft-ietf-rmcat-gcc-02 with libwebrtc's trendline): packet groups, a trendline of the delay gradient, an
// overuse detector with an adaptive threshold, AIMD rate control backing off to 85 % of the acknowledged bitrate,
// and a loss-based cap. The estimate is the delay-based rate capped by the loss-based one, clamped to the
// configured bounds. It also plans probe clusters, at start, periodically while the path looks free, and on
// request before an up-switch.
//
// It implements Estimate. All methods are safe for concurrent use: OnSent and ProbeBytes come from the receiver's
// send loop, OnFeedback and SetRTT from its RTCP reader, and Bitrate and Loss, lock-free, from anywhere. No method
// allocates once the internal buffers have grown to the largest feedback.
type SendSide struct {
	cfg SendSideConfig

	mu          sync.Mutex
	history     *sendHistory
	results     []packetResult
	groups      interArrival
	trend       trendline
	usage       Usage
	rate        rateControl
	acked       ackedBitrate
	ackedMedia  ackedBitrate
	loss        lossControl
	probes      prober
	target      float64
	rtt         time.Duration
	rttSet      bool
	lastProbe   time.Duration
	probed      bool
	initialDone bool
	feedbacks   uint64
	clusters    uint64
	probeOK     uint64
	lastResult  float64
	lastTarget  float64
	resultAt    time.Duration
	resultValid bool
	// probeRaise is what the last probe raised the estimate to (its result, or the ceiling), the throughput it
	// stands for while valid; ceiling is the acknowledged bitrate at the last overuse, 0 once passed (ceilingMargin).
	probeRaise float64
	ceiling    float64
	// aboveSince is when the acknowledged media bitrate last went above the ceiling's lift, valid when above.
	aboveSince time.Duration
	above      bool

	bps  atomic.Uint64
	at   atomic.Int64 // time of the last feedback plus one nanosecond, 0 before any
	lost atomic.Uint64
}

// NewSendSide returns a SendSide with the default configuration.
func NewSendSide() *SendSide {
	return newSendSide(SendSideConfig{}.withDefaults())
}

// NewSendSideWith returns a SendSide configured by cfg (zero fields take their defaults).
func NewSendSideWith(cfg SendSideConfig) (*SendSide, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return newSendSide(cfg), nil
}

func newSendSide(cfg SendSideConfig) *SendSide {
	start := float64(cfg.StartBitrate)
	s := &SendSide{
		cfg:     cfg,
		history: newSendHistory(cfg.History),
		results: make([]packetResult, 0, 256),
		trend:   newTrendline(),
		rate:    newRateControl(float64(cfg.MinBitrate), start, float64(cfg.MaxBitrate)),
		probes:  newProber(),
		target:  start,
		rtt:     defaultRTT,
	}
	s.bps.Store(cfg.StartBitrate)
	return s
}

// OnSent numbers a packet of size bytes (the whole RTP packet) that leaves at now and returns the transport-wide
// sequence number to stamp in it (rtp.StampTransportCC). Call it for every packet sent to the receiver, media,
// retransmissions and probes alike, in the order they leave.
func (s *SendSide) OnSent(size int, now time.Duration) uint16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.history.add(size, now, s.probes.onSent(size, now))
}

// ProbeBytes tells the send loop whether to send a probe packet now: size is the size in bytes of the packet to
// send at once (padding, or an RTX of a recent packet of about that size), 0 for none. wake is when to ask
// again, 0 when no probe is planned. Media packets sent during a cluster count toward it. The initial probes are
// planned at the first call.
func (s *SendSide) ProbeBytes(now time.Duration) (size int, wake time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.initialDone {
		s.initialDone = true
		if !s.cfg.NoInitialProbing {
			s.requestProbe(initialProbeLow*float64(s.cfg.StartBitrate), now)
			s.requestProbe(initialProbeHigh*float64(s.cfg.StartBitrate), now)
		}
	}
	return s.probes.due(now)
}

// RequestProbe plans a probe cluster at target bit/s (capped at the maximum), typically before an up-switch to a
// stream of that bitrate: once the feedback shows the path carries it, Bitrate rises to the measured rate. It
// returns false when the target is not above the estimate, the path is congested, or clusters are waiting already.
func (s *SendSide) RequestProbe(target uint64, now time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requestProbe(float64(target), now)
}

func (s *SendSide) requestProbe(target float64, now time.Duration) bool {
	target = min(target, float64(s.cfg.MaxBitrate))
	if target <= s.target || s.usage == UsageOver || s.loss.fraction > lossHigh {
		return false
	}
	if !s.probes.request(target) {
		return false
	}
	s.clusters++
	s.lastProbe, s.probed = now, true
	return true
}

// SetRTT gives the round-trip time measured by RTCP (receiver reports). Until it is called, the round trip is
// estimated from the feedback, which overestimates it by up to a feedback interval.
func (s *SendSide) SetRTT(rtt time.Duration) {
	if rtt <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rtt, s.rttSet = rtt, true
	s.rate.rtt = rtt
}

// OnFeedback reads a transport-wide feedback received at now and updates the estimate. fb is only read during the
// call. Reports about packets the history does not hold are skipped and counted.
func (s *SendSide) OnFeedback(fb *rtcp.TransportCC, now time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	results, err := s.history.results(fb, s.results[:0])
	s.results = results
	if err != nil {
		return err
	}
	s.feedbacks++
	s.at.Store(int64(now) + 1)
	if len(results) == 0 {
		return nil
	}
	s.observeRTT(results, now)
	slices.SortFunc(results, byArrival)
	probe, usage := s.observe(results, now)
	probe = s.limitProbe(probe, now)
	s.updateDelayBased(usage, probe, now)
	// A loss cut never goes below what the receiver gets: through a policed or overflowing link the acknowledged
	// bitrate is the capacity, and a forwarded stream keeps its excess (and its loss) until the publisher hears of
	// the estimate, whatever the estimate does meanwhile (libwebrtc's LossBasedBweV2 bounds its estimate below by
	// the acknowledged bitrate the same way).
	floor := max(float64(s.cfg.MinBitrate), backoff*s.acked.rate())
	s.loss.update(now, s.target, s.rate.current, floor, s.rtt)
	if probe > s.target {
		s.loss.raise(probe)
	}
	s.target = s.rate.current
	if s.loss.cap > 0 {
		s.target = min(s.target, s.loss.cap)
	}
	s.target = min(max(s.target, float64(s.cfg.MinBitrate)), float64(s.cfg.MaxBitrate))
	s.bps.Store(uint64(s.target))
	s.lost.Store(math.Float64bits(s.loss.fraction))
	s.planProbes(now)
	return nil
}

// byArrival orders received packets by arrival (lost ones, without arrival, first), then by sequence.
func byArrival(a, b packetResult) int {
	if a.Received != b.Received {
		if a.Received {
			return 1
		}
		return -1
	}
	if c := cmp.Compare(a.Arrival, b.Arrival); c != 0 {
		return c
	}
	return cmp.Compare(a.Sequence, b.Sequence)
}

// observe feeds the results to the grouping, the acknowledged bitrate, the loss counts and the probe clusters. It
// returns the best probe result of the feedback (0 for none) and the detector's verdict: overuse if any group of
// the feedback showed it, else the last verdict.
func (s *SendSide) observe(results []packetResult, now time.Duration) (probe float64, usage Usage) {
	var lost, received, recovered int
	usage = s.usage
	over := false
	for i := range results {
		r := &results[i]
		if !r.Received {
			lost++
			continue
		}
		received++
		if r.Recovered {
			recovered++
		}
		s.acked.add(r.Arrival, r.Size)
		if r.Cluster == 0 {
			s.ackedMedia.add(r.Arrival, r.Size)
		}
		if c := s.probes.onResult(r); c != nil {
			probe = max(probe, c.result)
			if !c.reported {
				c.reported = true
				s.onProbeResult(c, now)
			}
		}
		if sendDelta, arrivalDelta, ok := s.groups.add(r.SendTime, r.Arrival); ok {
			usage = s.trend.update(sendDelta, arrivalDelta, r.Arrival)
			over = over || usage == UsageOver
		}
	}
	if over {
		usage = UsageOver
	}
	s.usage = usage
	s.loss.add(lost, received, recovered)
	return probe, usage
}

// onProbeResult counts a cluster's first result; a result close to its target plans a cluster further up.
func (s *SendSide) onProbeResult(c *probeCluster, now time.Duration) {
	s.probeOK++
	s.lastResult, s.lastTarget, s.resultAt, s.resultValid = c.result, c.target, now, true
	target := min(c.result*probeStep, float64(s.cfg.MaxBitrate))
	if c.result >= probeFurtherRatio*c.target && target > c.result && s.probes.request(target) {
		s.clusters++
	}
}

// limitProbe bounds a probe result by the ceiling an overuse set (ceilingRaise), and lifts the ceiling once the
// acknowledged media bitrate passes it (ceilingLift): the path grew, and a probe at once looks for how much.
func (s *SendSide) limitProbe(probe float64, now time.Duration) float64 {
	if s.ceiling == 0 {
		return probe
	}
	switch {
	case s.ackedMedia.rate() <= ceilingLift*s.ceiling:
		s.above = false
	case !s.above:
		s.above, s.aboveSince = true, now
	case now-s.aboveSince >= ceilingLiftAfter:
		s.ceiling, s.above = 0, false
		s.requestProbe(probeStep*s.target, now)
		return probe
	}
	return min(probe, ceilingRaise*s.ceiling)
}

// setCeiling takes the acknowledged media bitrate of an overuse: the new ceiling, unless the sender did not fill
// the path (ceilingDrop).
func (s *SendSide) setCeiling(media float64) {
	media = max(media, float64(s.cfg.MinBitrate))
	if s.ceiling == 0 || media < ceilingDrop*s.ceiling {
		s.ceiling = media
	} else {
		s.ceiling = max(s.ceiling, media)
	}
}

// updateDelayBased applies the detector's verdict, or a probe result, to the AIMD controller.
func (s *SendSide) updateDelayBased(usage Usage, probe float64, now time.Duration) {
	window := s.acked.rate()
	acked := window
	if s.resultValid && now-s.resultAt <= probeResultValidity {
		// A probe measured the same thing as the window, more recently: after a probe raised the estimate, the
		// window still holds the slower rate from before it, and backing off from that would undo the probe.
		acked = max(acked, s.probeRaise)
	}
	switch {
	case usage == UsageOver:
		s.probes.cancelPending()
		if acked > 0 {
			if s.rate.timeToReduceFurther(now, acked) {
				s.rate.update(usage, acked, now)
				s.setCeiling(s.ackedMedia.rate())
			}
		} else if s.rate.initialTimeToReduce(now) {
			s.rate.setEstimate(s.rate.current/2, now)
		}
	case probe > s.rate.current:
		s.rate.setEstimate(probe, now)
		s.rate.link.update(probe, linkAlphaProbe)
		s.probeRaise = probe
	default:
		s.rate.update(usage, acked, now)
	}
}

// observeRTT takes a round-trip sample from the newest packet of the feedback, unless RTCP gives it.
func (s *SendSide) observeRTT(results []packetResult, now time.Duration) {
	if s.rttSet {
		return
	}
	newest := time.Duration(math.MinInt64)
	for i := range results {
		if results[i].Received {
			newest = max(newest, results[i].SendTime)
		}
	}
	if newest == math.MinInt64 || now < newest {
		return
	}
	sample := now - newest
	s.rtt += time.Duration(rttSmoothing * float64(sample-s.rtt))
	s.rate.rtt = s.rtt
}

// planProbes requests the periodic probe when the path has looked free for a probe interval.
func (s *SendSide) planProbes(now time.Duration) {
	if s.cfg.ProbeInterval < 0 || s.target >= float64(s.cfg.MaxBitrate) || s.usage != UsageNormal ||
		s.loss.fraction >= lossLow {
		return
	}
	if s.probed && now-s.lastProbe < s.cfg.ProbeInterval {
		return
	}
	if s.rate.decreased && now-s.rate.lastDecrease < s.cfg.ProbeInterval {
		return
	}
	s.requestProbe(probeStep*s.target, now)
}

// LastProbe is the first result of the last probe cluster measured; ok is false before any. A policy that asked
// for a probe before an up-switch compares At with the time of its request: a cluster that the path could not
// carry well enough to be measured (too much of it lost) gives no result, so the policy also needs a deadline.
func (s *SendSide) LastProbe() (r ProbeResult, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.resultValid {
		return ProbeResult{}, false
	}
	return ProbeResult{Target: uint64(s.lastTarget), Bitrate: uint64(s.lastResult), At: s.resultAt}, true
}

// Bitrate is the estimate in bit/s. bps is the current value even when ok is false: the start bitrate before
// any feedback, which is what a pacer should use meanwhile.
func (s *SendSide) Bitrate(now time.Duration) (bps uint64, ok bool) {
	bps = s.bps.Load()
	at := s.at.Load()
	return bps, at != 0 && now-time.Duration(at-1) <= s.cfg.MaxFeedbackAge
}

// Loss is the fraction of packets lost over the last evaluation (at least 20 packets).
func (s *SendSide) Loss() float64 {
	return math.Float64frombits(s.lost.Load())
}

// Stats returns a snapshot of the estimator.
func (s *SendSide) Stats() SendSideStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return SendSideStats{
		Bitrate: uint64(s.target), DelayBased: uint64(s.rate.current), LossBased: uint64(s.loss.cap),
		Acknowledged: uint64(s.acked.rate()), Usage: s.usage, Loss: s.loss.fraction, RTT: s.rtt,
		Feedbacks: s.feedbacks, FeedbackLost: s.history.feedbackLost, UnknownReports: s.history.unknown,
		ProbeClusters: s.clusters, ProbeResults: s.probeOK, LastProbe: uint64(s.lastResult),
	}
}
