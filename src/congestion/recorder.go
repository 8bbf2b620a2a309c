package congestion

import (
	"math"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp"
)

// Defaults of RecorderConfig.
const (
	// DefaultFeedbackInterval is the cadence of transport-wide feedback: libwebrtc's receivers send it every 50 to
	// 250 ms depending on the bitrate; 50 ms lets the publisher's estimator react within a frame or two for a few
	// kbit/s of feedback.
	DefaultFeedbackInterval = 50 * time.Millisecond
	// DefaultLossBurst is how many consecutive missing sequence numbers make a loss burst, which is reported at
	// once instead of at the next interval. One missing number is more often reordering than loss.
	DefaultLossBurst = 2
	// DefaultRecorderHistory is how many sequence numbers the recorder remembers (16 bytes each): 3 s of a
	// 2.5 Mbit/s video with its audio, far more than the feedback interval and any reordering worth reporting.
	DefaultRecorderHistory = 1024
	// DefaultMaxFeedbackSize keeps each feedback packet within one datagram of a 1280-byte IPv6 path minimum,
	// with room for SRTCP and a receiver report in front of it.
	DefaultMaxFeedbackSize = 1000

	// minUrgentSpacing bounds the feedback rate whatever the loss pattern: a loss burst is reported at once only
	// when the last feedback is at least this old.
	minUrgentSpacing = 10 * time.Millisecond
	// resetAfterTooOld consecutive packets too far behind mean the sender restarted its numbering.
	resetAfterTooOld = 64
	// feedbackFixedSize is the feedback header (12 bytes) and the fixed FCI (8 bytes) of a TransportCC packet,
	// plus 3 bytes of padding at most.
	feedbackFixedSize = 12 + 8 + 3
	// maxFeedbackCount is the most packets one TransportCC can cover (its 16-bit status count).
	maxFeedbackCount = math.MaxUint16
	// smallDeltaMax and largeDelta bound the receive deltas, in units of rtcp.TransportCCDeltaUnit.
	smallDeltaMax = 0xff
	largeDeltaMin = math.MinInt16
	largeDeltaMax = math.MaxInt16
)

// RecorderConfig configures a FeedbackRecorder.
type RecorderConfig struct {
	// SenderSSRC is the SSRC the feedback is sent from (the server's, never 0).
	SenderSSRC uint32
	// MediaSSRC is the media SSRC written in the feedback. Transport-wide feedback is about every stream of the
	// transport, so receivers ignore it; libwebrtc writes the first stream's SSRC.
	MediaSSRC uint32
	// Interval is the feedback cadence, from 10 ms to 1 s; 0 means DefaultFeedbackInterval.
	Interval time.Duration
	// LossBurst is how many consecutive missing numbers are reported at once; 0 means DefaultLossBurst.
	LossBurst int
	// History is how many sequence numbers are remembered, a power of two from 64 to 32768; 0 means
	// DefaultRecorderHistory. It bounds the recorder's memory (16 bytes a number) whatever the sender does.
	History int
	// MaxFeedbackSize is the largest feedback packet in bytes, from 64 to 65535; 0 means DefaultMaxFeedbackSize.
	MaxFeedbackSize int
}

func (c *RecorderConfig) applyDefaults() error {
	if c.SenderSSRC == 0 {
		return badConfig("recorder sender SSRC 0")
	}
	if c.Interval == 0 {
		c.Interval = DefaultFeedbackInterval
	}
	if c.LossBurst == 0 {
		c.LossBurst = DefaultLossBurst
	}
	if c.History == 0 {
		c.History = DefaultRecorderHistory
	}
	if c.MaxFeedbackSize == 0 {
		c.MaxFeedbackSize = DefaultMaxFeedbackSize
	}
	switch {
	case c.Interval < 10*time.Millisecond || c.Interval > time.Second:
		return badConfig("feedback interval %v outside [10ms, 1s]", c.Interval)
	case c.LossBurst < 1:
		return badConfig("loss burst %d below 1", c.LossBurst)
	case c.History < 64 || c.History > 1<<15 || c.History&(c.History-1) != 0:
		return badConfig("recorder history %d is not a power of two in [64, 32768]", c.History)
	case c.MaxFeedbackSize < 64 || c.MaxFeedbackSize > math.MaxUint16:
		return badConfig("max feedback size %d outside [64, 65535]", c.MaxFeedbackSize)
	}
	return nil
}

// RecorderStats counts what a FeedbackRecorder did with odd input. Every field only grows.
type RecorderStats struct {
	// Feedbacks is the number of feedback packets built.
	Feedbacks uint64
	// Duplicates are packets recorded twice: the first arrival is kept.
	Duplicates uint64
	// Late are packets that arrived after their range was reported; they are reported again in the next feedback.
	Late uint64
	// TooOld are packets too far behind the newest to be reported: dropped.
	TooOld uint64
	// Jumps counts forward jumps of the sequence numbers beyond the history: reporting restarts at the new number.
	Jumps uint64
	// Unreported are received packets whose arrival was never reported, because the history overflowed before a
	// feedback was built or a jump skipped them.
	Unreported uint64
	// Restarts counts the times the sender restarted its numbering far behind the old one.
	Restarts uint64
}

