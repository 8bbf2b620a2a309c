package rtcp

import (
	"encoding/binary"
	"fmt"
	"time"
)

const reportBlockSize = 24

// ReportBlock is one reception report (RFC 3550 6.4.1), about one source the reporter receives.
type ReportBlock struct {
	SSRC uint32
	// FractionLost is the fraction of packets lost since the previous report, in 1/256 units.
	FractionLost uint8
	// CumulativeLost is the number of packets lost since the start of reception; it is a signed 24-bit value
	// (duplicates can make it negative).
	CumulativeLost int32
	// HighestSequence is the extended highest sequence number received (cycles in the upper 16 bits).
	HighestSequence uint32
	// Jitter is the interarrival jitter in RTP timestamp units.
	Jitter uint32
	// LastSenderReport (LSR) is the compact NTP time of the last SR received from SSRC, 0 when none was.
	LastSenderReport uint32
	// Delay (DLSR) is the delay since that SR was received, in 1/65536 seconds.
	Delay uint32
}

// RoundTripTime computes the round-trip time from a block received at now, the reporter being the one who sent the
// SR referenced by LastSenderReport. It returns false when the block references no SR or the result is negative.
func (rb ReportBlock) RoundTripTime(now time.Time) (time.Duration, bool) {
	return RoundTripTime(CompactNTP(NTPTime(now)), rb.LastSenderReport, rb.Delay)
}

// JitterDuration converts Jitter from RTP timestamp units to a duration, given the stream's clock rate (90000 for
// video, 48000 for Opus): comparing the raw value with durations is the unit mix-up the original's jitter buffer
// made. It returns 0 for a clock rate of 0.
func (rb ReportBlock) JitterDuration(clockRate uint32) time.Duration {
	if clockRate == 0 {
		return 0
	}
	return time.Duration(uint64(rb.Jitter) * uint64(time.Second) / uint64(clockRate))
}

func (rb *ReportBlock) unmarshal(b []byte) {
	rb.SSRC = binary.BigEndian.Uint32(b[0:])
	rb.FractionLost = b[4]
	lost := int32(b[5])<<16 | int32(b[6])<<8 | int32(b[7])
	if lost&0x800000 != 0 {
		lost -= 1 << 24
	}
	rb.CumulativeLost = lost
	rb.HighestSequence = binary.BigEndian.Uint32(b[8:])
	rb.Jitter = binary.BigEndian.Uint32(b[12:])
	rb.LastSenderReport = binary.BigEndian.Uint32(b[16:])
	rb.Delay = binary.BigEndian.Uint32(b[20:])
}

const (
	minCumulativeLost = -(1 << 23)
	maxCumulativeLost = 1<<23 - 1
)

func (rb *ReportBlock) appendTo(b []byte) ([]byte, error) {
	if rb.CumulativeLost < minCumulativeLost || rb.CumulativeLost > maxCumulativeLost {
		return b, fmt.Errorf("%w: cumulative lost %d does not fit 24 bits", ErrTooLarge, rb.CumulativeLost)
	}
	lost := uint32(rb.CumulativeLost) & 0xffffff
	b = binary.BigEndian.AppendUint32(b, rb.SSRC)
	b = binary.BigEndian.AppendUint32(b, uint32(rb.FractionLost)<<24|lost)
	b = binary.BigEndian.AppendUint32(b, rb.HighestSequence)
	b = binary.BigEndian.AppendUint32(b, rb.Jitter)
	b = binary.BigEndian.AppendUint32(b, rb.LastSenderReport)
	return binary.BigEndian.AppendUint32(b, rb.Delay), nil
}

// unmarshalReports decodes count blocks from the start of b into dst, reusing its capacity.
func unmarshalReports(dst []ReportBlock, b []byte, count int) ([]ReportBlock, error) {
	if len(b) < count*reportBlockSize {
		return dst[:0], fmt.Errorf("%w: %d report blocks need %d bytes, %d remain",
			ErrLength, count, count*reportBlockSize, len(b))
	}
	dst = dst[:0]
	for i := range count {
		var rb ReportBlock
		rb.unmarshal(b[i*reportBlockSize:])
		dst = append(dst, rb)
	}
	return dst, nil
}

func appendReports(b []byte, reports []ReportBlock) ([]byte, error) {
	for i := range reports {
		var err error
		if b, err = reports[i].appendTo(b); err != nil {
			return b, err
		}
	}
	return b, nil
}
