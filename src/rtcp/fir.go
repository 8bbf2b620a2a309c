package rtcp

import (
	"encoding/binary"
	"fmt"
)

const firEntrySize = 8

// FullIntraRequest is a FIR (RFC 5104 4.3.1): the receiver asks each listed media sender for a decoder refresh
// point. Unlike PLI it is a request the sender must answer, deduplicated by the sequence number.
type FullIntraRequest struct {
	SenderSSRC uint32
	Entries    []FIREntry
}

// FIREntry asks one media sender for an intra frame.
type FIREntry struct {
	SSRC uint32
	// SequenceNumber is kept per media sender by the requester: incremented for each new request, unchanged when a
	// request is repeated (RFC 5104 4.3.1.2).
	SequenceNumber uint8
}

// Unmarshal decodes one FIR packet, reusing fir.Entries. The media source field, which RFC 5104 sets to 0, is ignored.
func (fir *FullIntraRequest) Unmarshal(packet []byte) error {
	sender, _, fci, err := feedbackBody(packet, TypePayloadFeedback, FormatFIR)
	if err != nil {
		return err
	}
	if len(fci) == 0 || len(fci)%firEntrySize != 0 {
		return fmt.Errorf("%w: FIR with %d bytes of FCI, entries are %d bytes", ErrLength, len(fci), firEntrySize)
	}
	fir.SenderSSRC = sender
	fir.Entries = fir.Entries[:0]
	for off := 0; off < len(fci); off += firEntrySize {
		fir.Entries = append(fir.Entries, FIREntry{SSRC: binary.BigEndian.Uint32(fci[off:]), SequenceNumber: fci[off+4]})
	}
	return nil
}

// MarshalSize is the size of the encoded packet.
func (fir *FullIntraRequest) MarshalSize() int {
	return feedbackHeaderSize + firEntrySize*len(fir.Entries)
}

// AppendTo appends the encoded packet to b.
func (fir *FullIntraRequest) AppendTo(b []byte) ([]byte, error) {
	if err := checkSender(fir.SenderSSRC); err != nil {
		return b, err
	}
	if len(fir.Entries) == 0 {
		return b, fmt.Errorf("%w: FIR without entries", ErrInvalid)
	}
	if fir.MarshalSize() > maxWords*4 {
		return b, fmt.Errorf("%w: %d FIR entries", ErrTooLarge, len(fir.Entries))
	}
	b = appendFeedbackHeader(b, FormatFIR, TypePayloadFeedback, fir.MarshalSize(), fir.SenderSSRC, 0)
	for _, e := range fir.Entries {
		b = binary.BigEndian.AppendUint32(b, e.SSRC)
		b = append(b, e.SequenceNumber, 0, 0, 0)
	}
	return b, nil
}

// Marshal returns the encoded packet in a new buffer.
func (fir *FullIntraRequest) Marshal() ([]byte, error) {
	return fir.AppendTo(make([]byte, 0, fir.MarshalSize()))
}
