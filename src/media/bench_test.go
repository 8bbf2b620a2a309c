package media

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
	"github.com/heytribe/live-webrtcsignaling/src/webrtc"
)

// discardSession counts what is written and keeps nothing, as a session whose queue takes every packet would.
type discardSession struct {
	fakeSession
	rtpOut, rtcpOut atomic.Uint64
}

func (s *discardSession) WriteRTP([]byte) error              { s.rtpOut.Add(1); return nil }
func (s *discardSession) ForwardRTP([]byte, time.Time) error { s.rtpOut.Add(1); return nil }
func (s *discardSession) WriteRTCP([]byte) error             { s.rtcpOut.Add(1); return nil }

// noHooks are session hooks that do nothing.
func noHooks() sessionHooks {
	return sessionHooks{flowing: func() {}, ended: func(webrtc.State, webrtc.Reason) {}}
}

// benchUpstream makes a Chromium publisher (Opus and VP8) forwarded to n connected listeners.
func benchUpstream(b testing.TB, n int) (*upstream, []*discardSession) {
	b.Helper()
	p, err := newPlane(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, &fakeFactory{}, &fakeNotifier{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close(context.Background()) })
	offer, err := sdp.Unmarshal([]byte(loadOffer(b, "chromium156-audio-video.sdp")))
	if err != nil {
		b.Fatal(err)
	}
	up := &discardSession{}
	up.local = fakeLocal(0)
	_, result, err := p.answerPublisher(offer, up)
	if err != nil {
		b.Fatal(err)
	}
	owner := newParticipant(room, "publisher-socket")
	u := p.fwd.newUpstream(up, result, &owner.rtt, noHooks(), p.log)
	u.flowing.Store(true)
	var sessions []*discardSession
	for i := range n {
		receiver := newParticipant(room, fmt.Sprintf("listener-%d", i))
		l := newListener(p, receiver, owner)
		s := &discardSession{}
		s.local = fakeLocal(i + 1)
		l.sess = s
		l.down = p.fwd.newDownlink(s, &receiver.rtt, owner.cname, noHooks())
		offer, err := negotiate.OfferListener(s.local, l.tracks(u))
		if err != nil {
			b.Fatal(err)
		}
		text, err := offer.Marshal()
		if err != nil {
			b.Fatal(err)
		}
		answer, err := sdp.Unmarshal([]byte(browserAnswer(b, string(text))))
		if err != nil {
			b.Fatal(err)
		}
		res, err := negotiate.ReadListenerAnswer(offer, answer)
		if err != nil {
			b.Fatal(err)
		}
		f, err := p.fwd.newFeed(l.down, u, res)
		if err != nil {
			b.Fatal(err)
		}
		p.fwd.attach(f)
		l.down.connected.Store(true)
		l.down.flowing.Store(true)
		sessions = append(sessions, s)
	}
	return u, sessions
}