// FeedbackRecorder is the receive side of transport-wide congestion control
// (draft-holmer-rmcat-transport-wide-cc-extensions-01): told the transport-wide sequence number and the arrival time
// of every packet from one sender, it builds the rtcp.TransportCC feedback that lets the sender's estimator run.
//
// It is not safe for concurrent use: the goroutine that reads the sender's packets owns it, calls Record for every
// packet (media, retransmissions and padding alike, before any of them is dropped as a duplicate or a probe), and
// after each packet checks Due and drains AppendFeedback (and on a timer of the same goroutine, if the last packets
// before a silence should be reported). Record is allocation-free and costs tens of nanoseconds.
//
// Memory is bounded by RecorderConfig.History whatever the sender does: reordering within the history is
// reported (late packets again, in the next feedback), duplicates keep their first arrival, and numbers that jump
// or fall back beyond the history restart the report; RecorderStats counts each case.
type FeedbackRecorder struct {
	cfg    RecorderConfig
	unwrap *rtp.SequenceUnwrapper
	slots  []arrivalSlot
	mask   int64

	started bool
	// The next feedback covers [start, end): end is one past the highest number recorded.
	start, end int64
	// lastFeedback is when the last feedback was built (or the first packet arrived).
	lastFeedback time.Duration
	urgent       bool
	tooOldInARow int
	count        uint8
	fb           rtcp.TransportCC

	feedbacks, duplicates, late, tooOld, jumps, unreported, restarts atomic.Uint64
}

// arrivalSlot holds the arrival of the packet numbered seq; a slot whose seq is another number holds nothing about
// the number that maps to it.
type arrivalSlot struct {
	seq int64
	at  time.Duration
}

const noSequence = math.MinInt64

// NewFeedbackRecorder returns a recorder with the default configuration that sends feedback from senderSSRC.
func NewFeedbackRecorder(senderSSRC uint32) (*FeedbackRecorder, error) {
	return NewFeedbackRecorderWith(RecorderConfig{SenderSSRC: senderSSRC})
}

// NewFeedbackRecorderWith returns a recorder configured by cfg (zero fields take their defaults).
func NewFeedbackRecorderWith(cfg RecorderConfig) (*FeedbackRecorder, error) {
	if err := cfg.applyDefaults(); err != nil {
		return nil, err
	}
	r := &FeedbackRecorder{
		cfg:    cfg,
		unwrap: rtp.NewSequenceUnwrapper(),
		slots:  make([]arrivalSlot, cfg.History),
		mask:   int64(cfg.History - 1),
		fb: rtcp.TransportCC{SenderSSRC: cfg.SenderSSRC, MediaSSRC: cfg.MediaSSRC,
			Arrivals: make([]rtcp.PacketArrival, 0, 256)},
	}
	r.clearSlots()
	return r, nil
}

// SetMediaSSRC changes the media SSRC written in the next feedback: a sender that signalled no SSRC is known by
// its first packet only, after the recorder was made.
func (r *FeedbackRecorder) SetMediaSSRC(ssrc uint32) { r.fb.MediaSSRC = ssrc }

func (r *FeedbackRecorder) clearSlots() {
	for i := range r.slots {
		r.slots[i] = arrivalSlot{seq: noSequence}
	}
}

func (r *FeedbackRecorder) slot(seq int64) *arrivalSlot { return &r.slots[seq&r.mask] }

// Record notes that the packet with transport-wide sequence number seq arrived at arrival (a monotonic time, not
// negative; a negative time counts as 0).
func (r *FeedbackRecorder) Record(seq uint16, arrival time.Duration) {
	arrival = max(arrival, 0)
	s := r.unwrap.Unwrap(seq)
	if !r.started {
		r.restartAt(s, arrival)
		return
	}
	history := int64(len(r.slots))
	switch {
	case s >= r.end:
		r.tooOldInARow = 0
		if s-r.end >= int64(r.cfg.LossBurst) {
			r.urgent = true
		}
		if s-r.end >= history {
			r.jumps.Add(1)
			r.unreported.Add(uint64(r.pending()))
			r.start = s
		} else if s-r.start >= history {
			// The history cannot hold what is pending and s: the oldest reports are lost.
			first := s - history + 1
			r.unreported.Add(uint64(r.received(r.start, first)))
			r.start = first
		}
		r.end = s + 1
	case s >= r.start:
		// Reordered inside the pending range.
		r.tooOldInARow = 0
		if r.slot(s).seq == s {
			r.duplicates.Add(1)
			return
		}
	case r.end-s <= history:
		// Its range was reported already: report it again, with the packets after it.
		r.tooOldInARow = 0
		if r.slot(s).seq == s {
			r.duplicates.Add(1)
			return
		}
		r.late.Add(1)
		r.start = s
	default:
		r.tooOld.Add(1)
		r.tooOldInARow++
		if r.tooOldInARow >= resetAfterTooOld {
			r.restarts.Add(1)
			r.unreported.Add(uint64(r.pending()))
			r.unwrap = rtp.NewSequenceUnwrapper()
			r.clearSlots()
			r.restartAt(r.unwrap.Unwrap(seq), arrival)
		}
		return
	}
	*r.slot(s) = arrivalSlot{seq: s, at: arrival}
}

