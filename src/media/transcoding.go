package media

import (
	"fmt"
	"strconv"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
)

// The media plane transcodes through the small interface below, which main implements with src/transcode
// (GStreamer): media imports neither, and its tests use a fake. A nil Config.Transcoder is pure forwarding.

// VideoTranscoder makes a decoder per publisher video track.
type VideoTranscoder interface {
	// NewDecoder returns a decoder of codec (an SDP encoding name: VP8, VP9, H264) for one publisher track.
	// requestKeyframe asks the publisher for a keyframe; the decoder calls it from Push, throttled.
	NewDecoder(codec string, requestKeyframe func()) (VideoDecoder, error)
	// Decodes and Encodes report whether the transcoder can decode or encode codec (an SDP encoding name).
	Decodes(codec string) bool
	Encodes(codec string) bool
}

// VideoDecoder decodes one publisher track for the encoders made from it. It costs nothing while it has no
// encoder, and stops decoding a little after its last encoder closed.
type VideoDecoder interface {
	// Push gives the decoder the publisher's next packet, in sequence order; called on the publisher's goroutine,
	// it never blocks. A gap or a broken frame makes the decoder ask for a keyframe and wait for it.
	Push(pkt *rtp.Packet)
	// NewEncoder starts an encoder of the decoded picture.
	NewEncoder(p EncoderParams) (VideoEncoder, error)
	// Close closes the decoder and its encoders.
	Close() error
}

// EncoderParams describe one encoder: a tier in a codec.
type EncoderParams struct {
	// Codec is the SDP encoding name sent: VP8 or H264.
	Codec string
	Tier  Tier
	// Output receives the encoder's packets in order, on the encoder's own goroutine; it must not block nor
	// close the encoder.
	Output func(EncodedPacket)
}

// EncodedPacket is one RTP packet of an encoder.
type EncodedPacket struct {
	// Data is the marshalled packet (the encoder's SSRC, sequence numbers and timestamps), the receiver's to keep.
	Data []byte
	// Keyframe is set on the first packet of a keyframe.
	Keyframe bool
	// SourceTimestamp is the RTP timestamp of the publisher's frame this packet's was made from: the packet's
	// timestamp minus it is the encoder's constant, through which the publisher's SRs map the tier's clock.
	SourceTimestamp uint32
}

// VideoEncoder is one encoder; safe for concurrent use.
type VideoEncoder interface {
	// SetBitrate changes the target bitrate, in bit/s.
	SetBitrate(bps int) error
	// ForceKeyframe asks for a keyframe soon (throttled by the encoder).
	ForceKeyframe()
	// Close stops the encoder; no packet is output after it returns.
	Close() error
}

// Tier is one rung of the quality ladder (TRANSCODE_TIERS): the box the picture is scaled into, the frame rate and
// the highest bitrate, in bit/s.
type Tier struct {
	Width, Height, FrameRate, Bitrate int
}

// String is the tier's box, "640x480", its label in metrics and /state.
func (t Tier) String() string {
	return strconv.Itoa(t.Width) + "x" + strconv.Itoa(t.Height)
}

// validateTiers checks a ladder as the policy needs it: from the best to the worst, bitrates falling.
func validateTiers(tiers []Tier) error {
	for i, t := range tiers {
		if t.Width <= 0 || t.Height <= 0 || t.FrameRate <= 0 || t.Bitrate <= 0 {
			return fmt.Errorf("%w: tier %d (%+v) not positive", ErrBadConfig, i+1, t)
		}
		if i > 0 && t.Bitrate >= tiers[i-1].Bitrate {
			return fmt.Errorf("%w: tier %d bitrate %d not below the tier before", ErrBadConfig, i+1, t.Bitrate)
		}
	}
	return nil
}
