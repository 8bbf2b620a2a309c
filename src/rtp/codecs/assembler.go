package codecs

import (
	"fmt"
	"strings"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
)

// DefaultMaxFrameSize bounds the frames a FrameAssembler builds by default: 4 MiB, far above any real-time frame
// (a 1080p keyframe at high quality is a few hundred kilobytes), so that garbage cannot grow a frame without end.
const DefaultMaxFrameSize = 4 << 20

// depacketizer is the codec-specific part of a FrameAssembler.
type depacketizer interface {
	// startsFrame reports whether payload is the first packet of a frame.
	startsFrame(payload []byte) bool
	// appendPayload appends the codec data of one payload to frame; first is true for the frame's first packet.
	appendPayload(frame, payload []byte, first bool) ([]byte, error)
	// finish completes a frame after its last packet, possibly in another buffer, and reports whether it is a
	// keyframe: a frame a decoder can start from.
	finish(frame []byte) ([]byte, bool, error)
	// reset forgets the frame under construction.
	reset()
}

// FrameAssemblerConfig configures a FrameAssembler.
type FrameAssemblerConfig struct {
	// Codec is the encoding name of the stream, as in an SDP rtpmap: "VP8", "VP9" or "H264" (case-insensitive).
	Codec string
	// MaxFrameSize bounds a frame; 0 means DefaultMaxFrameSize.
	MaxFrameSize int
}

// Frame is one complete encoded frame rebuilt from RTP packets: for VP8 and VP9 the codec's frame, for H264 an
// access unit in Annex B byte-stream form.
type Frame struct {
	// Data is valid until the next call to Push.
	Data []byte
	// Timestamp is the RTP timestamp of the frame's packets.
	Timestamp uint32
	// Keyframe is true when a decoder can start from this frame.
	Keyframe bool
}

// AssemblerStats counts what a FrameAssembler did with the packets it was given.
type AssemblerStats struct {
	// Frames counts the frames returned, Keyframes those of them that are keyframes.
	Frames, Keyframes uint64
	// Gaps counts the losses detected (a jump in sequence numbers), Lost the packets missing in them.
	Gaps, Lost uint64
	// Broken counts the frames that arrived whole but malformed, or without their start or end.
	Broken uint64
	// Duplicates and Late count packets ignored because they were already seen or came after newer ones.
	Duplicates, Late uint64
	// DroppedFrames counts complete frames not returned while waiting for a keyframe, DroppedPackets the packets
	// of incomplete or broken frames that were thrown away.
	DroppedFrames, DroppedPackets uint64
}

// FrameAssembler rebuilds the encoded frames of one RTP video stream from its packets, given in sequence order
// (after the publisher's losses were repaired by NACK, so that what remains missing is lost for good). It never
// returns a frame that is incomplete or malformed, nor one that depends on a frame that was lost: after a gap or
// a broken frame it drops everything until the next keyframe, and the caller, told by the error, asks the sender
// for one. It starts waiting for a keyframe.
//
// A frame ends with the packet that has the RTP marker bit. A packet of another timestamp before that marker
// breaks the frame.
//
// A FrameAssembler is not safe for concurrent use.
type FrameAssembler struct {
	dep     depacketizer
	maxSize int

	started bool
	lastSeq uint16
	lastTS  uint32

	inFrame      bool
	frameTS      uint32
	frame        []byte
	framePackets uint64
	skipping     bool // dropping the rest of a frame already given up, until its marker or another timestamp
	skipTS       uint32
	waitingKF    bool

	stats AssemblerStats
}

// NewFrameAssembler returns a FrameAssembler for the codec with this encoding name ("VP8", "VP9", "H264").
func NewFrameAssembler(codec string) (*FrameAssembler, error) {
	return NewFrameAssemblerWith(FrameAssemblerConfig{Codec: codec})
}

// NewFrameAssemblerWith returns a FrameAssembler configured by cfg.
func NewFrameAssemblerWith(cfg FrameAssemblerConfig) (*FrameAssembler, error) {
	var dep depacketizer
	switch strings.ToUpper(cfg.Codec) {
	case "VP8":
		dep = vp8Depacketizer{}
	case "VP9":
		dep = &vp9Depacketizer{}
	case "H264":
		dep = &h264Depacketizer{}
	default:
		return nil, fmt.Errorf("codecs: no frame assembler for codec %q (VP8, VP9, H264)", cfg.Codec)
	}
	maxSize := cfg.MaxFrameSize
	switch {
	case maxSize == 0:
		maxSize = DefaultMaxFrameSize
	case maxSize < 0:
		return nil, fmt.Errorf("codecs: negative maximum frame size %d", maxSize)
	}
	return &FrameAssembler{dep: dep, maxSize: maxSize, waitingKF: true}, nil
}

