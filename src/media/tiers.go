package media

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp/codecs"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
)

// tierLinger is how long an encoder nobody receives is kept, so that a receiver moving back and forth does not
// restart it.
const tierLinger = 2 * time.Second

// errEncoderBudget: the process runs Config.MaxEncoders encoders already.
var errEncoderBudget = errors.New("media: encoder budget spent")

// trackTiers is the transcoding of one publisher video track: its decoder, made at the first tier needed, and its
// tiers, one source per (codec, tier) that some receiver takes, each fed by its own encoder.
type trackTiers struct {
	tr    *transcoding
	track *track
	log   *slog.Logger

	// active: some tier exists, so the publisher's packets go to the decoder. Set under mu.
	active atomic.Bool
	// bytes counts the track's bytes, for the publisher's bitrate the policy compares with the estimates.
	bytes atomic.Uint64
	// decoder is set once, under mu, before active.
	decoder atomic.Pointer[decoderRef]

	// The publisher's goroutine's.
	reorder *reorderBuffer

	mu      sync.Mutex
	sources map[tierKey]*tierSource
	closed  bool

	// The adaptation goroutine's.
	receivers map[*downtrack]*receiverAdapt
	rate      rateMeter
}

type decoderRef struct{ d VideoDecoder }

// tierKey names a tier source of a track: a codec and a tier of the ladder.
type tierKey struct {
	codec string
	tier  int
}

// tierSource is one tier of a track in one codec: a source whose feeder is its encoder's output goroutine.
type tierSource struct {
	tt     *trackTiers
	key    tierKey
	feeder *feeder
	src    *source
	enc    atomic.Pointer[encoderRef]

	// The encoder's goroutine's. shift is the tier's RTP timestamps minus the publisher's (known once shifted).
	pkt        rtp.Packet
	nextReport time.Duration
	shift      uint32
	shifted    bool

	// bytes counts the encoder's output, for the bitrate its receivers get.
	bytes atomic.Uint64

	// The adaptation goroutine's.
	idleSince time.Duration
	idle      bool
	bitrate   int
	rate      rateMeter
}

type encoderRef struct{ e VideoEncoder }

func newTrackTiers(tr *transcoding, t *track) *trackTiers {
	tt := &trackTiers{
		tr: tr, track: t, log: t.up.log.With("codec", t.codec.Name),
		sources:   make(map[tierKey]*tierSource),
		receivers: make(map[*downtrack]*receiverAdapt),
	}
	tt.reorder = newReorderBuffer(tt.decode)
	return tt
}

// push takes a publisher packet after NACK recovery, on the publisher's goroutine: counted, and given to the
// decoder in sequence order while some tier exists.
func (tt *trackTiers) push(seq int64, raw []byte, p *rtp.Packet, now time.Duration) {
	tt.bytes.Add(uint64(len(raw)))
	if tt.active.Load() {
		tt.reorder.add(seq, raw, p, now)
	}
}

func (tt *trackTiers) decode(p *rtp.Packet) {
	if d := tt.decoder.Load(); d != nil {
		d.d.Push(p)
	}
}

// tier returns the source of tier i in codec, starting its encoder (and the decoder) when none runs, within the
// process's encoder budget.
func (tt *trackTiers) tier(codec string, i int) (*tierSource, error) {
	key := tierKey{codec: strings.ToUpper(codec), tier: i}
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if tt.closed {
		return nil, errors.New("media: publisher track ended")
	}
	if ts := tt.sources[key]; ts != nil {
		return ts, nil
	}
	if i < 0 || i >= len(tt.tr.tiers) || !tt.tr.tc.Encodes(key.codec) {
		return nil, fmt.Errorf("media: no tier %d in %s", i, codec)
	}
	if !tt.tr.reserveEncoder() {
		return nil, errEncoderBudget
	}
	ts, err := tt.startLocked(key)
	if err != nil {
		tt.tr.releaseEncoder()
		return nil, err
	}
	tt.sources[key] = ts
	tt.active.Store(true)
	return ts, nil
}

// nearest returns the running tier source of codec nearest the tier want (guardFallback's order), nil when none
// runs.
func (tt *trackTiers) nearest(codec string, want int) *tierSource {
	next, _ := guardFallback(forwarded, want, tt.running(codec))
	if next == forwarded {
		return nil
	}
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return tt.sources[tierKey{codec: strings.ToUpper(codec), tier: next}]
}

// running lists the tiers of codec that run for the track, best first.
func (tt *trackTiers) running(codec string) []int {
	codec = strings.ToUpper(codec)
	tt.mu.Lock()
	defer tt.mu.Unlock()
	var out []int
	for k := range tt.sources {
		if k.codec == codec {
			out = append(out, k.tier)
		}
	}
	slices.Sort(out)
	return out
}

