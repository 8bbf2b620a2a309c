package codecs

import "encoding/binary"

// VP8Descriptor is the VP8 payload descriptor of RFC 7741 section 4.2.
type VP8Descriptor struct {
	// NonReference is the N bit: the frame can be discarded without affecting other frames.
	NonReference bool
	// StartOfPartition is the S bit; with PartitionIndex 0 the packet starts a frame.
	StartOfPartition bool
	// PartitionIndex is the 3-bit PID.
	PartitionIndex uint8

	HasPictureID bool
	// LongPictureID is the M bit: PictureID has 15 bits instead of 7.
	LongPictureID bool
	PictureID     uint16

	HasTL0PICIDX bool
	TL0PICIDX    uint8

	// HasTID is the T bit: TID and LayerSync are present.
	HasTID    bool
	TID       uint8
	LayerSync bool
	// HasKeyIdx is the K bit: KeyIdx is present.
	HasKeyIdx bool
	KeyIdx    uint8
}

// Unmarshal parses the descriptor at the start of payload and returns its length: the VP8 data starts there.
func (d *VP8Descriptor) Unmarshal(payload []byte) (int, error) {
	*d = VP8Descriptor{}
	if len(payload) < 1 {
		return 0, ErrShortPayload
	}
	b := payload[0]
	d.NonReference = b&0x20 != 0
	d.StartOfPartition = b&0x10 != 0
	d.PartitionIndex = b & 0x07
	n := 1
	if b&0x80 == 0 {
		return n, nil
	}

	if len(payload) < n+1 {
		return 0, ErrShortPayload
	}
	x := payload[n]
	n++
	d.HasPictureID = x&0x80 != 0
	d.HasTL0PICIDX = x&0x40 != 0
	d.HasTID = x&0x20 != 0
	d.HasKeyIdx = x&0x10 != 0

	if d.HasPictureID {
		if len(payload) < n+1 {
			return 0, ErrShortPayload
		}
		d.LongPictureID = payload[n]&0x80 != 0
		if d.LongPictureID {
			if len(payload) < n+2 {
				return 0, ErrShortPayload
			}
			d.PictureID = binary.BigEndian.Uint16(payload[n:]) & 0x7fff
			n += 2
		} else {
			d.PictureID = uint16(payload[n] & 0x7f)
			n++
		}
	}
	if d.HasTL0PICIDX {
		if len(payload) < n+1 {
			return 0, ErrShortPayload
		}
		d.TL0PICIDX = payload[n]
		n++
	}
	if d.HasTID || d.HasKeyIdx {
		if len(payload) < n+1 {
			return 0, ErrShortPayload
		}
		if d.HasTID {
			d.TID = payload[n] >> 6
			d.LayerSync = payload[n]&0x20 != 0
		}
		if d.HasKeyIdx {
			d.KeyIdx = payload[n] & 0x1f
		}
		n++
	}
	return n, nil
}

// StartsFrame reports whether the packet carries the first bytes of a frame: the start of partition 0.
func (d *VP8Descriptor) StartsFrame() bool {
	return d.StartOfPartition && d.PartitionIndex == 0
}

// VP8FrameHeader is the start of a VP8 frame (RFC 6386 section 9.1, RFC 7741 section 4.3): present in the packet
// that starts the frame, right after the payload descriptor. Width, height and scales are only set for key frames.
type VP8FrameHeader struct {
	KeyFrame           bool
	Version            uint8
	ShowFrame          bool
	FirstPartitionSize uint32
	Width              uint16
	Height             uint16
	HorizontalScale    uint8
	VerticalScale      uint8
}

const (
	vp8FrameTagSize      = 3
	vp8KeyFrameHeaderLen = 10
)

// Unmarshal parses the frame header at the start of data, the VP8 data after the descriptor.
func (h *VP8FrameHeader) Unmarshal(data []byte) error {
	*h = VP8FrameHeader{}
	if len(data) < vp8FrameTagSize {
		return ErrShortPayload
	}
	tag := uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16
	h.KeyFrame = tag&0x01 == 0 // the P bit: "inverse key frame flag"
	h.Version = uint8(tag>>1) & 0x07
	h.ShowFrame = tag&0x10 != 0
	h.FirstPartitionSize = tag >> 5
	if !h.KeyFrame {
		return nil
	}
	if len(data) < vp8KeyFrameHeaderLen {
		return ErrShortPayload
	}
	if data[3] != 0x9d || data[4] != 0x01 || data[5] != 0x2a {
		return ErrVP8StartCode
	}
	w := binary.LittleEndian.Uint16(data[6:])
	v := binary.LittleEndian.Uint16(data[8:])
	h.Width, h.HorizontalScale = w&0x3fff, uint8(w>>14)
	h.Height, h.VerticalScale = v&0x3fff, uint8(v>>14)
	return nil
}

// VP8StartsKeyframe reports whether payload is the first packet of a VP8 key frame: the descriptor says the packet
// starts partition 0, and the frame header that follows has P=0 and the key frame start code.
func VP8StartsKeyframe(payload []byte) bool {
	var d VP8Descriptor
	n, err := d.Unmarshal(payload)
	if err != nil || !d.StartsFrame() {
		return false
	}
	var h VP8FrameHeader
	return h.Unmarshal(payload[n:]) == nil && h.KeyFrame
}
