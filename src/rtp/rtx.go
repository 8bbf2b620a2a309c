package rtp

import "encoding/binary"

// osnSize is the size of the original sequence number that starts an RTX payload (RFC 4588 section 4).
const osnSize = 2

// UnwrapRTX turns an RTX packet back into the original packet, in place, and returns it: a sub-slice of pkt that
// starts 2 bytes later. The sequence number comes from the OSN field; the SSRC and payload type are the original
// stream's, which the caller knows from the SDP (a=fmtp:<rtx pt> apt=<original pt> and the ssrc-group FID): they are
// never derived from the RTX ones. Marker, timestamp, CSRCs, extensions and padding are kept.
//
// An RTX packet without payload is a padding-only probe (bandwidth estimation) and returns ErrRTXPaddingOnly, which
// the caller drops without counting an error.
func UnwrapRTX(pkt []byte, originalSSRC uint32, originalPayloadType uint8) ([]byte, error) {
	if originalPayloadType > MaxPayloadType {
		return nil, ErrPayloadType
	}
	var p Packet
	if err := p.Unmarshal(pkt); err != nil {
		return nil, err
	}
	switch {
	case len(p.Payload) == 0:
		return nil, ErrRTXPaddingOnly
	case len(p.Payload) < osnSize:
		return nil, ErrRTXTooShort
	}
	osn := binary.BigEndian.Uint16(p.Payload)
	headerLen := len(pkt) - len(p.Payload) - int(p.PaddingSize)
	copy(pkt[osnSize:osnSize+headerLen], pkt[:headerLen])
	orig := pkt[osnSize:]
	putPayloadType(orig, originalPayloadType)
	putSequenceNumber(orig, osn)
	putSSRC(orig, originalSSRC)
	return orig, nil
}

// AppendRTX appends to dst the RTX packet (RFC 4588) that retransmits original, and returns the extended slice. It
// does not allocate when dst has room for len(original)+2 bytes. The RTX packet keeps the original's marker,
// timestamp, CSRCs and header extensions; its payload is the original sequence number followed by the original
// payload, without the original's padding.
func AppendRTX(dst, original []byte, rtxSSRC uint32, rtxPayloadType uint8, rtxSequenceNumber uint16) ([]byte, error) {
	if rtxPayloadType > MaxPayloadType {
		return dst, ErrPayloadType
	}
	var p Packet
	if err := p.Unmarshal(original); err != nil {
		return dst, err
	}
	headerLen := len(original) - len(p.Payload) - int(p.PaddingSize)
	start := len(dst)
	dst = append(dst, original[:headerLen]...)
	dst = binary.BigEndian.AppendUint16(dst, p.SequenceNumber)
	dst = append(dst, p.Payload...)
	rtx := dst[start:]
	rtx[0] &^= 0x20
	putPayloadType(rtx, rtxPayloadType)
	putSequenceNumber(rtx, rtxSequenceNumber)
	putSSRC(rtx, rtxSSRC)
	return dst, nil
}
