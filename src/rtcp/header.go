package rtcp

import (
	"encoding/binary"
	"fmt"
)

// PacketType is the RTCP packet type (PT) field.
type PacketType uint8

// Packet types of RFC 3550 and RFC 4585.
const (
	TypeSenderReport      PacketType = 200
	TypeReceiverReport    PacketType = 201
	TypeSourceDescription PacketType = 202
	TypeGoodbye           PacketType = 203
	TypeApplication       PacketType = 204
	TypeTransportFeedback PacketType = 205 // RTPFB
	TypePayloadFeedback   PacketType = 206 // PSFB
)

// Feedback message types (the FMT field of RTPFB and PSFB packets).
const (
	FormatNACK        uint8 = 1  // RTPFB generic NACK, RFC 4585 6.2.1
	FormatTransportCC uint8 = 15 // RTPFB transport-wide CC feedback
	FormatPLI         uint8 = 1  // PSFB picture loss indication, RFC 4585 6.3.1
	FormatFIR         uint8 = 4  // PSFB full intra request, RFC 5104 4.3.1
	FormatAFB         uint8 = 15 // PSFB application layer feedback, used by REMB
)

const (
	version      = 2
	headerLength = 4
	// maxCount is the largest value of the 5-bit RC, SC and FMT fields.
	maxCount = 31
	// maxWords is the largest packet size in 32-bit words that the length field can describe.
	maxWords = 1 << 16
)

// Header is the 4-byte header common to every RTCP packet.
type Header struct {
	Padding bool
	// Count is the 5-bit field after the padding bit: report count, source count or feedback format.
	Count uint8
	Type  PacketType
	// Length is the packet's length in 32-bit words minus one, header and padding included, as on the wire.
	Length uint16
}

// Size is the size in bytes of the packet the header announces.
func (h Header) Size() int { return (int(h.Length) + 1) * 4 }

// Unmarshal decodes the header at the start of b. It checks the version, not the announced length.
func (h *Header) Unmarshal(b []byte) error {
	if len(b) < headerLength {
		return fmt.Errorf("%w: %d bytes, a header needs %d", ErrTruncated, len(b), headerLength)
	}
	if v := b[0] >> 6; v != version {
		return fmt.Errorf("%w: %d", ErrVersion, v)
	}
	h.Padding = b[0]&0x20 != 0
	h.Count = b[0] & 0x1f
	h.Type = PacketType(b[1])
	h.Length = binary.BigEndian.Uint16(b[2:4])
	return nil
}

// appendHeader appends a header without padding for a packet of size bytes (a multiple of 4).
func appendHeader(b []byte, count uint8, typ PacketType, size int) []byte {
	return append(b, version<<6|count&0x1f, byte(typ), byte((size/4-1)>>8), byte(size/4-1))
}

// body checks that b is exactly one packet of type typ (and format or count fmt when fmt >= 0) and returns its
// header and its content after the header, padding removed.
func body(b []byte, typ PacketType, format int) (Header, []byte, error) {
	var h Header
	if err := h.Unmarshal(b); err != nil {
		return h, nil, err
	}
	if h.Type != typ || (format >= 0 && int(h.Count) != format) {
		return h, nil, fmt.Errorf("%w: type %d format %d", ErrWrongType, h.Type, h.Count)
	}
	if h.Size() != len(b) {
		return h, nil, fmt.Errorf("%w: header announces %d bytes, packet has %d", ErrLength, h.Size(), len(b))
	}
	content := b[headerLength:]
	if h.Padding {
		n := len(content)
		if n == 0 || content[n-1] == 0 || int(content[n-1]) > n {
			return h, nil, fmt.Errorf("%w: padding count does not fit the packet", ErrPadding)
		}
		content = content[:n-int(content[n-1])]
	}
	return h, content, nil
}

// pad4 is the number of bytes that brings n to a multiple of 4.
func pad4(n int) int { return -n & 3 }

func appendZeros(b []byte, n int) []byte {
	for range n {
		b = append(b, 0)
	}
	return b
}
