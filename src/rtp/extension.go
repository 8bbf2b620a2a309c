package rtp

import "iter"

// Header extension profiles of RFC 8285.
const (
	// ProfileOneByte marks the one-byte form: ids 1-14, values of 1-16 bytes.
	ProfileOneByte = 0xbede
	// ProfileTwoByte marks the two-byte form: ids 1-255, values of 0-255 bytes. Its low 4 bits ("appbits") are free
	// for the application, so every profile 0x1000-0x100f is two-byte.
	ProfileTwoByte = 0x1000

	maxOneByteID       = 14
	maxOneByteValueLen = 16
	maxTwoByteValueLen = 255
	oneByteReservedID  = 15
)

type extensionForm uint8

const (
	formOther extensionForm = iota
	formOneByte
	formTwoByte
)

func formOf(profile uint16) extensionForm {
	switch {
	case profile == ProfileOneByte:
		return formOneByte
	case profile&0xfff0 == ProfileTwoByte:
		return formTwoByte
	default:
		return formOther
	}
}

// extensionCursor walks the elements of a one-byte or two-byte extension block, skipping padding.
type extensionCursor struct {
	form extensionForm
	data []byte
	off  int
}

// next returns the next element: the offset of its first byte in data, its id and its value (a view into data).
// ok is false at the end of the elements, which is also where processing stops on the one-byte form's reserved id 15
// or on a zero id with a non-zero length, as RFC 8285 and libwebrtc do. An element that runs past data is an error.
func (c *extensionCursor) next() (start int, id uint8, value []byte, ok bool, err error) {
	for c.off < len(c.data) && c.data[c.off] == 0 {
		c.off++
	}
	if c.off >= len(c.data) {
		return 0, 0, nil, false, nil
	}
	start = c.off
	var valueLen int
	switch c.form {
	case formOneByte:
		id = c.data[start] >> 4
		valueLen = int(c.data[start]&0x0f) + 1
		if id == oneByteReservedID || id == 0 {
			c.off = len(c.data)
			return 0, 0, nil, false, nil
		}
		c.off++
	case formTwoByte:
		if start+1 >= len(c.data) {
			return 0, 0, nil, false, ErrExtensionTruncated
		}
		id = c.data[start]
		valueLen = int(c.data[start+1])
		c.off += 2
	default:
		return 0, 0, nil, false, ErrExtensionNotSupported
	}
	if c.off+valueLen > len(c.data) {
		return 0, 0, nil, false, ErrExtensionTruncated
	}
	value = c.data[c.off : c.off+valueLen : c.off+valueLen]
	c.off += valueLen
	return start, id, value, true, nil
}

// validateExtensions checks that every element of a one-byte or two-byte block lies inside it.
// Blocks of other profiles are opaque and always valid.
func validateExtensions(profile uint16, payload []byte) error {
	form := formOf(profile)
	if form == formOther {
		return nil
	}
	c := extensionCursor{form: form, data: payload}
	for {
		_, _, _, ok, err := c.next()
		if err != nil || !ok {
			return err
		}
	}
}

// ExtensionValue returns the value of the element with the given id, as a view into ExtensionPayload: writing into
// it changes the packet in place (e.g. to restamp abs-send-time). ok is false when there is no such element or the
// block is not in the one-byte or two-byte form.
func (h *Header) ExtensionValue(id uint8) (value []byte, ok bool) {
	if !h.Extension || id == 0 {
		return nil, false
	}
	c := extensionCursor{form: formOf(h.ExtensionProfile), data: h.ExtensionPayload}
	for {
		_, eid, v, more, err := c.next()
		if err != nil || !more {
			return nil, false
		}
		if eid == id {
			return v, true
		}
	}
}

// Extensions iterates over the elements of a one-byte or two-byte block as (id, value) pairs, values being views
// into ExtensionPayload. It yields nothing for other profiles and stops at the first malformed element.
func (h *Header) Extensions() iter.Seq2[uint8, []byte] {
	return func(yield func(uint8, []byte) bool) {
		if !h.Extension {
			return
		}
		c := extensionCursor{form: formOf(h.ExtensionProfile), data: h.ExtensionPayload}
		for {
			_, id, v, more, err := c.next()
			if err != nil || !more || !yield(id, v) {
				return
			}
		}
	}
}

// SetExtension sets the element id to value, replacing any element with the same id. It builds a new
// ExtensionPayload (it allocates, and never writes into a parsed packet's buffer), so it is meant for building
// packets, not for the per-packet path. A header without extension gets the one-byte form when the element fits it
// and the two-byte form otherwise; a one-byte block is converted to the two-byte form when the new element needs it.
func (h *Header) SetExtension(id uint8, value []byte) error {
	if id == 0 {
		return ErrExtensionID
	}
	if len(value) > maxTwoByteValueLen {
		return ErrExtensionValueLength
	}
	fitsOneByte := id <= maxOneByteID && len(value) >= 1 && len(value) <= maxOneByteValueLen
	form := formOneByte
	if h.Extension {
		form = formOf(h.ExtensionProfile)
		if form == formOther {
			return ErrExtensionNotSupported
		}
	}
	if !fitsOneByte {
		form = formTwoByte
	}

	out := make([]byte, 0, len(h.ExtensionPayload)+2+len(value))
	if h.Extension {
		c := extensionCursor{form: formOf(h.ExtensionProfile), data: h.ExtensionPayload}
		for {
			_, eid, v, more, err := c.next()
			if err != nil {
				return err
			}
			if !more {
				break
			}
			if eid != id {
				out = appendElement(out, form, eid, v)
			}
		}
	}
	out = appendElement(out, form, id, value)

	h.Extension = true
	if form == formOneByte {
		h.ExtensionProfile = ProfileOneByte
	} else if formOf(h.ExtensionProfile) != formTwoByte {
		h.ExtensionProfile = ProfileTwoByte
	}
	h.ExtensionPayload = out
	return nil
}

// appendElement appends one element in the given form; the caller has checked that it fits that form.
func appendElement(b []byte, form extensionForm, id uint8, value []byte) []byte {
	if form == formOneByte {
		b = append(b, id<<4|uint8(len(value)-1))
	} else {
		b = append(b, id, uint8(len(value)))
	}
	return append(b, value...)
}