// startLocked makes the decoder if needed and a tier source with its encoder.
func (tt *trackTiers) startLocked(key tierKey) (*tierSource, error) {
	if tt.decoder.Load() == nil {
		t := tt.track
		d, err := tt.tr.tc.NewDecoder(t.codec.Name, func() { t.up.requestKeyframe(monotonic()) })
		if err != nil {
			return nil, fmt.Errorf("media: decoder: %w", err)
		}
		tt.decoder.Store(&decoderRef{d: d})
	}
	ts := &tierSource{tt: tt, key: key, feeder: newFeeder(tt.tr.fw, tt.log)}
	detect, _ := codecs.KeyframeDetector(key.codec)
	ts.src = ts.feeder.newSource(sourceParams{kind: sdp.KindVideo, keyframe: detect, origin: ts,
		codec: negotiate.Codec{Codec: sdp.Codec{Name: key.codec, ClockRate: videoClockRate}}})
	enc, err := tt.decoder.Load().d.NewEncoder(EncoderParams{Codec: key.codec, Tier: tt.tr.tiers[key.tier],
		Output: ts.output})
	if err != nil {
		return nil, fmt.Errorf("media: encoder %s %s: %w", key.codec, tt.tr.tiers[key.tier], err)
	}
	ts.enc.Store(&encoderRef{e: enc})
	ts.setBitrate(tt.tr.tiers[key.tier].Bitrate)
	tt.tr.counters.encodersStarted.Add(1)
	tt.log.Info("tier started", "tier", tt.tr.tiers[key.tier].String(), "encoder", key.codec)
	return ts, nil
}

// videoClockRate is the RTP clock of every video codec the server sends.
const videoClockRate = 90000

// stop closes a tier nobody receives any more; the decoder stops on its own after its last encoder.
func (tt *trackTiers) stop(ts *tierSource) {
	tt.mu.Lock()
	if tt.sources[ts.key] != ts {
		tt.mu.Unlock()
		return
	}
	delete(tt.sources, ts.key)
	if len(tt.sources) == 0 {
		tt.active.Store(false)
	}
	tt.mu.Unlock()
	ts.close()
	tt.log.Info("tier stopped", "tier", tt.tr.tiers[ts.key.tier].String(), "encoder", ts.key.codec)
}

// close ends the track's transcoding: its decoder and every encoder. It waits for them: call it off the packet
// paths.
func (tt *trackTiers) close() {
	tt.mu.Lock()
	if tt.closed {
		tt.mu.Unlock()
		return
	}
	tt.closed = true
	tt.active.Store(false)
	sources := tt.sources
	tt.sources = map[tierKey]*tierSource{}
	tt.mu.Unlock()
	for _, ts := range sources {
		ts.close()
	}
	if d := tt.decoder.Load(); d != nil {
		if err := d.d.Close(); err != nil {
			tt.log.Warn("decoder not closed cleanly", "err", err)
		}
	}
}

// snapshot lists the track's tier sources.
func (tt *trackTiers) snapshot() []*tierSource {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	out := make([]*tierSource, 0, len(tt.sources))
	for _, ts := range tt.sources {
		out = append(out, ts)
	}
	return out
}

// sourceChoice is the choice a source stands for in the track (forwarded for the publisher's own, or a tier
// index) and its measured bitrate; ok is false for a source of another track. On the adaptation goroutine.
func (tt *trackTiers) sourceChoice(s *source) (choice int, bps uint64, ok bool) {
	if s == tt.track.src {
		return forwarded, uint64(tt.rate.bps), true
	}
	tt.mu.Lock()
	defer tt.mu.Unlock()
	for k, ts := range tt.sources {
		if ts.src == s {
			return k.tier, uint64(ts.rate.bps), true
		}
	}
	return 0, 0, false
}

func (ts *tierSource) close() {
	if ref := ts.enc.Load(); ref != nil {
		if err := ref.e.Close(); err != nil {
			ts.tt.log.Warn("encoder not closed cleanly", "err", err)
		}
	}
	ts.tt.tr.releaseEncoder()
}

// output fans an encoder's packet out to the tier's downtracks, on the encoder's goroutine, which is the tier's
// feeder: it serves their retransmission requests first and sends their SRs once a second.
func (ts *tierSource) output(p EncodedPacket) {
	defer ts.tt.tr.recoverPanic("tier output")
	now := monotonic()
	ts.bytes.Add(uint64(len(p.Data)))
	ts.feeder.serve(now)
	if err := ts.pkt.Unmarshal(p.Data); err != nil {
		ts.tt.tr.fw.counters.dropMalformed.Add(1)
		return
	}
	ts.shift, ts.shifted = ts.pkt.Timestamp-p.SourceTimestamp, true
	off := len(p.Data) - len(ts.pkt.Payload) - int(ts.pkt.PaddingSize)
	ts.src.fanOut(p.Data, &ts.pkt.Header, off, p.Keyframe, now)
	if now >= ts.nextReport {
		ts.nextReport = now + reportInterval
		ts.feeder.report(now, time.Now())
	}
}

// requestKeyframe asks the encoder for a keyframe (a receiver joined, switched or lost one); the encoder throttles.
func (ts *tierSource) requestKeyframe(time.Duration) {
	if ref := ts.enc.Load(); ref != nil {
		ref.e.ForceKeyframe()
	}
}

// rtpTimeAt maps the server's NTP time onto the tier's clock through the publisher's SRs: a tier's frame carries
// its source frame's timestamp plus the encoder's constant, so its SRs place each frame at the publisher's capture
// time, as the publisher's audio SRs do, and lip sync survives the transcoding's latency. On the encoder's
// goroutine.
func (ts *tierSource) rtpTimeAt(ntp uint64) (uint32, bool) {
	c := ts.tt.track.clock.Load()
	if c == nil || !ts.shifted {
		return 0, false
	}
	return c.at(ntp) + ts.shift, true
}

// setBitrate records the encoder's bitrate. On the adaptation goroutine. A tier does not pace its packets: each
// receiver's session does (pacing.go, at 2.5 times that receiver's estimate, which the tier's bitrate never
// exceeds), so a keyframe is spread for the weakest receiver without holding back the others on the tier.
func (ts *tierSource) setBitrate(bps int) {
	ts.bitrate = bps
}
