package rtp

import "slices"

// Packet is an RTP packet: its header, its payload and the size of its padding.
type Packet struct {
	Header
	// Payload is a view into the parsed buffer, without header and padding.
	Payload []byte
	// PaddingSize is the number of padding bytes at the end, the count byte included; 0 without padding.
	PaddingSize uint8
}

// Unmarshal parses buf without allocating or copying: Payload and ExtensionPayload are views into buf.
func (p *Packet) Unmarshal(buf []byte) error {
	n, err := p.Header.Unmarshal(buf)
	if err != nil {
		return err
	}
	end := len(buf)
	p.PaddingSize = 0
	if p.Padding {
		if end == n {
			return ErrInvalidPadding
		}
		p.PaddingSize = buf[end-1]
		if p.PaddingSize == 0 || int(p.PaddingSize) > end-n {
			return ErrInvalidPadding
		}
		end -= int(p.PaddingSize)
	}
	p.Payload = buf[n:end:end]
	return nil
}

// MarshalSize returns the number of bytes MarshalTo writes.
func (p *Packet) MarshalSize() int {
	return p.Header.MarshalSize() + len(p.Payload) + int(p.PaddingSize)
}

// MarshalTo writes the packet at the start of buf and returns the number of bytes written. The P bit is set from
// PaddingSize, and the padding is zeros ending with the count byte.
func (p *Packet) MarshalTo(buf []byte) (int, error) {
	if len(buf) < p.MarshalSize() {
		return 0, ErrBufferTooSmall
	}
	h := p.Header
	h.Padding = p.PaddingSize > 0
	n, err := h.MarshalTo(buf)
	if err != nil {
		return 0, err
	}
	n += copy(buf[n:], p.Payload)
	if p.PaddingSize > 0 {
		end := n + int(p.PaddingSize)
		clear(buf[n : end-1])
		buf[end-1] = p.PaddingSize
		n = end
	}
	return n, nil
}

// AppendBinary appends the marshalled packet to b (encoding.BinaryAppender). It does not allocate when b has room.
func (p *Packet) AppendBinary(b []byte) ([]byte, error) {
	start := len(b)
	size := p.MarshalSize()
	b = slices.Grow(b, size)[:start+size]
	n, err := p.MarshalTo(b[start:])
	return b[:start+n], err
}
