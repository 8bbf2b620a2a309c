package media

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// adaptInterval is the period of the adaptation pass: each receiver's choice, each encoder's bitrate.
const adaptInterval = 500 * time.Millisecond

// transcoding is the media plane's transcoding: the ladder, the encoder budget, the tracks it may transcode, and the
// adaptation goroutine, which chooses for each receiver the publisher's own stream or a tier (choose), switches it,
// sets each encoder's bitrate and stops the encoders nobody receives.
type transcoding struct {
	tc          VideoTranscoder
	tiers       []Tier
	maxEncoders int64
	fw          *forwarder
	log         *slog.Logger
	counters    transcodeCounters

	encoders atomic.Int64

	mu     sync.Mutex
	tracks map[*trackTiers]struct{}
	state  []ReceiverState
	stop   chan struct{}
	done   chan struct{}
}

// transcodeCounters are the counters behind TranscodeStats.
type transcodeCounters struct {
	tierSwitches, guardRefusals, encodersStarted, panics atomic.Uint64
	forwarded, tiered, translated                        atomic.Int64
}

// TranscodeStats are the transcoding's counters (Plane.TranscodeStats).
type TranscodeStats struct {
	// Enabled: the plane transcodes (TRANSCODE on).
	Enabled bool
	// Forwarded, Tiered and Translated count the video receivers at the last adaptation pass: on the publisher's
	// own stream, on a tier in the publisher's codec, on a tier in another codec.
	Forwarded, Tiered, Translated int64
	// TierSwitches counts the receivers moved from one choice to another; GuardRefusals the encoders not started
	// because TRANSCODE_MAX_ENCODERS were running; EncodersStarted every encoder started.
	TierSwitches, GuardRefusals, EncodersStarted uint64
	// Encoders is the number running now.
	Encoders int64
	// Receivers are each video receiver's choice at the last adaptation pass.
	Receivers []ReceiverState
}

// ReceiverState is one receiver's video as the last adaptation pass left it.
type ReceiverState struct {
	Receiver  string `json:"receiver"`
	Publisher string `json:"publisher"`
	Codec     string `json:"codec"`
	// Choice is "forwarded" or a tier's box ("480x360").
	Choice string `json:"choice"`
	// Estimate is the receiver's bandwidth estimate in bit/s, 0 unknown; Loss its last loss fraction.
	Estimate uint64  `json:"estimate"`
	Loss     float64 `json:"loss"`
}

// receiverAdapt is the policy's memory of one receiver. refused: the guard refuses the choice the policy wants for
// it (logged and counted when it started).
type receiverAdapt struct {
	state   policyState
	refused bool
}

func newTranscoding(cfg *Config, fw *forwarder) *transcoding {
	tr := &transcoding{
		tc: cfg.Transcoder, tiers: cfg.Tiers, maxEncoders: int64(cfg.MaxEncoders), fw: fw, log: cfg.Logger,
		tracks: make(map[*trackTiers]struct{}), stop: make(chan struct{}), done: make(chan struct{}),
	}
	go tr.run()
	return tr
}

func (tr *transcoding) reserveEncoder() bool {
	if tr.encoders.Add(1) > tr.maxEncoders {
		tr.encoders.Add(-1)
		return false
	}
	return true
}

func (tr *transcoding) releaseEncoder() { tr.encoders.Add(-1) }

