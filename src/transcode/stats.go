package transcode

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/histogram"
)

// The buckets of the decode and encode time histograms: bucket 0 holds durations below 250 µs, bucket i up to
// 250 µs × 2^i, the last one (from 256 ms on) everything above.
const (
	TimeUnit    = 250 * time.Microsecond
	TimeBuckets = 12
)

// EncoderCount is the number of encoders alive for one codec and tier size.
type EncoderCount struct {
	Codec Codec
	// Tier is the tier's size, "640x480".
	Tier  string
	Count int64
}

// Stats are a Transcoder's counters since it was made.
type Stats struct {
	// Decoders counts the decoder pipelines running now (one per publisher track that some encoder needs).
	Decoders int64
	// Encoders counts the encoders alive, by codec and tier, sorted.
	Encoders []EncoderCount
	// DecodeTime times each frame from its push into a decoder to its decoded picture, EncodeTime from the decoded
	// picture to the encoder's output (thinning and scaling included), by codec: the decoder's codec for the
	// first, the encoder's for the second.
	DecodeTime, EncodeTime map[Codec]histogram.Doubling

	// PacketsIn counts the publishers' packets given to running decoders. QueueDrops counts the frames dropped
	// because a decoder fell too far behind (each costs a keyframe request).
	PacketsIn, QueueDrops uint64
	// Gaps and BrokenFrames count what the frame assemblers found: packets lost for good, frames that could
	// not be rebuilt. Each costs a keyframe request.
	Gaps, BrokenFrames uint64
	// FramesEncoded counts the frames out of encoders. DroppedFrames counts the decoded frames an encoder had no
	// time for (a newer one replaced it); frames left out to keep a tier's frame rate are not counted.
	FramesEncoded, DroppedFrames uint64
	// KeyframeRequests counts the keyframes asked of publishers (throttled); ForcedKeyframes the keyframes the
	// encoders made on request, ForceRequests the requests (several in an interval make one keyframe).
	KeyframeRequests, ForcedKeyframes, ForceRequests uint64
	// PacketsOut and BytesOut count the RTP packets the encoders sent.
	PacketsOut, BytesOut uint64
	// PipelineErrors counts the errors and warnings GStreamer reported, Restarts the pipelines rebuilt after a
	// failure, Panics the panics recovered in the transcoder's goroutines (each a defect).
	PipelineErrors, Restarts, Panics uint64
}

// counters are the atomic counters behind Stats.
type counters struct {
	decoders atomic.Int64

	packetsIn, queueDrops, gaps, brokenFrames              atomic.Uint64
	framesEncoded, droppedFrames                           atomic.Uint64
	keyframeRequests, forcedKeyframes, forceRequests       atomic.Uint64
	packetsOut, bytesOut, pipelineErrors, restarts, panics atomic.Uint64

	decodeTime, encodeTime [len(codecIndex)]*histogram.Counter

	mu       sync.Mutex
	encoders map[encoderKey]int64
}

type encoderKey struct {
	codec Codec
	tier  string
}

// codecIndex numbers the codecs for the per-codec histograms.
var codecIndex = [...]Codec{VP8, VP9, H264}

func codecSlot(c Codec) int {
	return max(slices.Index(codecIndex[:], c), 0)
}

func newCounters() *counters {
	c := &counters{encoders: make(map[encoderKey]int64)}
	for i := range codecIndex {
		c.decodeTime[i] = histogram.NewCounter(TimeUnit, TimeBuckets)
		c.encodeTime[i] = histogram.NewCounter(TimeUnit, TimeBuckets)
	}
	return c
}

func (c *counters) addEncoder(codec Codec, tier Tier, delta int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := encoderKey{codec, tier.Size()}
	c.encoders[k] += delta
	if c.encoders[k] == 0 {
		delete(c.encoders, k)
	}
}

func (c *counters) snapshot() Stats {
	s := Stats{
		Decoders:   c.decoders.Load(),
		DecodeTime: make(map[Codec]histogram.Doubling), EncodeTime: make(map[Codec]histogram.Doubling),
		PacketsIn: c.packetsIn.Load(), QueueDrops: c.queueDrops.Load(),
		Gaps: c.gaps.Load(), BrokenFrames: c.brokenFrames.Load(),
		FramesEncoded: c.framesEncoded.Load(), DroppedFrames: c.droppedFrames.Load(),
		KeyframeRequests: c.keyframeRequests.Load(), ForcedKeyframes: c.forcedKeyframes.Load(),
		ForceRequests: c.forceRequests.Load(),
		PacketsOut:    c.packetsOut.Load(), BytesOut: c.bytesOut.Load(),
		PipelineErrors: c.pipelineErrors.Load(), Restarts: c.restarts.Load(), Panics: c.panics.Load(),
	}
	for i, codec := range codecIndex {
		s.DecodeTime[codec] = c.decodeTime[i].Snapshot()
		if codec.Encodable() {
			s.EncodeTime[codec] = c.encodeTime[i].Snapshot()
		}
	}
	c.mu.Lock()
	for k, n := range c.encoders {
		s.Encoders = append(s.Encoders, EncoderCount{Codec: k.codec, Tier: k.tier, Count: n})
	}
	c.mu.Unlock()
	slices.SortFunc(s.Encoders, func(a, b EncoderCount) int {
		if n := strings.Compare(string(a.Codec), string(b.Codec)); n != 0 {
			return n
		}
		return strings.Compare(a.Tier, b.Tier)
	})
	return s
}