// restartAt makes s the first number of the next feedback.
func (r *FeedbackRecorder) restartAt(s int64, arrival time.Duration) {
	r.started = true
	r.start, r.end = s, s+1
	r.lastFeedback = arrival
	r.urgent = false
	r.tooOldInARow = 0
	*r.slot(s) = arrivalSlot{seq: s, at: arrival}
}

// pending counts the received packets the next feedback would report.
func (r *FeedbackRecorder) pending() int { return r.received(r.start, r.end) }

// received counts the packets recorded in [from, to).
func (r *FeedbackRecorder) received(from, to int64) int {
	n := 0
	for s := from; s < to; s++ {
		if r.slot(s).seq == s {
			n++
		}
	}
	return n
}

// Due reports whether feedback should be built now: the interval has passed since the last one, a loss burst
// is waiting, or half the history is waiting to be reported.
func (r *FeedbackRecorder) Due(now time.Duration) bool {
	if !r.started || r.start >= r.end {
		return false
	}
	since := now - r.lastFeedback
	switch {
	case since >= r.cfg.Interval:
		return true
	case r.urgent && since >= minUrgentSpacing:
		return true
	default:
		return r.end-r.start >= int64(len(r.slots)/2)
	}
}

// AppendFeedback appends to b the next transport-wide feedback packet, covering the packets recorded since the
// previous one, and returns the extended buffer. ok is false, and b is returned unchanged, when nothing is
// waiting. A feedback that would be larger than MaxFeedbackSize, or whose receive deltas would not fit, is split:
// call AppendFeedback until ok is false. It allocates nothing once its internal buffer has grown to the largest
// feedback. err is an encoding failure (never expected); the range is then dropped so that the caller's loop ends.
func (r *FeedbackRecorder) AppendFeedback(b []byte, now time.Duration) (out []byte, ok bool, err error) {
	if !r.started || r.start >= r.end {
		r.urgent = false
		return b, false, nil
	}
	next := r.fill()
	r.lastFeedback = now
	r.start = next
	if r.start >= r.end {
		r.urgent = false
	}
	out, err = r.fb.AppendTo(b)
	if err != nil {
		return b, false, err
	}
	r.count++
	r.feedbacks.Add(1)
	return out, true, nil
}

// fill sets r.fb to the feedback that starts at r.start and returns the first number it does not cover.
func (r *FeedbackRecorder) fill() int64 {
	fb := &r.fb
	fb.BaseSequence = uint16(r.start)
	fb.FeedbackCount = r.count
	fb.Arrivals = fb.Arrivals[:0]
	budget := r.cfg.MaxFeedbackSize - feedbackFixedSize
	deltaBytes := 0
	var at time.Duration // the arrival time the next delta is taken from, rounded as the encoder rounds it
	s := r.start
	for ; s < r.end && s-r.start < maxFeedbackCount; s++ {
		sl := r.slot(s)
		if sl.seq != s {
			if s > r.start && chunkBytes(s-r.start+1)+deltaBytes > budget {
				break
			}
			continue
		}
		if len(fb.Arrivals) == 0 {
			fb.ReferenceTime = rtcp.TransportCCReferenceTime(sl.at)
			at = time.Duration(fb.ReferenceTime) * rtcp.TransportCCReferenceUnit
		}
		units := int64((sl.at - at).Round(rtcp.TransportCCDeltaUnit) / rtcp.TransportCCDeltaUnit)
		size := 1
		if units < 0 || units > smallDeltaMax {
			size = 2
		}
		// The first number is always taken, so that every feedback makes progress (the budget holds dozens).
		if s > r.start && (units < largeDeltaMin || units > largeDeltaMax ||
			chunkBytes(s-r.start+1)+deltaBytes+size > budget) {
			break
		}
		at += time.Duration(units) * rtcp.TransportCCDeltaUnit
		deltaBytes += size
		fb.Arrivals = append(fb.Arrivals, rtcp.PacketArrival{Sequence: uint16(s), Arrival: sl.at})
	}
	fb.PacketCount = uint16(s - r.start)
	return s
}

// chunkBytes is the most bytes of status chunks that n packets take: seven 2-bit symbols per chunk at worst.
func chunkBytes(n int64) int { return int((n + 6) / 7 * 2) }

// Stats returns the recorder's counters; it may be called from any goroutine.
func (r *FeedbackRecorder) Stats() RecorderStats {
	return RecorderStats{
		Feedbacks: r.feedbacks.Load(), Duplicates: r.duplicates.Load(), Late: r.late.Load(),
		TooOld: r.tooOld.Load(), Jumps: r.jumps.Load(), Unreported: r.unreported.Load(), Restarts: r.restarts.Load(),
	}
}
