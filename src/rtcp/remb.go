package rtcp

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

const (
	// rembIdentifier is "REMB", the unique identifier that starts a REMB FCI.
	rembIdentifier = 'R'<<24 | 'E'<<16 | 'M'<<8 | 'B'
	rembFixedSize  = feedbackHeaderSize + 8
	rembMantissa   = 18
	maxREMBSSRCs   = 255
)

// REMB is a receiver estimated maximum bitrate message (draft-alvestrand-rmcat-remb-03), a PSFB application layer
// feedback: the total bitrate the receiver estimates it can take for the listed SSRCs.
type REMB struct {
	SenderSSRC uint32
	// Bitrate in bits per second. On the wire it is an 18-bit mantissa and a 6-bit exponent, so AppendTo rounds it
	// down to what that can say (a receiver must never be told more than was estimated).
	Bitrate uint64
	SSRCs   []uint32
}

// Unmarshal decodes one REMB packet, reusing r.SSRCs.
func (r *REMB) Unmarshal(packet []byte) error {
	sender, _, fci, err := feedbackBody(packet, TypePayloadFeedback, FormatAFB)
	if err != nil {
		return err
	}
	if len(fci) < 8 || binary.BigEndian.Uint32(fci) != rembIdentifier {
		return fmt.Errorf("%w: application layer feedback is not REMB", ErrWrongType)
	}
	n := int(fci[4])
	if len(fci) != 8+4*n {
		return fmt.Errorf("%w: REMB for %d SSRCs has %d bytes of FCI", ErrLength, n, len(fci))
	}
	exp := uint(fci[5] >> 2)
	mantissa := uint64(fci[5]&3)<<16 | uint64(binary.BigEndian.Uint16(fci[6:]))
	if mantissa != 0 && bits.LeadingZeros64(mantissa) < int(exp) {
		return fmt.Errorf("%w: REMB bitrate %d*2^%d overflows 64 bits", ErrInvalid, mantissa, exp)
	}
	r.SenderSSRC = sender
	r.Bitrate = mantissa << exp
	r.SSRCs = r.SSRCs[:0]
	for i := range n {
		r.SSRCs = append(r.SSRCs, binary.BigEndian.Uint32(fci[8+4*i:]))
	}
	return nil
}

// MarshalSize is the size of the encoded packet.
func (r *REMB) MarshalSize() int { return rembFixedSize + 4*len(r.SSRCs) }

// AppendTo appends the encoded packet to b.
func (r *REMB) AppendTo(b []byte) ([]byte, error) {
	if err := checkSender(r.SenderSSRC); err != nil {
		return b, err
	}
	if len(r.SSRCs) > maxREMBSSRCs {
		return b, fmt.Errorf("%w: %d SSRCs, a REMB holds %d", ErrTooLarge, len(r.SSRCs), maxREMBSSRCs)
	}
	exp := 0
	if n := bits.Len64(r.Bitrate); n > rembMantissa {
		exp = n - rembMantissa
	}
	mantissa := uint32(r.Bitrate >> exp)
	b = appendFeedbackHeader(b, FormatAFB, TypePayloadFeedback, r.MarshalSize(), r.SenderSSRC, 0)
	b = binary.BigEndian.AppendUint32(b, rembIdentifier)
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.SSRCs))<<24|uint32(exp)<<18|mantissa)
	for _, ssrc := range r.SSRCs {
		b = binary.BigEndian.AppendUint32(b, ssrc)
	}
	return b, nil
}

// Marshal returns the encoded packet in a new buffer.
func (r *REMB) Marshal() ([]byte, error) { return r.AppendTo(make([]byte, 0, r.MarshalSize())) }
