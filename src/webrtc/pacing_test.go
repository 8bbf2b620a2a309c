package webrtc

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/congestion"
)

// testPacing paces at a fixed bitrate, marks each packet's first payload byte with its send order, and hands one
// probe of 300 bytes (SSRC probeSSRC) at the first call.
type testPacing struct {
	bps     uint64
	sent    atomic.Uint32
	dropped atomic.Uint32
	once    sync.Once
}

const (
	audioTestSSRC = 1
	probeTestSSRC = 3
)

func (p *testPacing) Class(pkt []byte) congestion.Class {
	if binary.BigEndian.Uint32(pkt[8:]) == audioTestSSRC {
		return congestion.ClassAudio
	}
	return congestion.ClassVideo
}

func (p *testPacing) Bitrate(time.Time) uint64 { return p.bps }

func (p *testPacing) Sending(pkt []byte, _ time.Time) {
	pkt[12] = byte(p.sent.Add(1))
}

func (p *testPacing) Probe(buf []byte, now time.Time) (int, time.Time) {
	n := 0
	p.once.Do(func() { n = len(appendRTP(buf[:0], 1, probeTestSSRC, make([]byte, 288))) })
	return n, time.Time{}
}

func (p *testPacing) Dropped() { p.dropped.Add(1) }

// TestPacedWriter: with Pacing, a burst of video leaves spread at the pacing rate (the pacer's MaxQueueTime
// bounding the spread), audio written after it overtakes it, every packet is stamped by Sending in send order, and
// the probe is sent.
func TestPacedWriter(t *testing.T) {
	e := newTestEngine(t, func(c *Config) { c.WriteQueue = 256 })
	s, p, _ := connectedPair(t, e)
	pacing := &testPacing{bps: 320_000} // 100 kB/s
	s.SetPacing(pacing)
	payload := make([]byte, 988)
	for i := range 60 {
		if err := s.WriteRTP(rtpPacket(uint16(i), 2, payload)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.WriteRTP(rtpPacket(100, audioTestSSRC, make([]byte, 100))); err != nil {
		t.Fatal(err)
	}
	var first, last time.Time
	audioAt, probe, video := -1, false, 0
	for n := 0; n < 62; n++ {
		pkt, ok := p.readMedia(false, 5*time.Second)
		if !ok {
			t.Fatalf("%d packets received, want 62", n)
		}
		if got := int(pkt[12]); got != n+1 {
			t.Fatalf("packet %d stamped %d by Sending", n+1, got)
		}
		switch binary.BigEndian.Uint32(pkt[8:]) {
		case audioTestSSRC:
			audioAt = video
		case probeTestSSRC:
			probe = true
		default:
			if video == 0 {
				first = time.Now()
			}
			last = time.Now()
			video++
		}
	}
	if !probe {
		t.Fatal("the probe was not sent")
	}
	if audioAt < 0 || audioAt > 30 {
		t.Fatalf("audio left after %d of 60 video packets queued before it, want it ahead of most", audioAt)
	}
	// 60 kB at 100 kB/s, within the pacer's 500 ms bound: at least 300 ms from the first to the last.
	if spread := last.Sub(first); spread < 300*time.Millisecond || spread > 2*time.Second {
		t.Fatalf("60 kB of video left over %v, want 0.3 to 2 s (paced at 100 kB/s, drained within 500 ms)", spread)
	}
	if d := pacing.dropped.Load(); d != 0 || s.Stats().Counters.WritePacerDrops != 0 {
		t.Fatalf("%d packets dropped by the pacer", d)
	}
}
