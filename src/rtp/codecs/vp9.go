package codecs

import "encoding/binary"

// VP9MaxSpatialLayers is the most spatial layers a VP9 scalability structure describes (N_S has 3 bits).
const VP9MaxSpatialLayers = 8

// VP9Descriptor is the VP9 payload descriptor of RFC 9628 section 4.2, in flexible and non-flexible mode.
type VP9Descriptor struct {
	HasPictureID bool
	// InterPicturePredicted is the P bit: the layer frame depends on an earlier picture.
	InterPicturePredicted bool
	HasLayerIndices       bool
	// FlexibleMode is the F bit: references are listed per packet (PDiff) instead of in the scalability structure.
	FlexibleMode bool
	// StartOfFrame and EndOfFrame are the B and E bits, for the layer frame.
	StartOfFrame bool
	EndOfFrame   bool
	// HasScalabilityStructure is the V bit.
	HasScalabilityStructure bool
	// NotReference is the Z bit: no higher spatial layer of this picture depends on this frame.
	NotReference bool

	LongPictureID bool
	PictureID     uint16

	// Layer indices, present when HasLayerIndices; TL0PICIDX only in non-flexible mode.
	TID                  uint8
	SwitchingUp          bool
	SID                  uint8
	InterLayerDependency bool
	TL0PICIDX            uint8
	PDiff                [3]uint8
	PDiffCount           uint8
	SpatialLayers        uint8 // N_S+1 when HasScalabilityStructure
	HasResolution        bool  // the Y bit: Width and Height are set for each spatial layer
	Width                [VP9MaxSpatialLayers]uint16
	Height               [VP9MaxSpatialLayers]uint16
}

const vp9MaxPDiff = 3

// Unmarshal parses the descriptor at the start of payload and returns its length: the VP9 data starts there.
func (d *VP9Descriptor) Unmarshal(payload []byte) (int, error) {
	*d = VP9Descriptor{}
	r := reader{buf: payload}
	b, ok := r.byte()
	if !ok {
		return 0, ErrShortPayload
	}
	d.HasPictureID = b&0x80 != 0
	d.InterPicturePredicted = b&0x40 != 0
	d.HasLayerIndices = b&0x20 != 0
	d.FlexibleMode = b&0x10 != 0
	d.StartOfFrame = b&0x08 != 0
	d.EndOfFrame = b&0x04 != 0
	d.HasScalabilityStructure = b&0x02 != 0
	d.NotReference = b&0x01 != 0

	if d.HasPictureID && !d.readPictureID(&r) {
		return 0, ErrShortPayload
	}
	if d.HasLayerIndices && !d.readLayerIndices(&r) {
		return 0, ErrShortPayload
	}
	if d.FlexibleMode && d.InterPicturePredicted {
		if err := d.readPDiffs(&r); err != nil {
			return 0, err
		}
	}
	if d.HasScalabilityStructure && !d.readScalabilityStructure(&r) {
		return 0, ErrShortPayload
	}
	return r.off, nil
}

func (d *VP9Descriptor) readPictureID(r *reader) bool {
	b, ok := r.byte()
	if !ok {
		return false
	}
	d.LongPictureID = b&0x80 != 0
	d.PictureID = uint16(b & 0x7f)
	if d.LongPictureID {
		lo, ok := r.byte()
		if !ok {
			return false
		}
		d.PictureID = d.PictureID<<8 | uint16(lo)
	}
	return true
}

func (d *VP9Descriptor) readLayerIndices(r *reader) bool {
	b, ok := r.byte()
	if !ok {
		return false
	}
	d.TID = b >> 5
	d.SwitchingUp = b&0x10 != 0
	d.SID = (b >> 1) & 0x07
	d.InterLayerDependency = b&0x01 != 0
	if d.FlexibleMode {
		return true
	}
	d.TL0PICIDX, ok = r.byte()
	return ok
}

// readPDiffs reads up to 3 reference differences, each with an N bit saying whether another follows.
func (d *VP9Descriptor) readPDiffs(r *reader) error {
	for d.PDiffCount < vp9MaxPDiff {
		b, ok := r.byte()
		if !ok {
			return ErrShortPayload
		}
		d.PDiff[d.PDiffCount] = b >> 1
		d.PDiffCount++
		if b&0x01 == 0 {
			return nil
		}
	}
	return ErrVP9References
}

// readScalabilityStructure reads the SS: layer count, optional resolutions and the picture group description, which
// is only skipped.
func (d *VP9Descriptor) readScalabilityStructure(r *reader) bool {
	b, ok := r.byte()
	if !ok {
		return false
	}
	d.SpatialLayers = b>>5 + 1
	d.HasResolution = b&0x10 != 0
	hasPictureGroup := b&0x08 != 0
	if d.HasResolution {
		for i := range int(d.SpatialLayers) {
			wh, ok := r.bytes(4)
			if !ok {
				return false
			}
			d.Width[i] = binary.BigEndian.Uint16(wh)
			d.Height[i] = binary.BigEndian.Uint16(wh[2:])
		}
	}
	if !hasPictureGroup {
		return true
	}
	pictures, ok := r.byte()
	if !ok {
		return false
	}
	for range int(pictures) {
		pic, ok := r.byte()
		if !ok {
			return false
		}
		if _, ok := r.bytes(int(pic>>2) & 0x03); !ok {
			return false
		}
	}
	return true
}

// StartsKeyframe reports whether the packet starts a key picture: the first packet of a base spatial layer frame
// that is not inter-picture predicted.
func (d *VP9Descriptor) StartsKeyframe() bool {
	return d.StartOfFrame && !d.InterPicturePredicted && d.SID == 0
}

// VP9StartsKeyframe reports whether payload starts a VP9 key picture, as VP9Descriptor.StartsKeyframe does.
func VP9StartsKeyframe(payload []byte) bool {
	var d VP9Descriptor
	_, err := d.Unmarshal(payload)
	return err == nil && d.StartsKeyframe()
}

// reader reads a byte slice front to back, reporting truncation instead of panicking.
type reader struct {
	buf []byte
	off int
}

func (r *reader) byte() (byte, bool) {
	if r.off >= len(r.buf) {
		return 0, false
	}
	r.off++
	return r.buf[r.off-1], true
}

func (r *reader) bytes(n int) ([]byte, bool) {
	if n > len(r.buf)-r.off {
		return nil, false
	}
	r.off += n
	return r.buf[r.off-n : r.off], true
}