// recoverPanic reports a panic of a transcoding goroutine instead of dying; deferred directly.
func (tr *transcoding) recoverPanic(what string) {
	if v := recover(); v != nil {
		tr.counters.panics.Add(1)
		tr.log.Error("transcoding panicked", "in", what, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	}
}

// add makes the transcoding of a publisher's video track.
func (tr *transcoding) add(t *track) *trackTiers {
	tt := newTrackTiers(tr, t)
	tr.mu.Lock()
	tr.tracks[tt] = struct{}{}
	tr.mu.Unlock()
	return tt
}

// remove ends a track's transcoding, off the caller's goroutine (it waits for the encoders).
func (tr *transcoding) remove(tt *trackTiers) {
	tr.mu.Lock()
	delete(tr.tracks, tt)
	tr.mu.Unlock()
	go func() {
		defer tr.recoverPanic("track close")
		tt.close()
	}()
}

// close stops the adaptation and every track's transcoding.
func (tr *transcoding) close() {
	close(tr.stop)
	<-tr.done
	tr.mu.Lock()
	tracks := tr.tracks
	tr.tracks = map[*trackTiers]struct{}{}
	tr.mu.Unlock()
	for tt := range tracks {
		tt.close()
	}
}

func (tr *transcoding) run() {
	defer close(tr.done)
	tick := time.NewTicker(adaptInterval)
	defer tick.Stop()
	for {
		select {
		case <-tr.stop:
			return
		case <-tick.C:
			tr.pass(monotonic())
		}
	}
}

// pass adapts every receiver of every transcodable track once.
func (tr *transcoding) pass(now time.Duration) {
	defer tr.recoverPanic("adaptation")
	tr.mu.Lock()
	tracks := make([]*trackTiers, 0, len(tr.tracks))
	for tt := range tr.tracks {
		tracks = append(tracks, tt)
	}
	tr.mu.Unlock()
	var states []ReceiverState
	var fwd, tiered, translated int64
	for _, tt := range tracks {
		for _, st := range tt.adapt(now) {
			states = append(states, st)
			switch {
			case st.Choice == choiceForwarded:
				fwd++
			case strings.EqualFold(st.Codec, tt.track.codec.Name):
				tiered++
			default:
				translated++
			}
		}
		tt.tune(now)
	}
	tr.counters.forwarded.Store(fwd)
	tr.counters.tiered.Store(tiered)
	tr.counters.translated.Store(translated)
	tr.mu.Lock()
	tr.state = states
	tr.mu.Unlock()
}

// choiceForwarded is the Choice of a receiver on the publisher's own stream.
const choiceForwarded = "forwarded"

// stats returns the counters and the last pass's choices.
func (tr *transcoding) stats() TranscodeStats {
	tr.mu.Lock()
	receivers := slices.Clone(tr.state)
	tr.mu.Unlock()
	c := &tr.counters
	return TranscodeStats{
		Enabled: true, Forwarded: c.forwarded.Load(), Tiered: c.tiered.Load(), Translated: c.translated.Load(),
		TierSwitches: c.tierSwitches.Load(), GuardRefusals: c.guardRefusals.Load(),
		EncodersStarted: c.encodersStarted.Load(), Encoders: tr.encoders.Load(), Receivers: receivers,
	}
}

// videoDowntracks are the downtracks that receive the track's video, from its own source or a tier.
func (tt *trackTiers) videoDowntracks() []*downtrack {
	fw := tt.tr.fw
	fw.mu.Lock()
	defer fw.mu.Unlock()
	var out []*downtrack
	for f := range tt.track.up.feeds {
		if f.video != nil {
			out = append(out, f.video)
		}
	}
	return out
}

// adapt runs the policy for each receiver of the track and switches those whose choice changes.
func (tt *trackTiers) adapt(now time.Duration) []ReceiverState {
	tt.measure(now)
	downtracks := tt.videoDowntracks()
	seen := make(map[*downtrack]bool, len(downtracks))
	states := make([]ReceiverState, 0, len(downtracks))
	for _, d := range downtracks {
		seen[d] = true
		if st, ok := tt.adaptOne(d, now); ok {
			states = append(states, st)
		}
	}
	for d := range tt.receivers {
		if !seen[d] {
			delete(tt.receivers, d)
		}
	}
	return states
}

// measure updates the bitrates of the publisher's video and of each tier.
func (tt *trackTiers) measure(now time.Duration) {
	tt.rate.update(tt.bytes.Load(), now)
	for _, ts := range tt.snapshot() {
		ts.rate.update(ts.bytes.Load(), now)
	}
}

// rateMeter turns a byte counter read at each pass into a bitrate smoothed over a few passes.
type rateMeter struct {
	bytes uint64
	at    time.Duration
	bps   float64
}

func (m *rateMeter) update(bytes uint64, now time.Duration) {
	if m.at != 0 && now > m.at {
		rate := float64(bytes-m.bytes) * 8 / (now - m.at).Seconds()
		if m.bps == 0 {
			m.bps = rate
		} else {
			m.bps += (rate - m.bps) / 4
		}
	}
	m.bytes, m.at = bytes, now
}

// adaptOne runs the policy for d; ok is false when d belongs to none of the track's sources (being detached).
func (tt *trackTiers) adaptOne(d *downtrack, now time.Duration) (ReceiverState, bool) {
	r := d.route.Load()
	target := r.from
	if r.to != nil {
		target = r.to
	}
	current, rate, ok := tt.sourceChoice(target)
	if !ok {
		return ReceiverState{}, false
	}
	codec := r.from.codec.Name
	est := d.downlink.estimator()
	bps, has := est.Bitrate(now)
	ra := tt.receivers[d]
	if ra == nil {
		ra = &receiverAdapt{}
		tt.receivers[d] = ra
	}
	in := policyInput{
		now: now, estimate: bps, hasEstimate: has, loss: est.Loss(),
		forwardable: strings.EqualFold(codec, tt.track.codec.Name), forwardRate: uint64(tt.rate.bps),
		tiers: tt.tr.bitrates(), current: current, currentRate: rate,
	}
	if ss := d.downlink.sendSide.Load(); ss != nil {
		in.probing = true
		if p, ok := ss.LastProbe(); ok {
			in.probed, in.probedAt = true, p.At
		}
	}
	next, reason, st := choose(in, ra.state)
	ra.state = st
	if st.askProbe != 0 && !d.downlink.requestProbe(st.askProbe, now) {
		tt.log.Debug("probe declined", "receiver", d.downlink.receiver, "target", st.askProbe, "estimate", bps)
	}
	switch {
	case next == current:
		tt.refusalEnds(d, ra)
	case r.to == nil:
		next = tt.switchTo(d, ra, codec, current, next, reason, bps, now)
	}
	return ReceiverState{Receiver: d.downlink.receiver, Publisher: d.downlink.publisher, Codec: codec,
		Choice: tt.tr.choiceName(next), Estimate: bps, Loss: est.Loss()}, true
}

// switchTo moves d to the choice next, or where guardFallback says when the encoder budget refuses it; it returns
// where d goes. A refusal is logged and counted once, when it starts; it lasts until the policy's choice can be had.
func (tt *trackTiers) switchTo(d *downtrack, ra *receiverAdapt, codec string, current, next int, reason string,
	bps uint64, now time.Duration) int {
	to := tt.track.src
	if next != forwarded {
		ts, err := tt.tier(codec, next)
		if err != nil {
			fallback, overLink := guardFallback(current, next, tt.running(codec))
			d.overLink.Store(overLink)
			if !ra.refused {
				ra.refused = true
				tt.tr.counters.guardRefusals.Add(1)
				tt.log.Warn("tier refused", "receiver", d.downlink.receiver, "tier", tt.tr.tiers[next].String(),
					"encoder", codec, "err", err, "instead", tt.tr.choiceName(fallback), "capsPublisher", overLink)
			}
			if fallback == current {
				return current
			}
			if ts = tt.nearest(codec, next); ts == nil || ts.key.tier != fallback {
				return current
			}
			next = fallback
		} else {
			tt.refusalEnds(d, ra)
		}
		to = ts.src
	} else {
		tt.refusalEnds(d, ra)
	}
	if err := tt.tr.fw.switchSource(d, to, now); err != nil {
		return current
	}
	tt.tr.counters.tierSwitches.Add(1)
	tt.log.Info("receiver changes tier", "receiver", d.downlink.receiver, "from", tt.tr.choiceName(current),
		"to", tt.tr.choiceName(next), "why", reason, "estimate", bps, "loss", d.downlink.estimator().Loss())
	return next
}

// refusalEnds ends d's refusal by the guard: the policy's choice is had.
func (tt *trackTiers) refusalEnds(d *downtrack, ra *receiverAdapt) {
	ra.refused = false
	d.overLink.Store(false)
}

// tune sets each tier's encoder bitrate from its receivers' estimates, and stops the tiers nobody has received for
// tierLinger.
func (tt *trackTiers) tune(now time.Duration) {
	for _, ts := range tt.snapshot() {
		var lowest uint64
		known, lossy, receivers := false, false, 0
		for _, d := range *ts.src.downtracks.Load() {
			receivers++
			est := d.downlink.estimator()
			if bps, ok := est.Bitrate(now); ok && (!known || bps < lowest) {
				lowest, known = bps, true
			}
			lossy = lossy || est.Loss() >= lossUp
		}
		if receivers == 0 {
			if !ts.idle {
				ts.idle, ts.idleSince = true, now
			} else if now-ts.idleSince >= tierLinger {
				tt.stop(ts)
			}
			continue
		}
		ts.idle = false
		bps := encoderBitrate(tt.tr.tiers, ts.key.tier, lowest, known, lossy)
		if bps == ts.bitrate {
			continue
		}
		if ref := ts.enc.Load(); ref != nil {
			if err := ref.e.SetBitrate(bps); err != nil {
				tt.log.Warn("encoder bitrate refused", "bitrate", bps, "err", err)
				continue
			}
			ts.setBitrate(bps)
		}
	}
}

func (tr *transcoding) bitrates() []uint64 {
	out := make([]uint64, len(tr.tiers))
	for i, t := range tr.tiers {
		out[i] = uint64(t.Bitrate)
	}
	return out
}

func (tr *transcoding) choiceName(c int) string {
	if c == forwarded || c < 0 || c >= len(tr.tiers) {
		return choiceForwarded
	}
	return tr.tiers[c].String()
}
