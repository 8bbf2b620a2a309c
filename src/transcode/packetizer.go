package transcode

import (
	"fmt"
	"math/rand/v2"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp/codecs"
)

// Packet is one RTP packet an Encoder sends.
type Packet struct {
	// Data is the marshalled RTP packet: a 12-byte header (no CSRC, no extension) and the payload. It is the
	// receiver's to keep: the encoder never touches it again.
	Data []byte
	// SequenceNumber, Timestamp and Marker repeat the header's fields.
	SequenceNumber uint16
	Timestamp      uint32
	Marker         bool
	// Keyframe is set on the first packet of a keyframe: where a receiver can start.
	Keyframe bool
	// SourceTimestamp is the RTP timestamp of the publisher's frame this one was made from. Timestamp is
	// SourceTimestamp plus a constant of the encoder, both on the 90 kHz clock, so the publisher's sender reports
	// map the encoder's timestamps to wall-clock time too.
	SourceTimestamp uint32
}

// payloader is what codecs.VP8Payloader and codecs.H264Payloader do.
type payloader interface {
	Payload(frame []byte) ([][]byte, error)
}

// packetizer gives an encoder's frames their RTP packets, in the encoder's own SSRC, sequence number and
// timestamp space.
type packetizer struct {
	payloader   payloader
	ssrc        uint32
	payloadType uint8
	seq         uint16
	tsOffset    uint32
}

// newPacketizer starts the sequence number, the timestamp offset and (VP8) the picture id at random values, as
// RFC 3550 asks.
func newPacketizer(c Codec, ssrc uint32, payloadType uint8, budget int) (*packetizer, error) {
	if payloadType > rtp.MaxPayloadType {
		return nil, fmt.Errorf("transcode: payload type %d above %d", payloadType, rtp.MaxPayloadType)
	}
	var p payloader
	var err error
	switch c {
	case VP8:
		p, err = codecs.NewVP8PayloaderWith(codecs.VP8PayloaderConfig{
			PayloadBudget: budget, PictureID: uint16(rand.IntN(0x8000)),
		})
	case H264:
		p, err = codecs.NewH264PayloaderWith(codecs.H264PayloaderConfig{PayloadBudget: budget})
	default:
		err = fmt.Errorf("transcode: no payloader for codec %q", c)
	}
	if err != nil {
		return nil, err
	}
	return &packetizer{
		payloader: p, ssrc: ssrc, payloadType: payloadType,
		seq: uint16(rand.Uint32()), tsOffset: rand.Uint32(),
	}, nil
}

// packetize splits one encoded frame into RTP packets and hands them to emit in order. The packets of a frame
// share one new buffer.
func (p *packetizer) packetize(frame []byte, sourceTS uint32, keyframe bool, emit func(Packet)) error {
	payloads, err := p.payloader.Payload(frame)
	if err != nil {
		return err
	}
	size := 0
	for _, payload := range payloads {
		size += rtp.FixedHeaderSize + len(payload)
	}
	buf := make([]byte, size)
	ts := sourceTS + p.tsOffset
	off := 0
	for i, payload := range payloads {
		pkt := rtp.Packet{
			Header: rtp.Header{
				Marker: i == len(payloads)-1, PayloadType: p.payloadType, SequenceNumber: p.seq, Timestamp: ts,
				SSRC: p.ssrc,
			},
			Payload: payload,
		}
		n, err := pkt.MarshalTo(buf[off:])
		if err != nil {
			return err
		}
		emit(Packet{
			Data: buf[off : off+n : off+n], SequenceNumber: p.seq, Timestamp: ts, Marker: pkt.Marker,
			Keyframe: keyframe && i == 0, SourceTimestamp: sourceTS,
		})
		off += n
		p.seq++
	}
	return nil
}