// BenchmarkFanOut is the forwarding path of one publisher video packet (1,000 bytes of VP8 with Chromium's
// header extensions) to n listeners: parse, loss tracking, then per listener a copy into its send history with
// its extensions, the rewrite and the session's (discarding) write. The RTCP that falls due every simulated second
// is included.
func BenchmarkFanOut(b *testing.B) {
	for _, n := range []int{1, 4, 7} {
		b.Run(fmt.Sprintf("listeners=%d", n), func(b *testing.B) {
			u, sessions := benchUpstream(b, n)
			t := u.video
			p := rtp.Packet{Header: rtp.Header{PayloadType: t.codec.PayloadType, SSRC: t.ssrc.Load()},
				Payload: make([]byte, 1000)}
			copy(p.Payload, vp8Key)
			if err := p.SetExtension(uint8(t.extensions[negotiate.ExtSDESMID]), []byte("1")); err != nil {
				b.Fatal(err)
			}
			if err := p.SetExtension(uint8(t.extensions[negotiate.ExtVideoOrientation]), []byte{0}); err != nil {
				b.Fatal(err)
			}
			pkt, err := p.AppendBinary(nil)
			if err != nil {
				b.Fatal(err)
			}
			// 100 packets a second, a frame every 3 packets.
			const interval = 10 * time.Millisecond
			now := time.Minute
			seq, ts := uint16(0), uint32(0)
			forward := func() {
				seq++
				if seq%3 == 0 {
					ts += 4500
				}
				binary.BigEndian.PutUint16(pkt[2:], seq) // the RTP header's sequence number
				binary.BigEndian.PutUint32(pkt[4:], ts)  // and timestamp
				now += interval
				u.onRTP(pkt, now)
			}
			for range 200 { // warm up: keyframe start, histories' first laps, first reports
				forward()
			}
			b.SetBytes(int64(len(pkt)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				forward()
			}
			b.StopTimer()
			if got := sessions[n-1].rtpOut.Load(); got < uint64(b.N) {
				b.Fatalf("listener got %d packets of %d", got, b.N)
			}
		})
	}
}

// BenchmarkDownlinkSending is what each packet to a receiver that negotiated transport-cc costs as it leaves the
// pacer: parse its header, stamp abs-send-time, number it in the SendSide and stamp the number.
func BenchmarkDownlinkSending(b *testing.B) {
	_, sessions := benchUpstream(b, 1)
	dl := sessions[0].pacingDownlink(b)
	pkt := make([]byte, 0, 1100)
	h := rtp.Header{PayloadType: 96, SSRC: dl.videoSSRC}
	for _, e := range []struct {
		id  uint8
		len int
	}{{dl.feed.Load().video.ext.absSendTime, 3}, {dl.feed.Load().video.ext.transportCC, 2}} {
		if err := h.SetExtension(e.id, make([]byte, e.len)); err != nil {
			b.Fatal(err)
		}
	}
	pkt, err := h.AppendBinary(pkt)
	if err != nil {
		b.Fatal(err)
	}
	pkt = append(pkt, make([]byte, 1000)...)
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		now = now.Add(100 * time.Microsecond)
		dl.Sending(pkt, now)
	}
}

// BenchmarkDownlinkFeedback is a receiver's transport-wide feedback about 30 packets (one lost), read as the
// session's inbound goroutine reads it: RTCP parse, then the estimator's update. At 20 feedbacks a second it is
// the estimation cost per receiver.
func BenchmarkDownlinkFeedback(b *testing.B) {
	_, sessions := benchUpstream(b, 1)
	dl := sessions[0].pacingDownlink(b)
	ss := dl.sendSide.Load()
	now := time.Minute
	fb := rtcp.TransportCC{SenderSSRC: 1, MediaSSRC: dl.videoSSRC, Arrivals: make([]rtcp.PacketArrival, 0, 30)}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		first := ss.OnSent(1100, now)
		for range 29 {
			now += time.Millisecond
			ss.OnSent(1100, now)
		}
		fb.BaseSequence, fb.PacketCount, fb.FeedbackCount = first, 30, uint8(i)
		fb.ReferenceTime = rtcp.TransportCCReferenceTime(now + 20*time.Millisecond)
		fb.Arrivals = fb.Arrivals[:0]
		for k := range uint16(30) {
			if k != 17 {
				fb.Arrivals = append(fb.Arrivals, rtcp.PacketArrival{Sequence: first + k,
					Arrival: now + 20*time.Millisecond + time.Duration(k)*time.Millisecond})
			}
		}
		var err error
		if buf, err = fb.AppendTo(buf[:0]); err != nil {
			b.Fatal(err)
		}
		now += 20 * time.Millisecond
		dl.onRTCP(buf, now)
	}
	b.StopTimer()
	if st := ss.Stats(); st.Feedbacks < uint64(b.N) {
		b.Fatalf("%d feedbacks read of %d", st.Feedbacks, b.N)
	}
}

// pacingDownlink is the downlink that paces the session.
func (s *discardSession) pacingDownlink(b *testing.B) *downlink {
	b.Helper()
	dl, ok := s.pacing.(*downlink)
	if !ok || dl.sendSide.Load() == nil {
		b.Fatal("the benchmark listener did not negotiate transport-cc")
	}
	return dl
}
