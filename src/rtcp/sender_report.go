package rtcp

import (
	"encoding/binary"
	"fmt"
)

const senderInfoSize = 24 // sender SSRC + sender info

// SenderReport is an SR packet (RFC 3550 6.4.1): what a sender sent, with the NTP and RTP timestamps of the same
// instant that receivers use for lip sync, and up to 31 reception reports. Profile-specific extensions are ignored.
type SenderReport struct {
	SSRC uint32
	// NTPTime is the 64-bit NTP timestamp (see NTPTime) of the instant RTPTime also describes.
	NTPTime     uint64
	RTPTime     uint32
	PacketCount uint32
	OctetCount  uint32
	Reports     []ReportBlock
}

// Unmarshal decodes one SR packet, reusing sr.Reports.
func (sr *SenderReport) Unmarshal(packet []byte) error {
	h, b, err := body(packet, TypeSenderReport, -1)
	if err != nil {
		return err
	}
	if len(b) < senderInfoSize {
		return fmt.Errorf("%w: SR content of %d bytes, sender info needs %d", ErrLength, len(b), senderInfoSize)
	}
	sr.SSRC = binary.BigEndian.Uint32(b[0:])
	sr.NTPTime = binary.BigEndian.Uint64(b[4:])
	sr.RTPTime = binary.BigEndian.Uint32(b[12:])
	sr.PacketCount = binary.BigEndian.Uint32(b[16:])
	sr.OctetCount = binary.BigEndian.Uint32(b[20:])
	sr.Reports, err = unmarshalReports(sr.Reports, b[senderInfoSize:], int(h.Count))
	return err
}

// MarshalSize is the size of the encoded packet.
func (sr *SenderReport) MarshalSize() int {
	return headerLength + senderInfoSize + len(sr.Reports)*reportBlockSize
}

// AppendTo appends the encoded packet to b.
func (sr *SenderReport) AppendTo(b []byte) ([]byte, error) {
	if len(sr.Reports) > maxCount {
		return b, fmt.Errorf("%w: %d report blocks, an SR holds %d", ErrTooLarge, len(sr.Reports), maxCount)
	}
	if err := checkSender(sr.SSRC); err != nil {
		return b, err
	}
	start := len(b)
	b = appendHeader(b, uint8(len(sr.Reports)), TypeSenderReport, sr.MarshalSize())
	b = binary.BigEndian.AppendUint32(b, sr.SSRC)
	b = binary.BigEndian.AppendUint64(b, sr.NTPTime)
	b = binary.BigEndian.AppendUint32(b, sr.RTPTime)
	b = binary.BigEndian.AppendUint32(b, sr.PacketCount)
	b = binary.BigEndian.AppendUint32(b, sr.OctetCount)
	b, err := appendReports(b, sr.Reports)
	if err != nil {
		return b[:start], err
	}
	return b, nil
}

// Marshal returns the encoded packet in a new buffer.
func (sr *SenderReport) Marshal() ([]byte, error) {
	return sr.AppendTo(make([]byte, 0, sr.MarshalSize()))
}
