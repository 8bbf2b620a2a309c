package codecs

import "encoding/binary"

// H264NALUnitType is the 5-bit type of an H264 NAL unit header (ITU-T H.264 table 7-1, RFC 6184 table 1).
type H264NALUnitType uint8

// NAL unit types the media plane looks for, and the RFC 6184 payload structures of packetization mode 1.
const (
	H264NALSlice H264NALUnitType = 1
	H264NALIDR   H264NALUnitType = 5
	H264NALSEI   H264NALUnitType = 6
	H264NALSPS   H264NALUnitType = 7
	H264NALPPS   H264NALUnitType = 8
	H264NALAUD   H264NALUnitType = 9
	H264STAPA    H264NALUnitType = 24
	H264FUA      H264NALUnitType = 28
)

const (
	h264TypeMask      = 0x1f
	h264ForbiddenBit  = 0x80
	h264MaxSingleType = 23
	h264FUHeaderSize  = 2
	h264STAPSizeLen   = 2
)

// H264Packet describes one H264 RTP payload (RFC 6184): which NAL units it carries and, for an FU-A fragment, where
// in its NAL unit it lies.
type H264Packet struct {
	// Type is the payload structure: a single NAL unit type (1-23), H264STAPA or H264FUA.
	Type H264NALUnitType
	// FragmentStart and FragmentEnd are the S and E bits of an FU-A; both true for single NAL units and STAP-A.
	FragmentStart bool
	FragmentEnd   bool
	// carried has bit t set when a NAL unit of type t is in the packet (for FU-A: the fragmented unit's type).
	carried uint32
}

// Unmarshal parses payload. It rejects the forbidden bit, undefined types (0, 30, 31), the interleaved-mode
// structures (STAP-B, MTAP, FU-B) that WebRTC's packetization mode 1 never sends, and truncated aggregates.
func (p *H264Packet) Unmarshal(payload []byte) error {
	*p = H264Packet{}
	if len(payload) < 1 {
		return ErrShortPayload
	}
	if payload[0]&h264ForbiddenBit != 0 {
		return ErrH264ForbiddenBit
	}
	p.Type = H264NALUnitType(payload[0] & h264TypeMask)
	switch {
	case p.Type >= 1 && p.Type <= h264MaxSingleType:
		p.FragmentStart, p.FragmentEnd = true, true
		p.carried = 1 << p.Type
		return nil
	case p.Type == H264STAPA:
		p.FragmentStart, p.FragmentEnd = true, true
		return p.unmarshalSTAPA(payload[1:])
	case p.Type == H264FUA:
		return p.unmarshalFUA(payload)
	default:
		return ErrH264NALType
	}
}

// unmarshalSTAPA walks the aggregation units: a 16-bit size, then a NAL unit of that size, at least one of them.
func (p *H264Packet) unmarshalSTAPA(units []byte) error {
	if len(units) == 0 {
		return ErrH264Aggregation
	}
	for len(units) > 0 {
		if len(units) < h264STAPSizeLen {
			return ErrH264Aggregation
		}
		size := int(binary.BigEndian.Uint16(units))
		units = units[h264STAPSizeLen:]
		if size == 0 || size > len(units) {
			return ErrH264Aggregation
		}
		nal := units[0]
		if nal&h264ForbiddenBit != 0 {
			return ErrH264ForbiddenBit
		}
		t := nal & h264TypeMask
		if t == 0 || t > h264MaxSingleType {
			return ErrH264NALType
		}
		p.carried |= 1 << t
		units = units[size:]
	}
	return nil
}

// unmarshalFUA reads the FU indicator and FU header: S, E and the fragmented unit's type.
func (p *H264Packet) unmarshalFUA(payload []byte) error {
	if len(payload) < h264FUHeaderSize {
		return ErrShortPayload
	}
	fu := payload[1]
	p.FragmentStart = fu&0x80 != 0
	p.FragmentEnd = fu&0x40 != 0
	t := fu & h264TypeMask
	if t == 0 || t > h264MaxSingleType {
		return ErrH264FUType
	}
	p.carried = 1 << t
	return nil
}

// Carries reports whether the packet holds a NAL unit, or a fragment of one, of type t.
func (p *H264Packet) Carries(t H264NALUnitType) bool {
	return t < 32 && p.carried&(1<<t) != 0
}

// StartsKeyframe reports whether the packet is where a decoder can start: it begins an IDR slice (a single IDR NAL
// unit, a STAP-A holding one, or the first FU-A fragment of one), or it carries both parameter sets, SPS and PPS,
// which encoders send right before the IDR of the same access unit (libwebrtc aggregates them into a STAP-A ahead of
// a fragmented IDR). A STAP-A or FU-A of ordinary slices is no keyframe, whatever its structure.
func (p *H264Packet) StartsKeyframe() bool {
	if p.Carries(H264NALIDR) && p.FragmentStart {
		return true
	}
	return p.Carries(H264NALSPS) && p.Carries(H264NALPPS)
}

// H264StartsKeyframe reports whether payload starts an H264 keyframe, as H264Packet.StartsKeyframe does.
func H264StartsKeyframe(payload []byte) bool {
	var p H264Packet
	return p.Unmarshal(payload) == nil && p.StartsKeyframe()
}
