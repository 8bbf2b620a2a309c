package media

import (
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
)

func TestReceiveStatsLoss(t *testing.T) {
	s := newReceiveStats(90000)
	if _, ok := s.block(1, 0); ok {
		t.Fatal("a block before any packet")
	}
	// 10 expected (100-109), 8 received.
	for _, seq := range []int64{100, 101, 102, 104, 105, 107, 108, 109} {
		s.update(seq, uint32(seq*3000), time.Duration(seq)*33*time.Millisecond, false)
	}
	b, ok := s.block(7, time.Second)
	if !ok || b.SSRC != 7 || b.CumulativeLost != 2 || b.HighestSequence != 109 || b.FractionLost != 2*256/10 {
		t.Fatalf("block %+v", b)
	}
	// Next interval: 5 expected, 5 received.
	for seq := int64(110); seq < 115; seq++ {
		s.update(seq, uint32(seq*3000), time.Duration(seq)*33*time.Millisecond, false)
	}
	if b, _ := s.block(7, 2*time.Second); b.FractionLost != 0 || b.CumulativeLost != 2 {
		t.Fatalf("second block %+v", b)
	}
}

func TestReceiveStatsJitter(t *testing.T) {
	tests := []struct {
		name   string
		jitter func(i int) time.Duration
		min    uint32
		max    uint32
	}{
		{"regular", func(int) time.Duration { return 0 }, 0, 0},
		{"alternating 10 ms", func(i int) time.Duration { return time.Duration(i%2) * 10 * time.Millisecond }, 800,
			900},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newReceiveStats(90000)
			for i := range 500 {
				arrival := time.Duration(i)*20*time.Millisecond + tt.jitter(i)
				s.update(int64(i), uint32(i*1800), arrival, false)
			}
			// Alternating delays of 0 and 10 ms differ by 900 ticks each time: the jitter converges to 900.
			b, _ := s.block(1, 0)
			if b.Jitter < tt.min || b.Jitter > tt.max {
				t.Fatalf("jitter %d, want %d-%d", b.Jitter, tt.min, tt.max)
			}
		})
	}
}

func TestReceiveStatsLastSenderReport(t *testing.T) {
	s := newReceiveStats(48000)
	s.update(1, 0, 0, false)
	ntp := rtcp.NTPTime(time.Unix(1_700_000_000, 0))
	s.senderReport(ntp, 10*time.Second)
	b, _ := s.block(1, 10*time.Second+500*time.Millisecond)
	if b.LastSenderReport != rtcp.CompactNTP(ntp) || b.Delay != rtcp.CompactDuration(500*time.Millisecond) {
		t.Fatalf("LSR %x DLSR %d", b.LastSenderReport, b.Delay)
	}
}
