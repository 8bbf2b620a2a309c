package rtcp

import (
	"encoding/binary"
	"fmt"
)

const receiverSSRCSize = 4

// ReceiverReport is an RR packet (RFC 3550 6.4.2): up to 31 reception reports from a participant that does not
// send media (or starts a compound packet without an SR). Profile-specific extensions are ignored.
type ReceiverReport struct {
	SSRC    uint32
	Reports []ReportBlock
}

// Unmarshal decodes one RR packet, reusing rr.Reports.
func (rr *ReceiverReport) Unmarshal(packet []byte) error {
	h, b, err := body(packet, TypeReceiverReport, -1)
	if err != nil {
		return err
	}
	if len(b) < receiverSSRCSize {
		return fmt.Errorf("%w: RR content of %d bytes has no SSRC", ErrLength, len(b))
	}
	rr.SSRC = binary.BigEndian.Uint32(b)
	rr.Reports, err = unmarshalReports(rr.Reports, b[receiverSSRCSize:], int(h.Count))
	return err
}

// MarshalSize is the size of the encoded packet: each report block adds to it (the original's RR writer assigned
// instead of adding, so only one block was ever counted).
func (rr *ReceiverReport) MarshalSize() int {
	return headerLength + receiverSSRCSize + len(rr.Reports)*reportBlockSize
}

// AppendTo appends the encoded packet to b. An RR without report blocks is valid: it starts a compound packet
// when there is nothing to report.
func (rr *ReceiverReport) AppendTo(b []byte) ([]byte, error) {
	if len(rr.Reports) > maxCount {
		return b, fmt.Errorf("%w: %d report blocks, an RR holds %d", ErrTooLarge, len(rr.Reports), maxCount)
	}
	if err := checkSender(rr.SSRC); err != nil {
		return b, err
	}
	start := len(b)
	b = appendHeader(b, uint8(len(rr.Reports)), TypeReceiverReport, rr.MarshalSize())
	b = binary.BigEndian.AppendUint32(b, rr.SSRC)
	b, err := appendReports(b, rr.Reports)
	if err != nil {
		return b[:start], err
	}
	return b, nil
}

// Marshal returns the encoded packet in a new buffer.
func (rr *ReceiverReport) Marshal() ([]byte, error) {
	return rr.AppendTo(make([]byte, 0, rr.MarshalSize()))
}
