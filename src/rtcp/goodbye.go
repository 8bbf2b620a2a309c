package rtcp

import (
	"encoding/binary"
	"fmt"
)

// Goodbye is a BYE packet (RFC 3550 6.6): the sources leave, optionally with a reason.
type Goodbye struct {
	Sources []uint32
	// Reason is optional text of at most 255 bytes. Unmarshal copies it into this buffer.
	Reason []byte
}

// Unmarshal decodes one BYE packet, reusing bye.Sources and bye.Reason.
func (bye *Goodbye) Unmarshal(packet []byte) error {
	h, b, err := body(packet, TypeGoodbye, -1)
	if err != nil {
		return err
	}
	n := int(h.Count)
	if len(b) < n*4 {
		return fmt.Errorf("%w: BYE for %d sources has %d bytes", ErrLength, n, len(b))
	}
	bye.Sources = bye.Sources[:0]
	for i := range n {
		bye.Sources = append(bye.Sources, binary.BigEndian.Uint32(b[i*4:]))
	}
	bye.Reason = bye.Reason[:0]
	rest := b[n*4:]
	if len(rest) == 0 {
		return nil
	}
	end := 1 + int(rest[0])
	if end > len(rest) {
		return fmt.Errorf("%w: BYE reason of %d bytes overruns the packet", ErrLength, rest[0])
	}
	if len(rest)-end > 3 {
		return fmt.Errorf("%w: %d bytes after the BYE reason", ErrLength, len(rest)-end)
	}
	bye.Reason = append(bye.Reason, rest[1:end]...)
	return nil
}

// MarshalSize is the size of the encoded packet.
func (bye *Goodbye) MarshalSize() int {
	n := headerLength + 4*len(bye.Sources)
	if len(bye.Reason) > 0 {
		n += 1 + len(bye.Reason) + pad4(1+len(bye.Reason))
	}
	return n
}

// AppendTo appends the encoded packet to b.
func (bye *Goodbye) AppendTo(b []byte) ([]byte, error) {
	if len(bye.Sources) > maxCount {
		return b, fmt.Errorf("%w: %d sources, a BYE holds %d", ErrTooLarge, len(bye.Sources), maxCount)
	}
	if len(bye.Reason) > maxText {
		return b, fmt.Errorf("%w: BYE reason of %d bytes, at most %d", ErrTooLarge, len(bye.Reason), maxText)
	}
	b = appendHeader(b, uint8(len(bye.Sources)), TypeGoodbye, bye.MarshalSize())
	for _, ssrc := range bye.Sources {
		b = binary.BigEndian.AppendUint32(b, ssrc)
	}
	if len(bye.Reason) > 0 {
		b = append(b, byte(len(bye.Reason)))
		b = append(b, bye.Reason...)
		b = appendZeros(b, pad4(1+len(bye.Reason)))
	}
	return b, nil
}

// Marshal returns the encoded packet in a new buffer.
func (bye *Goodbye) Marshal() ([]byte, error) {
	return bye.AppendTo(make([]byte, 0, bye.MarshalSize()))
}
