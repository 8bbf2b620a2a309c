package rtcp

import (
	"encoding/binary"
	"fmt"
)

// feedbackHeaderSize is the common part of RTPFB and PSFB packets (RFC 4585 6.1): header, sender SSRC, media SSRC.
const feedbackHeaderSize = headerLength + 8

// feedbackBody checks that packet is one feedback message of type typ and format format, and returns its SSRCs and
// its feedback control information (FCI), padding removed.
func feedbackBody(packet []byte, typ PacketType, format uint8) (sender, media uint32, fci []byte, err error) {
	_, b, err := body(packet, typ, int(format))
	if err != nil {
		return 0, 0, nil, err
	}
	if len(b) < feedbackHeaderSize-headerLength {
		return 0, 0, nil, fmt.Errorf("%w: feedback message of %d bytes has no SSRCs", ErrLength, len(packet))
	}
	return binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:]), b[8:], nil
}

func appendFeedbackHeader(b []byte, format uint8, typ PacketType, size int, sender, media uint32) []byte {
	b = appendHeader(b, format, typ, size)
	b = binary.BigEndian.AppendUint32(b, sender)
	return binary.BigEndian.AppendUint32(b, media)
}
