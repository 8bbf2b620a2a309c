package media

import (
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
)

// TestDownlinkEstimate: a receiver's REMB gives its bitrate and its receiver report about the video its loss,
// each for estimateMaxAge; a report about another stream changes nothing.
func TestDownlinkEstimate(t *testing.T) {
	_, _, dl, sess := aReceivedByB(t)
	est := dl.estimator()
	at := 10 * time.Second
	if _, ok := est.bitrate(at); ok {
		t.Fatal("a bitrate before any REMB")
	}
	if _, ok := est.loss(at); ok {
		t.Fatal("a loss before any receiver report")
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
		{SSRC: dl.videoSSRC, FractionLost: 26}, {SSRC: 12345, FractionLost: 255}}})
	tests := []struct {
		now       time.Duration
		ok        bool
		bps, lost uint64
	}{
		{at, true, 750_000, 26},
		{at + estimateMaxAge, true, 750_000, 26},
		{at + estimateMaxAge + time.Millisecond, false, 0, 0},
	}
	for _, tt := range tests {
		bps, okB := est.bitrate(tt.now)
		lost, okL := est.loss(tt.now)
		if okB != tt.ok || okL != tt.ok || (tt.ok && (bps < tt.bps*99/100 || bps > tt.bps || uint64(lost) != tt.lost)) {
			t.Errorf("at %v: bitrate %d (%v) loss %d (%v), want %d and %d (%v)", tt.now, bps, okB, lost, okL, tt.bps,
				tt.lost, tt.ok)
		}
	}
}
