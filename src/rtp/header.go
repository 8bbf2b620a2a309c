package rtp

import (
	"encoding/binary"
	"slices"
)

// Sizes and limits of the RTP fixed header (RFC 3550 section 5.1).
const (
	// Version is the only RTP version this package reads or writes.
	Version = 2
	// FixedHeaderSize is the size of the header without CSRCs and extension.
	FixedHeaderSize = 12
	// MaxCSRC is the largest CSRC count the 4-bit CC field can carry.
	MaxCSRC = 15
	// MaxPayloadType is the largest payload type the 7-bit PT field can carry.
	MaxPayloadType = 127

	extensionHeaderSize = 4
	maxExtensionWords   = 0xffff
)

// Header is an RTP header. Unmarshal fills it without allocating: ExtensionPayload then points into the parsed buffer.
type Header struct {
	// Padding is the P bit. Packet.Unmarshal and Packet.MarshalTo derive it from Packet.PaddingSize.
	Padding bool
	// Extension is the X bit: a header extension block follows the CSRCs.
	Extension      bool
	Marker         bool
	PayloadType    uint8
	SequenceNumber uint16
	Timestamp      uint32
	SSRC           uint32
	// CSRCCount is how many entries of CSRC are in use (the CC field).
	CSRCCount uint8
	// CSRC is a fixed array so that parsing never allocates; see CSRCs.
	CSRC [MaxCSRC]uint32
	// ExtensionProfile is the 16-bit "defined by profile" field: ProfileOneByte, a two-byte profile, or anything else.
	ExtensionProfile uint16
	// ExtensionPayload is the extension block after its 4-byte header: the elements and their padding.
	// MarshalTo pads it with zero bytes to a 32-bit boundary.
	ExtensionPayload []byte
}

// CSRCs returns the contributing sources in use, as a slice of h.CSRC.
func (h *Header) CSRCs() []uint32 {
	return h.CSRC[:h.CSRCCount]
}

// Unmarshal parses the header at the start of buf and returns its length, which is the offset of the payload.
// It checks the version, the CSRC list, the extension block's length and, for the one-byte and two-byte forms,
// that every extension element lies inside the block.
func (h *Header) Unmarshal(buf []byte) (int, error) {
	if len(buf) < FixedHeaderSize {
		return 0, ErrHeaderTooShort
	}
	if buf[0]>>6 != Version {
		return 0, ErrVersion
	}
	h.Padding = buf[0]&0x20 != 0
	h.Extension = buf[0]&0x10 != 0
	h.CSRCCount = buf[0] & 0x0f
	h.Marker = buf[1]&0x80 != 0
	h.PayloadType = buf[1] & 0x7f
	h.SequenceNumber = binary.BigEndian.Uint16(buf[2:])
	h.Timestamp = binary.BigEndian.Uint32(buf[4:])
	h.SSRC = binary.BigEndian.Uint32(buf[8:])

	n := FixedHeaderSize + 4*int(h.CSRCCount)
	if len(buf) < n {
		return 0, ErrHeaderTooShort
	}
	for i := range int(h.CSRCCount) {
		h.CSRC[i] = binary.BigEndian.Uint32(buf[FixedHeaderSize+4*i:])
	}

	h.ExtensionProfile = 0
	h.ExtensionPayload = nil
	if !h.Extension {
		return n, nil
	}
	if len(buf) < n+extensionHeaderSize {
		return 0, ErrHeaderTooShort
	}
	h.ExtensionProfile = binary.BigEndian.Uint16(buf[n:])
	size := 4 * int(binary.BigEndian.Uint16(buf[n+2:]))
	n += extensionHeaderSize
	if len(buf) < n+size {
		return 0, ErrHeaderTooShort
	}
	h.ExtensionPayload = buf[n : n+size : n+size]
	if err := validateExtensions(h.ExtensionProfile, h.ExtensionPayload); err != nil {
		return 0, err
	}
	return n + size, nil
}

// MarshalSize returns the number of bytes MarshalTo writes.
func (h *Header) MarshalSize() int {
	n := FixedHeaderSize + 4*int(h.CSRCCount)
	if h.Extension {
		n += extensionHeaderSize + paddedLen(len(h.ExtensionPayload))
	}
	return n
}

// MarshalTo writes the header at the start of buf and returns the number of bytes written.
func (h *Header) MarshalTo(buf []byte) (int, error) {
	if h.CSRCCount > MaxCSRC {
		return 0, ErrTooManyCSRC
	}
	if h.PayloadType > MaxPayloadType {
		return 0, ErrPayloadType
	}
	if h.Extension && paddedLen(len(h.ExtensionPayload)) > 4*maxExtensionWords {
		return 0, ErrExtensionTooLong
	}
	size := h.MarshalSize()
	if len(buf) < size {
		return 0, ErrBufferTooSmall
	}
	buf[0] = Version<<6 | h.CSRCCount
	if h.Padding {
		buf[0] |= 0x20
	}
	if h.Extension {
		buf[0] |= 0x10
	}
	buf[1] = h.PayloadType
	if h.Marker {
		buf[1] |= 0x80
	}
	binary.BigEndian.PutUint16(buf[2:], h.SequenceNumber)
	binary.BigEndian.PutUint32(buf[4:], h.Timestamp)
	binary.BigEndian.PutUint32(buf[8:], h.SSRC)
	n := FixedHeaderSize
	for _, csrc := range h.CSRCs() {
		binary.BigEndian.PutUint32(buf[n:], csrc)
		n += 4
	}
	if !h.Extension {
		return n, nil
	}
	padded := paddedLen(len(h.ExtensionPayload))
	binary.BigEndian.PutUint16(buf[n:], h.ExtensionProfile)
	binary.BigEndian.PutUint16(buf[n+2:], uint16(padded/4))
	n += extensionHeaderSize
	n += copy(buf[n:], h.ExtensionPayload)
	clear(buf[n:size])
	return size, nil
}

// AppendBinary appends the marshalled header to b (encoding.BinaryAppender). It does not allocate when b has room.
func (h *Header) AppendBinary(b []byte) ([]byte, error) {
	start, size := len(b), h.MarshalSize()
	b = slices.Grow(b, size)[:start+size]
	n, err := h.MarshalTo(b[start:])
	return b[:start+n], err
}

// paddedLen rounds n up to a multiple of 4.
func paddedLen(n int) int {
	return (n + 3) &^ 3
}
