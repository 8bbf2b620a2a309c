package media

import (
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/congestion"
	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
)

// TestDownlinkEstimate: a receiver's REMB gives its bitrate for congestion.DefaultREMBMaxAge, and its receiver report about the
// video its loss; a report block about another stream changes nothing. (Without transport-cc: with it, see
// TestDownlinkTransportCCEstimate.)
func TestDownlinkEstimate(t *testing.T) {
	_, _, dl, sess := aReceivedByBWith(t, Config{NoTransportCC: true})
	est := dl.estimator()
	at := 10 * time.Second
	if _, ok := est.Bitrate(at); ok || est.Loss() != 0 {
		t.Fatal("an estimate before any report")
	}
	feed := func(p rtcp.Packet) {
		t.Helper()
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		sess.handler.onRTCP(b, at)
	}
	feed(&rtcp.REMB{SenderSSRC: 1, Bitrate: 750_000, SSRCs: []uint32{dl.videoSSRC}})
	feed(&rtcp.ReceiverReport{SSRC: 1, Reports: []rtcp.ReportBlock{{SSRC: dl.audioSSRC, FractionLost: 200},
		{SSRC: dl.videoSSRC, FractionLost: 64}, {SSRC: 12345, FractionLost: 255}}})
	if got := est.Loss(); got != 0.25 {
		t.Errorf("loss %v, want 0.25 (the video's block)", got)
	}
	tests := []struct {
		now time.Duration
		ok  bool
	}{{at, true}, {at + congestion.DefaultREMBMaxAge, true}, {at + congestion.DefaultREMBMaxAge + time.Millisecond, false}}
	for _, tt := range tests {
		// REMB's mantissa and exponent round down: within 1%.
		if bps, ok := est.Bitrate(tt.now); ok != tt.ok || (ok && (bps > 750_000 || bps < 742_500)) {
			t.Errorf("at %v: bitrate %d (%v), want 750 kbit/s (%v)", tt.now, bps, ok, tt.ok)
		}
	}
}
