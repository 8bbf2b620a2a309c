package codecs

import "encoding/binary"

// VP8PictureRewriter keeps the picture IDs and TL0PICIDX of the VP8 payload descriptors (RFC 7741 section 4.2) that
// one receiver gets continuous when the stream forwarded to it switches from one source to another, as
// rtp.Rewriter does for sequence numbers and timestamps: after Switch, the next packet's picture ID follows the
// newest one written, and its TL0PICIDX the newest TL0PICIDX written, whatever the new source numbers them. Within
// one source the offsets stay fixed, so reordering and gaps pass through unchanged. Until the first Switch it
// changes nothing.
//
// Fields are rewritten in place: a 7-bit picture ID stays 7 bits (modulo 128), a 15-bit one 15 bits. Sources of one
// stream should use one width; Chromium and the server's own packetizer use 15 bits.
//
// A VP8PictureRewriter is not safe for concurrent use: it belongs to the receiver's send path.
type VP8PictureRewriter struct {
	// The newest values written: picture ID (15 bits, or 7) and TL0PICIDX.
	hasPictureID  bool
	lastPictureID uint16
	hasTL0        bool
	lastTL0       uint8

	pictureOffset uint16
	tl0Offset     uint8
	switchPicture bool // the next picture ID starts a new mapping
	switchTL0     bool // the next TL0PICIDX starts a new mapping
}

// Switch announces that the next packet comes from a new source: its picture ID will follow the newest one written
// and its TL0PICIDX the newest TL0PICIDX written (each on the first packet that carries one).
func (r *VP8PictureRewriter) Switch() {
	r.switchPicture, r.switchTL0 = true, true
}

// Rewrite rewrites the descriptor at the start of payload, the payload of a VP8 RTP packet, in place. A descriptor
// too short for its own flags is left as is and reported with ErrShortPayload.
func (r *VP8PictureRewriter) Rewrite(payload []byte) error {
	if len(payload) < 1 {
		return ErrShortPayload
	}
	if payload[0]&0x80 == 0 {
		return nil // no extension: neither picture ID nor TL0PICIDX
	}
	if len(payload) < 2 {
		return ErrShortPayload
	}
	x, n := payload[1], 2
	pictureWidth := 0
	if x&0x80 != 0 {
		pictureWidth = 1
		if len(payload) > n && payload[n]&0x80 != 0 {
			pictureWidth = 2
		}
	}
	tl0 := x&0x40 != 0
	if len(payload) < n+pictureWidth+boolInt(tl0) {
		return ErrShortPayload
	}
	switch pictureWidth {
	case 1:
		payload[n] = byte(r.mapPictureID(uint16(payload[n]), 0x7f))
	case 2:
		id := r.mapPictureID(binary.BigEndian.Uint16(payload[n:])&0x7fff, 0x7fff)
		binary.BigEndian.PutUint16(payload[n:], 0x8000|id)
	}
	if tl0 {
		payload[n+pictureWidth] = r.mapTL0(payload[n+pictureWidth])
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// mapPictureID maps a source's picture ID of the given width (mask) to the one written.
func (r *VP8PictureRewriter) mapPictureID(in, mask uint16) uint16 {
	if r.switchPicture {
		r.switchPicture = false
		if r.hasPictureID {
			r.pictureOffset = r.lastPictureID + 1 - in
		}
	}
	out := (in + r.pictureOffset) & mask
	if !r.hasPictureID || newerModulo(out, r.lastPictureID, mask) {
		r.hasPictureID, r.lastPictureID = true, out
	}
	return out
}

// mapTL0 maps a source's TL0PICIDX to the one written.
func (r *VP8PictureRewriter) mapTL0(in uint8) uint8 {
	if r.switchTL0 {
		r.switchTL0 = false
		if r.hasTL0 {
			r.tl0Offset = r.lastTL0 + 1 - in
		}
	}
	out := in + r.tl0Offset
	if !r.hasTL0 || int8(out-r.lastTL0) > 0 {
		r.hasTL0, r.lastTL0 = true, out
	}
	return out
}

// newerModulo reports whether a follows b in a counter that wraps at mask+1 (a power of two).
func newerModulo(a, b, mask uint16) bool {
	d := (a - b) & mask
	return d != 0 && d <= mask>>1
}
