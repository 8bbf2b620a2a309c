package rtcp

import (
	"encoding/binary"
	"fmt"
)

const (
	sdesEnd   = 0
	sdesCNAME = 1
	// maxText is the longest SDES item or BYE reason: its length is one octet.
	maxText = 255
)

// SourceDescription is an SDES packet (RFC 3550 6.5). Only the CNAME item is kept: it is the one a receiver needs
// to bind a participant's SSRCs together for lip sync. Other items are checked for bounds and skipped.
type SourceDescription struct {
	Chunks []SourceDescriptionChunk
}

// SourceDescriptionChunk describes one source.
type SourceDescriptionChunk struct {
	SSRC uint32
	// CNAME is the canonical name, empty when the chunk has none. Unmarshal copies it into the chunk's own buffer.
	CNAME []byte
}

// Unmarshal decodes one SDES packet, reusing sd.Chunks and their CNAME buffers.
func (sd *SourceDescription) Unmarshal(packet []byte) error {
	h, b, err := body(packet, TypeSourceDescription, -1)
	if err != nil {
		return err
	}
	sd.Chunks = sd.Chunks[:0]
	off := 0
	for range int(h.Count) {
		if off+4 > len(b) {
			return fmt.Errorf("%w: SDES chunk %d has no SSRC", ErrLength, len(sd.Chunks))
		}
		chunk := sd.nextChunk()
		chunk.SSRC = binary.BigEndian.Uint32(b[off:])
		if off, err = chunk.unmarshalItems(b, off+4); err != nil {
			return err
		}
	}
	if off != len(b) {
		return fmt.Errorf("%w: %d bytes after the last SDES chunk", ErrLength, len(b)-off)
	}
	return nil
}

// nextChunk grows sd.Chunks by one, reusing the CNAME buffer left there by an earlier Unmarshal.
func (sd *SourceDescription) nextChunk() *SourceDescriptionChunk {
	n := len(sd.Chunks)
	if n < cap(sd.Chunks) {
		sd.Chunks = sd.Chunks[:n+1]
	} else {
		sd.Chunks = append(sd.Chunks, SourceDescriptionChunk{})
	}
	c := &sd.Chunks[n]
	c.CNAME = c.CNAME[:0]
	return c
}

// unmarshalItems reads items from b[off:] up to the end item and returns the offset of the next chunk.
func (c *SourceDescriptionChunk) unmarshalItems(b []byte, off int) (int, error) {
	seenCNAME := false
	for off < len(b) {
		typ := b[off]
		if typ == sdesEnd {
			// The end item and the null octets after it fill the chunk up to a 32-bit boundary.
			return (off + 4) &^ 3, nil
		}
		if off+2 > len(b) || off+2+int(b[off+1]) > len(b) {
			return 0, fmt.Errorf("%w: SDES item of type %d overruns the packet", ErrLength, typ)
		}
		text := b[off+2 : off+2+int(b[off+1])]
		if typ == sdesCNAME && !seenCNAME {
			c.CNAME = append(c.CNAME, text...)
			seenCNAME = true
		}
		off += 2 + len(text)
	}
	return 0, fmt.Errorf("%w: SDES chunk for SSRC %d has no end item", ErrLength, c.SSRC)
}

func (c *SourceDescriptionChunk) size() int { return cnameChunkSize(len(c.CNAME)) }

// cnameChunkSize is the size of a chunk holding a CNAME item of n bytes: SSRC, item, end item, null octets.
func cnameChunkSize(n int) int { return 4 + 2 + n + 1 + pad4(2+n+1) }

// MarshalSize is the size of the encoded packet.
func (sd *SourceDescription) MarshalSize() int {
	n := headerLength
	for i := range sd.Chunks {
		n += sd.Chunks[i].size()
	}
	return n
}

// AppendTo appends the encoded packet to b. Every chunk needs a CNAME (RFC 3550 6.5.1) of at most 255 bytes.
func (sd *SourceDescription) AppendTo(b []byte) ([]byte, error) {
	if len(sd.Chunks) > maxCount {
		return b, fmt.Errorf("%w: %d SDES chunks, a packet holds %d", ErrTooLarge, len(sd.Chunks), maxCount)
	}
	for i := range sd.Chunks {
		if err := checkCNAME(len(sd.Chunks[i].CNAME)); err != nil {
			return b, err
		}
	}
	b = appendHeader(b, uint8(len(sd.Chunks)), TypeSourceDescription, sd.MarshalSize())
	for i := range sd.Chunks {
		b = appendCNAMEChunk(b, sd.Chunks[i].SSRC, sd.Chunks[i].CNAME)
	}
	return b, nil
}

// Marshal returns the encoded packet in a new buffer.
func (sd *SourceDescription) Marshal() ([]byte, error) {
	return sd.AppendTo(make([]byte, 0, sd.MarshalSize()))
}

// AppendCNAME appends an SDES packet with a single chunk giving ssrc's CNAME: the SDES a compound packet needs
// (RFC 3550 6.1). It does not allocate when b has room.
func AppendCNAME(b []byte, ssrc uint32, cname string) ([]byte, error) {
	if err := checkCNAME(len(cname)); err != nil {
		return b, err
	}
	b = appendHeader(b, 1, TypeSourceDescription, headerLength+cnameChunkSize(len(cname)))
	return appendCNAMEChunk(b, ssrc, cname), nil
}

func checkCNAME(n int) error {
	if n == 0 {
		return fmt.Errorf("%w: empty CNAME", ErrInvalid)
	}
	if n > maxText {
		return fmt.Errorf("%w: CNAME of %d bytes, at most %d", ErrTooLarge, n, maxText)
	}
	return nil
}

func appendCNAMEChunk[T string | []byte](b []byte, ssrc uint32, cname T) []byte {
	b = binary.BigEndian.AppendUint32(b, ssrc)
	b = append(b, sdesCNAME, byte(len(cname)))
	b = append(b, cname...)
	// The end item, then null octets up to the next 32-bit boundary.
	b = append(b, sdesEnd)
	return appendZeros(b, pad4(2+len(cname)+1))
}
