package congestion

import (
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
)

// The per-packet and per-feedback costs the media plane pays. Figures in docs/OPERATIONS.md.

// BenchmarkRecorderRecord is the receive side's cost per packet: Record and the Due check that follows it, with a
// feedback built every 50 ms of a 1 Mbit/s stream (100 packets a second).
func BenchmarkRecorderRecord(b *testing.B) {
	r := newTestRecorder(b, RecorderConfig{})
	buf := make([]byte, 0, 1500)
	var seq uint16
	now := time.Second
	b.ReportAllocs()
	for b.Loop() {
		seq++
		now += 10 * ms
		r.Record(seq, now)
		for r.Due(now) {
			var ok bool
			var err error
			if buf, ok, err = r.AppendFeedback(buf[:0], now); err != nil || !ok {
				break
			}
		}
	}
}

// BenchmarkRecorderFeedback is the cost of building one feedback about 30 packets, one of them lost.
func BenchmarkRecorderFeedback(b *testing.B) {
	r := newTestRecorder(b, RecorderConfig{})
	buf := make([]byte, 0, 1500)
	var seq uint16
	now := time.Second
	b.ReportAllocs()
	for b.Loop() {
		for i := range 30 {
			seq++
			if i != 10 {
				r.Record(seq, now+time.Duration(i)*ms)
			}
		}
		now += 50 * ms
		var err error
		if buf, _, err = r.AppendFeedback(buf[:0], now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendSideOnSent is the send side's cost per packet: numbering it and remembering it.
func BenchmarkSendSideOnSent(b *testing.B) {
	ss, err := NewSendSideWith(SendSideConfig{NoInitialProbing: true, ProbeInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Second
	b.ReportAllocs()
	for b.Loop() {
		now += ms
		ss.OnSent(1200, now)
	}
}

// BenchmarkSendSideOnFeedback is the estimator's cost per feedback about 30 packets (50 ms of a 6 Mbit/s stream, or
// of several receivers' worth at lower rates): results, grouping, trendline, detector, AIMD, loss and probes.
func BenchmarkSendSideOnFeedback(b *testing.B) {
	ss, err := NewSendSideWith(SendSideConfig{NoInitialProbing: true, ProbeInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	rec := newTestRecorder(b, RecorderConfig{})
	buf := make([]byte, 0, 1500)
	var fb rtcp.TransportCC
	now := time.Second
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		for range 30 {
			now += 1666 * time.Microsecond
			seq := ss.OnSent(1200, now)
			i++
			if i%50 != 0 {
				rec.Record(seq, now+20*ms+time.Duration(i%3)*ms)
			}
		}
		buf, _, err = rec.AppendFeedback(buf[:0], now+20*ms)
		if err != nil {
			b.Fatal(err)
		}
		if err := fb.Unmarshal(buf); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := ss.OnFeedback(&fb, now+40*ms); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPacer is the pacer's cost per packet: Enqueue, Pop and the NextSendTime the send loop sleeps on.
func BenchmarkPacer(b *testing.B) {
	p := NewPacer[int]()
	p.SetEstimate(2e6)
	now := time.Second
	b.ReportAllocs()
	for b.Loop() {
		p.Enqueue(1, 1200, ClassVideo, now)
		if at, ok := p.NextSendTime(now); ok {
			now = at
		}
		p.Pop(now)
	}
}

// A second of a 1 Mbit/s video in 1,200-byte packets with its audio (50 packets of 100 bytes): what one receiver's
// (or one publisher's) transport-wide congestion control costs the server per second. ns/op is CPU per second of
// stream: 50,000 ns/op is 0.005 % of a core.
const (
	streamSecondVideo = 104
	streamSecondAudio = 50
	streamSecondFBs   = 20
)

// BenchmarkReceiverSecond is the send side for one receiver, a second at a time: every packet numbered
// (OnSent), and 20 feedbacks parsed and read by the estimator. The feedbacks themselves, the receiver's work, are
// built outside the timing.
func BenchmarkReceiverSecond(b *testing.B) {
	ss, err := NewSendSideWith(SendSideConfig{NoInitialProbing: true, ProbeInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	rec := newTestRecorder(b, RecorderConfig{})
	packets := streamSecondVideo + streamSecondAudio
	perFB := packets / streamSecondFBs
	buf := make([]byte, 0, 1500)
	var fb rtcp.TransportCC
	now := time.Second
	step := time.Second / time.Duration(packets)
	sent := make([]uint16, 0, perFB)
	b.ReportAllocs()
	for b.Loop() {
		for i := range packets {
			size := 1200
			if i%3 == 2 {
				size = 100
			}
			now += step
			sent = append(sent, ss.OnSent(size, now))
			if (i+1)%perFB != 0 {
				continue
			}
			b.StopTimer()
			for j, seq := range sent {
				rec.Record(seq, now-time.Duration(len(sent)-j)*step+20*ms)
			}
			sent = sent[:0]
			if buf, _, err = rec.AppendFeedback(buf[:0], now+20*ms); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if err := fb.Unmarshal(buf); err != nil {
				b.Fatal(err)
			}
			if err := ss.OnFeedback(&fb, now+40*ms); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkPublisherSecond is the receive side for one publisher, a second at a time: every packet recorded, and
// the 20 feedbacks built.
func BenchmarkPublisherSecond(b *testing.B) {
	rec := newTestRecorder(b, RecorderConfig{})
	packets := streamSecondVideo + streamSecondAudio
	buf := make([]byte, 0, 1500)
	var seq uint16
	now := time.Second
	step := time.Second / time.Duration(packets)
	b.ReportAllocs()
	for b.Loop() {
		for range packets {
			seq++
			now += step
			rec.Record(seq, now)
			for rec.Due(now) {
				var ok bool
				var err error
				if buf, ok, err = rec.AppendFeedback(buf[:0], now); err != nil || !ok {
					break
				}
			}
		}
	}
}
