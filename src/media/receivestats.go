package media

import (
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
)

// receiveStats is what a receiver reports about one incoming stream (RFC 3550 section 6.4.1 and appendix A.3, A.8):
// packets expected and lost, the extended highest sequence number, the interarrival jitter, and the last SR. It
// belongs to the publisher's inbound goroutine.
type receiveStats struct {
	clockRate uint32

	started  bool
	baseSeq  int64
	maxSeq   int64
	received int64
	// expectedPrior and receivedPrior are the counts at the previous report, for the fraction lost.
	expectedPrior, receivedPrior int64

	// jitter is in RTP units scaled by 16, as appendix A.8 computes it in integers.
	jitter      int64
	lastTransit int64
	hasTransit  bool

	// The last SR: its NTP time (for LSR) and when it arrived (for DLSR).
	srNTP     uint64
	srArrival time.Duration
	hasSR     bool
}

func newReceiveStats(clockRate uint32) *receiveStats {
	return &receiveStats{clockRate: clockRate}
}

// received records a packet of unwrapped sequence number seq and RTP timestamp ts that arrived at now (a monotonic
// time). Retransmissions count as received but not for jitter: their delay says nothing about the path.
func (s *receiveStats) update(seq int64, ts uint32, now time.Duration, retransmission bool) {
	if !s.started {
		s.started, s.baseSeq, s.maxSeq = true, seq, seq
	}
	s.received++
	if seq > s.maxSeq {
		s.maxSeq = seq
	}
	if retransmission || s.clockRate == 0 {
		return
	}
	arrival := int64(now/time.Microsecond) * int64(s.clockRate) / 1e6
	transit := arrival - int64(ts)
	if s.hasTransit {
		d := transit - s.lastTransit
		// Timestamps wrap at 2^32: fold the difference back into range.
		d = int64(int32(d))
		if d < 0 {
			d = -d
		}
		s.jitter += d - (s.jitter+8)>>4
	}
	s.lastTransit, s.hasTransit = transit, true
}

// senderReport records an SR of this stream received at now.
func (s *receiveStats) senderReport(ntp uint64, now time.Duration) {
	s.srNTP, s.srArrival, s.hasSR = ntp, now, true
}

// block returns the report block for ssrc at now and starts a new reporting interval. ok is false before the first
// packet.
func (s *receiveStats) block(ssrc uint32, now time.Duration) (rtcp.ReportBlock, bool) {
	if !s.started {
		return rtcp.ReportBlock{}, false
	}
	expected := s.maxSeq - s.baseSeq + 1
	lost := expected - s.received
	expectedInterval := expected - s.expectedPrior
	receivedInterval := s.received - s.receivedPrior
	s.expectedPrior, s.receivedPrior = expected, s.received
	var fraction uint8
	if lostInterval := expectedInterval - receivedInterval; expectedInterval > 0 && lostInterval > 0 {
		fraction = uint8(min(lostInterval*256/expectedInterval, 255))
	}
	b := rtcp.ReportBlock{
		SSRC:            ssrc,
		FractionLost:    fraction,
		CumulativeLost:  int32(max(min(lost, 1<<23-1), -(1 << 23))),
		HighestSequence: uint32(s.maxSeq),
		Jitter:          uint32(s.jitter >> 4),
	}
	if s.hasSR {
		b.LastSenderReport = rtcp.CompactNTP(s.srNTP)
		b.Delay = rtcp.CompactDuration(now - s.srArrival)
	}
	return b, true
}