// WaitingForKeyframe reports whether the assembler drops frames until a keyframe: at the start, and after a gap
// or a broken frame. A caller that asked for a keyframe and still waits asks again, throttled.
func (a *FrameAssembler) WaitingForKeyframe() bool {
	return a.waitingKF
}

// RequireKeyframe makes the assembler drop frames until the next keyframe, e.g. after the decoder fed by it
// failed on a frame.
func (a *FrameAssembler) RequireKeyframe() {
	a.waitingKF = true
}

// Stats returns the assembler's counters.
func (a *FrameAssembler) Stats() AssemblerStats {
	return a.stats
}

// Push adds the next packet of the stream. When the packet completes a frame that can be decoded, Push returns
// it with ok true. The error is ErrFrameGap or wraps ErrFrameBroken when this packet reveals a loss or a broken
// frame; the assembler then waits for a keyframe, and reports each such incident once.
func (a *FrameAssembler) Push(pkt *rtp.Packet) (frame Frame, ok bool, err error) {
	if a.started {
		switch d := int16(pkt.SequenceNumber - a.lastSeq); {
		case d == 0:
			a.stats.Duplicates++
			return Frame{}, false, nil
		case d < 0 && d > -maxLate:
			a.stats.Late++
			return Frame{}, false, nil
		case d > 1 || d < 0:
			// A jump far back is a discontinuity (the sender restarted its numbering): a gap as well.
			a.stats.Gaps++
			if d > 1 {
				a.stats.Lost += uint64(d - 1)
			}
			a.abort()
			// The lost packets may have been this frame's start: skip the rest of the timestamp the gap fell in.
			a.skipping, a.skipTS = true, a.lastTS
			err = ErrFrameGap
		}
	}
	a.started, a.lastSeq, a.lastTS = true, pkt.SequenceNumber, pkt.Timestamp

	if a.inFrame && pkt.Timestamp != a.frameTS {
		err = a.broken(errNoMarker)
	}
	if a.skipping {
		if pkt.Timestamp == a.skipTS {
			return a.skip(pkt, err)
		}
		a.skipping = false
	}
	first := !a.inFrame
	if first {
		if !a.dep.startsFrame(pkt.Payload) {
			// After a gap this is the rest of a frame whose start was lost: already reported.
			if err == nil {
				err = a.broken(errNoStart)
			}
			return a.skip(pkt, err)
		}
		a.inFrame, a.frameTS, a.frame, a.framePackets = true, pkt.Timestamp, a.frame[:0], 0
		a.dep.reset()
	}
	next, appendErr := a.dep.appendPayload(a.frame, pkt.Payload, first)
	if appendErr == nil && len(next) > a.maxSize {
		appendErr = errFrameTooLarge
	}
	if appendErr != nil {
		return a.skip(pkt, firstError(err, a.broken(appendErr)))
	}
	a.frame = next
	a.framePackets++
	if !pkt.Marker {
		return Frame{}, false, err
	}
	return a.complete(err)
}

// maxLate is how far back a packet's sequence number may be to count as late; further back is a discontinuity.
const maxLate = 1 << 10

// complete finishes the frame that the marker bit ended.
func (a *FrameAssembler) complete(err error) (Frame, bool, error) {
	data, keyframe, finishErr := a.dep.finish(a.frame)
	if finishErr != nil {
		return Frame{}, false, firstError(err, a.broken(finishErr))
	}
	a.inFrame = false
	if a.waitingKF && !keyframe {
		a.stats.DroppedFrames++
		return Frame{}, false, err
	}
	a.waitingKF = false
	a.stats.Frames++
	if keyframe {
		a.stats.Keyframes++
	}
	return Frame{Data: data, Timestamp: a.frameTS, Keyframe: keyframe}, true, err
}

// broken gives up the frame under construction and returns the error that reports it.
func (a *FrameAssembler) broken(reason error) error {
	a.stats.Broken++
	a.abort()
	return fmt.Errorf("%w: %w", ErrFrameBroken, reason)
}

// abort drops the frame under construction and waits for a keyframe.
func (a *FrameAssembler) abort() {
	if a.inFrame {
		a.stats.DroppedPackets += a.framePackets
	}
	a.inFrame = false
	a.skipping = false
	a.frame = a.frame[:0]
	a.dep.reset()
	a.waitingKF = true
}

// skip drops pkt and the rest of its frame: the packets of the same timestamp up to the marker bit.
func (a *FrameAssembler) skip(pkt *rtp.Packet, err error) (Frame, bool, error) {
	a.stats.DroppedPackets++
	a.skipping = !pkt.Marker
	a.skipTS = pkt.Timestamp
	return Frame{}, false, err
}

// firstError returns the first non-nil of the two.
func firstError(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
