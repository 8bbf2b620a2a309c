package codecs

// OpusPacket describes one Opus packet (RFC 6716 section 3), the whole payload of an Opus RTP packet (RFC 7587).
type OpusPacket struct {
	// Config is the 5-bit configuration number of the TOC byte: mode, bandwidth and frame duration.
	Config uint8
	Stereo bool
	// FrameCount is the number of frames in the packet, 1 to 48.
	FrameCount int
	// FrameSamples is the duration of one frame in samples at 48 kHz, the Opus RTP clock rate.
	FrameSamples int
}

const (
	opusMaxPacketSamples = 5760 // 120 ms at 48 kHz, RFC 6716 section 3.2.5
	opusMaxFrameLen      = 1275
	opusCBRTwoFrames     = 1
	opusVBRTwoFrames     = 2
	opusArbitraryFrames  = 3
)

// opusFrameSamples is the frame duration at 48 kHz for each configuration number (RFC 6716 table 2): SILK
// 10/20/40/60 ms, hybrid 10/20 ms, CELT 2.5/5/10/20 ms.
var opusFrameSamples = [32]int{
	480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 1920, 2880,
	480, 960, 480, 960,
	120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960,
}

// Unmarshal parses the TOC byte and the frame count, and checks the frame lengths against the packet's size as
// RFC 6716 section 3.4 requires (R1-R7).
func (p *OpusPacket) Unmarshal(payload []byte) error {
	*p = OpusPacket{}
	if len(payload) < 1 {
		return ErrShortPayload
	}
	toc := payload[0]
	p.Config = toc >> 3
	p.Stereo = toc&0x04 != 0
	p.FrameSamples = opusFrameSamples[p.Config]
	rest := payload[1:]
	switch toc & 0x03 {
	case 0:
		p.FrameCount = 1
		if len(rest) > opusMaxFrameLen {
			return ErrOpusFrames
		}
	case opusCBRTwoFrames:
		p.FrameCount = 2
		if len(rest)%2 != 0 || len(rest)/2 > opusMaxFrameLen {
			return ErrOpusFrames
		}
	case opusVBRTwoFrames:
		p.FrameCount = 2
		first, n, err := opusFrameLen(rest)
		if err != nil {
			return err
		}
		if first > len(rest)-n || len(rest)-n-first > opusMaxFrameLen {
			return ErrOpusFrames
		}
	case opusArbitraryFrames:
		return p.unmarshalArbitrary(rest)
	}
	return nil
}

// unmarshalArbitrary reads a code 3 packet: frame count byte (VBR flag, padding flag, M), padding length, and the
// frame lengths of a VBR packet.
func (p *OpusPacket) unmarshalArbitrary(rest []byte) error {
	if len(rest) < 1 {
		return ErrShortPayload
	}
	vbr, padded := rest[0]&0x80 != 0, rest[0]&0x40 != 0
	p.FrameCount = int(rest[0] & 0x3f)
	rest = rest[1:]
	if p.FrameCount == 0 || p.FrameCount*p.FrameSamples > opusMaxPacketSamples {
		return ErrOpusFrames
	}
	if padded {
		padding := 0
		for {
			if len(rest) < 1 {
				return ErrShortPayload
			}
			b := rest[0]
			rest = rest[1:]
			if b < 255 {
				padding += int(b)
				break
			}
			padding += 254
		}
		if padding > len(rest) {
			return ErrOpusFrames
		}
		rest = rest[:len(rest)-padding]
	}
	if !vbr {
		if len(rest)%p.FrameCount != 0 || len(rest)/p.FrameCount > opusMaxFrameLen {
			return ErrOpusFrames
		}
		return nil
	}
	total := 0
	for range p.FrameCount - 1 {
		size, n, err := opusFrameLen(rest)
		if err != nil {
			return err
		}
		rest = rest[n:]
		total += size
	}
	if total > len(rest) || len(rest)-total > opusMaxFrameLen {
		return ErrOpusFrames
	}
	return nil
}

// opusFrameLen decodes a 1- or 2-byte frame length (RFC 6716 section 3.2.1) and returns it with its own size.
func opusFrameLen(b []byte) (size, n int, err error) {
	if len(b) < 1 {
		return 0, 0, ErrShortPayload
	}
	if b[0] < 252 {
		return int(b[0]), 1, nil
	}
	if len(b) < 2 {
		return 0, 0, ErrShortPayload
	}
	return int(b[1])*4 + int(b[0]), 2, nil
}

// Samples returns the packet's duration in samples at 48 kHz: the RTP timestamp step to the next packet.
func (p *OpusPacket) Samples() int {
	return p.FrameCount * p.FrameSamples
}
