package codecs

import (
	"encoding/binary"
	"fmt"
)

// vp8MaxPictureID is the largest 15-bit picture id; the next one is 0.
const vp8MaxPictureID = 0x7fff

// VP8PayloaderConfig configures a VP8Payloader.
type VP8PayloaderConfig struct {
	// PayloadBudget is the most bytes of one RTP payload, descriptor included; 0 means DefaultPayloadBudget.
	PayloadBudget int
	// PictureID is the 15-bit picture id of the first frame; each frame gets the next one, wrapping to 0 after
	// 0x7fff.
	PictureID uint16
	// WithTL0PICIDX adds the TL0PICIDX field, starting at TL0PICIDX and incremented with every frame: every frame
	// is in the base temporal layer.
	WithTL0PICIDX bool
	TL0PICIDX     uint8
}

// VP8Payloader splits encoded VP8 frames into RTP payloads (RFC 7741): each payload is a descriptor followed by a
// piece of the frame. The descriptor always carries the 15-bit picture id (the M bit set, as libwebrtc sends it, so
// that the descriptor's size never changes and a forwarder can rewrite the id in place), and TL0PICIDX when asked.
//
// The S bit is set on the first payload of each frame only, with partition index 0: the frame is sent as one
// sequence of bytes, not split at partition boundaries, which is libwebrtc's default too. Marking later partition
// starts as well would buy nothing a receiver uses, and receivers that read the S bit alone as "first packet of a
// frame" (pion's) would cut frames there.
//
// A VP8Payloader is not safe for concurrent use.
type VP8Payloader struct {
	budget    int
	pictureID uint16
	withTL0   bool
	tl0       uint8

	buf      []byte
	payloads [][]byte
}

// NewVP8Payloader returns a VP8Payloader with the default budget, starting at picture id 0, without TL0PICIDX.
func NewVP8Payloader() *VP8Payloader {
	return &VP8Payloader{budget: DefaultPayloadBudget}
}

// NewVP8PayloaderWith returns a VP8Payloader configured by cfg.
func NewVP8PayloaderWith(cfg VP8PayloaderConfig) (*VP8Payloader, error) {
	budget, err := payloadBudget(cfg.PayloadBudget)
	if err != nil {
		return nil, err
	}
	if cfg.PictureID > vp8MaxPictureID {
		return nil, fmt.Errorf("codecs: VP8 picture id %#x does not fit 15 bits", cfg.PictureID)
	}
	p := &VP8Payloader{budget: budget, pictureID: cfg.PictureID, withTL0: cfg.WithTL0PICIDX, tl0: cfg.TL0PICIDX}
	if budget <= p.descriptorSize() {
		return nil, fmt.Errorf("codecs: payload budget %d leaves no room after the %d-byte VP8 descriptor",
			budget, p.descriptorSize())
	}
	return p, nil
}

// descriptorSize is the size of the descriptors written: required byte, X byte, 2-byte picture id, TL0PICIDX.
func (p *VP8Payloader) descriptorSize() int {
	if p.withTL0 {
		return 5
	}
	return 4
}

// PictureID returns the picture id the next frame gets.
func (p *VP8Payloader) PictureID() uint16 {
	return p.pictureID
}

// Payload splits one encoded frame into payloads of at most the budget each, in sending order: the RTP packet of
// the last one gets the marker bit. Payloads are balanced (their sizes differ by at most one byte) so that no tiny
// last packet is sent. The payloads share a buffer that the next call reuses: marshal or copy them first.
func (p *VP8Payloader) Payload(frame []byte) ([][]byte, error) {
	if len(frame) == 0 {
		return nil, ErrEmptyFrame
	}
	desc := p.descriptorSize()
	sizes := balancedSplit(len(frame), p.budget-desc)
	p.buf = growBuffer(p.buf, len(frame)+sizes.count*desc)
	p.payloads = p.payloads[:0]
	off, rest := 0, frame
	for i := range sizes.count {
		n := sizes.size(i)
		start := off
		off += p.writeDescriptor(p.buf[off:], i == 0)
		off += copy(p.buf[off:], rest[:n])
		rest = rest[n:]
		p.payloads = append(p.payloads, p.buf[start:off:off])
	}
	p.pictureID = (p.pictureID + 1) & vp8MaxPictureID
	p.tl0++
	return p.payloads, nil
}

// writeDescriptor writes the descriptor of one payload and returns its size.
func (p *VP8Payloader) writeDescriptor(b []byte, first bool) int {
	b[0] = 0x80 // X
	if first {
		b[0] |= 0x10 // S, partition index 0
	}
	b[1] = 0x80 // I
	binary.BigEndian.PutUint16(b[2:], 0x8000|p.pictureID)
	if !p.withTL0 {
		return 4
	}
	b[1] |= 0x40 // L
	b[4] = p.tl0
	return 5
}

// vp8Depacketizer rebuilds VP8 frames: the payloads without their descriptors, in order.
type vp8Depacketizer struct{}

func (vp8Depacketizer) startsFrame(payload []byte) bool {
	var d VP8Descriptor
	_, err := d.Unmarshal(payload)
	return err == nil && d.StartsFrame()
}

func (vp8Depacketizer) appendPayload(frame, payload []byte, first bool) ([]byte, error) {
	var d VP8Descriptor
	n, err := d.Unmarshal(payload)
	if err != nil {
		return frame, err
	}
	if !first && d.StartsFrame() {
		return frame, errFrameRestart
	}
	return append(frame, payload[n:]...), nil
}

// finish checks the frame header: a frame too short for its tag, or a key frame without its start code, is broken.
func (vp8Depacketizer) finish(frame []byte) ([]byte, bool, error) {
	var h VP8FrameHeader
	if err := h.Unmarshal(frame); err != nil {
		return frame, false, err
	}
	return frame, h.KeyFrame, nil
}

func (vp8Depacketizer) reset() {}
