package media

import (
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp/codecs"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
)

// fakeOrigin counts keyframe requests and knows no clock.
type fakeOrigin struct{ keyframeRequests atomic.Int64 }

func (o *fakeOrigin) requestKeyframe(time.Duration)   { o.keyframeRequests.Add(1) }
func (o *fakeOrigin) rtpTimeAt(uint64) (uint32, bool) { return 0, false }

// testTier is a source driven the way a transcoded tier will be: its own feeder, fed by the test as an encoder's
// goroutine would be, each packet after serving the queued retransmission requests.
type testTier struct {
	feeder *feeder
	src    *source
	origin *fakeOrigin
	pkt    rtp.Packet
}

func newTestTier(fw *forwarder, codec negotiate.Codec) *testTier {
	t := &testTier{feeder: newFeeder(fw, slog.New(slog.NewTextHandler(io.Discard, nil))), origin: &fakeOrigin{}}
	detect, _ := codecs.KeyframeDetector(codec.Name)
	t.src = t.feeder.newSource(sourceParams{kind: sdp.KindVideo, codec: codec, keyframe: detect, origin: t.origin})
	return t
}

func (t *testTier) keyframeRequests() int64 { return t.origin.keyframeRequests.Load() }

func (t *testTier) fed(d *downtrack) bool { return d.fedBy(t.src) }

// send gives the tier's source one packet.
func (t *testTier) send(seq uint16, ts uint32, payload []byte, now time.Duration) {
	b := rtpPacket(0x7ee7, 100, seq, ts, payload)
	t.feeder.serve(now)
	if err := t.pkt.Unmarshal(b); err != nil {
		panic(err)
	}
	off := len(b) - len(t.pkt.Payload) - int(t.pkt.PaddingSize)
	t.src.fanOut(b, &t.pkt.Header, off, t.src.keyframe(t.pkt.Payload), now)
}

// vp8Picture is a one-packet VP8 frame with a 15-bit picture ID: a 640x480 key frame or an inter frame.
func vp8Picture(key bool, id uint16) []byte {
	b := []byte{0x90, 0x80, byte(0x80 | id>>8), byte(id)}
	if key {
		return append(b, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, 0xaa)
	}
	return append(b, 0x11, 0x02, 0x00, 0xcc)
}

// receivedVideo is what a receiver got on its video SSRC, in order: sequence number, timestamp, picture ID,
// payload after the descriptor.
type receivedVideo struct {
	seq     uint16
	ts      uint32
	picture uint16
	data    string
}

func videoReceived(t *testing.T, s *fakeSession, ssrc uint32) []receivedVideo {
	t.Helper()
	var out []receivedVideo
	for _, b := range s.sentRTP() {
		var p rtp.Packet
		if err := p.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		if p.SSRC != ssrc {
			continue
		}
		var d codecs.VP8Descriptor
		n, err := d.Unmarshal(p.Payload)
		if err != nil || !d.HasPictureID {
			t.Fatalf("video payload %x: %v", p.Payload, err)
		}
		out = append(out, receivedVideo{p.SequenceNumber, p.Timestamp, d.PictureID, string(p.Payload[n:])})
	}
	return out
}

// checkContinuous fails unless the video's sequence numbers and picture IDs go up one by one and its timestamps
// never go back.
func checkContinuous(t *testing.T, got []receivedVideo) {
	t.Helper()
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		if b.seq != a.seq+1 || b.picture != (a.picture+1)&0x7fff || !rtp.TimestampNewer(b.ts, a.ts) {
			t.Fatalf("packet %d %+v after %+v: not continuous", i, b, a)
		}
	}
}

// TestSwitchContinuesTheStream switches a receiver from the publisher's video to a tier and back: the tier's
// packets before its keyframe are held back while the publisher's keep flowing, a keyframe that comes before the
// publisher's goroutine has seen the switch is not taken, and across each switch the receiver's sequence numbers,
// timestamps and picture IDs go on.
func TestSwitchContinuesTheStream(t *testing.T) {
	tp, u, dl, sess := aReceivedByB(t)
	d := dl.feed.Load().video
	tier := newTestTier(tp.fwd, u.video.codec)
	const frame = 33 * time.Millisecond
	now := 2 * time.Second
	pubSeq, pubTS, pubPic := uint16(100), uint32(90_000), uint16(1000)
	tierSeq, tierTS, tierPic := uint16(5000), uint32(7_000_000), uint16(32760)
	pub := func(key bool) {
		send(u, u.video, pubSeq, pubTS, vp8Picture(key, pubPic), now)
		pubSeq, pubTS, pubPic, now = pubSeq+1, pubTS+3000, pubPic+1, now+frame
	}
	tierSend := func(key bool) {
		tier.send(tierSeq, tierTS, vp8Picture(key, tierPic), now)
		tierSeq, tierTS, tierPic, now = tierSeq+1, tierTS+3000, (tierPic+1)&0x7fff, now+frame
	}
	count := func() int { return len(videoReceived(t, sess, dl.videoSSRC)) }

	pub(true)
	pub(false)
	if count() != 2 {
		t.Fatalf("%d packets before the switch, want 2", count())
	}
	if err := tp.fwd.switchSource(d, tier.src, now); err != nil {
		t.Fatal(err)
	}
	if tier.keyframeRequests() != 1 {
		t.Fatalf("%d keyframe requests to the tier, want 1", tier.keyframeRequests())
	}
	tierSend(false) // not a keyframe: held back, and the tier is asked again
	if count() != 2 || tier.keyframeRequests() != 2 {
		t.Fatalf("%d packets, %d keyframe requests after the tier's first packet", count(), tier.keyframeRequests())
	}
	tierSend(true) // the publisher's goroutine has not seen the switch yet: not taken
	pub(false)     // the publisher keeps feeding (and now sees the switch)
	tierSend(false)
	if count() != 3 || d.route.Load().from != u.video.src {
		t.Fatalf("%d packets while switching, want 3, fed by the publisher", count())
	}
	now += 200 * time.Millisecond // a pause before the tier's keyframe
	tierSend(true)
	pub(false) // no longer forwarded
	tierSend(false)
	if count() != 5 || !tier.fed(d) {
		t.Fatalf("%d packets after the tier's keyframe, want 5, fed by the tier", count())
	}
	if slices.Contains(*u.video.src.downtracks.Load(), d) {
		t.Fatal("the publisher's video still lists the downtrack")
	}
	got := videoReceived(t, sess, dl.videoSSRC)
	checkContinuous(t, got)
	if step := got[3].ts - got[2].ts; step < uint32((frame+200*time.Millisecond)*90_000/time.Second) {
		t.Fatalf("timestamp step across the switch %d, less than the time elapsed", step)
	}

	// Back to the publisher's own stream.
	if err := tp.fwd.switchSource(d, u.video.src, now); err != nil {
		t.Fatal(err)
	}
	pub(false)      // held back: not a keyframe
	tierSend(false) // acknowledges
	pub(true)
	tierSend(false)
	pub(false)
	got = videoReceived(t, sess, dl.videoSSRC)
	if len(got) != 8 || !d.fedBy(u.video.src) {
		t.Fatalf("%d packets after switching back, want 8, fed by the publisher", len(got))
	}
	checkContinuous(t, got)
	if st := tp.Stats(); st.DropBeforeSwitch != 0 || st.DropWriteFailed != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestSwitchNACKsAnsweredFromHistory: during a switch, the receiver's NACKs are answered with what it was sent under
// those numbers by the feeder that feeds it; once the new source's keyframe went out, requests for packets sent
// before it are dropped (the receiver decodes from that keyframe on), those for the new source's packets answered,
// and a request queued to the old feeder before the switch completed is passed on to the new one.
func TestSwitchNACKsAnsweredFromHistory(t *testing.T) {
	tp, u, dl, sess := aReceivedByB(t)
	d := dl.feed.Load().video
	tier := newTestTier(tp.fwd, u.video.codec)
	now := 2 * time.Second
	send(u, u.video, 100, 90_000, vp8Picture(true, 1), now)
	send(u, u.video, 101, 93_000, vp8Picture(false, 2), now+30*time.Millisecond)
	if err := tp.fwd.switchSource(d, tier.src, now); err != nil {
		t.Fatal(err)
	}
	send(u, u.video, 102, 96_000, vp8Picture(false, 3), now+60*time.Millisecond) // acknowledges the switch
	sent := videoReceived(t, sess, dl.videoSSRC)
	nack := func(seqs ...uint16) {
		t.Helper()
		p := rtcp.NACK{SenderSSRC: 1, MediaSSRC: dl.videoSSRC, Pairs: rtcp.NACKPairsFromSequences(nil, seqs)}
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		sess.handler.onRTCP(b, now+70*time.Millisecond)
	}
	nack(sent[0].seq)                                                            // the switch is pending: the old feeder answers
	send(u, u.video, 103, 99_000, vp8Picture(false, 4), now+65*time.Millisecond) // serves it
	nack(sent[1].seq)                                                            // queued to the publisher's feeder, which will not feed the downtrack by the time it serves it
	tier.send(7000, 1000, vp8Picture(true, 500), now+80*time.Millisecond)
	tier.send(7001, 4000, vp8Picture(false, 501), now+110*time.Millisecond)
	sent = videoReceived(t, sess, dl.videoSSRC)
	if len(sent) != 6 {
		t.Fatalf("%d packets sent, want 6", len(sent))
	}
	nack(sent[2].seq, sent[5].seq)                                                 // one from each source, now queued to the tier's feeder
	send(u, u.video, 104, 102_000, vp8Picture(false, 5), now+120*time.Millisecond) // passes the old request on
	tier.send(7002, 7000, vp8Picture(false, 502), now+140*time.Millisecond)        // serves them

	var resent []receivedVideo
	for _, b := range sess.sentRTP() {
		var p rtp.Packet
		if err := p.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		if p.SSRC != dl.rtxSSRC {
			continue
		}
		osn := binary.BigEndian.Uint16(p.Payload)
		var vd codecs.VP8Descriptor
		n, err := vd.Unmarshal(p.Payload[2:])
		if err != nil {
			t.Fatal(err)
		}
		resent = append(resent, receivedVideo{osn, 0, vd.PictureID, string(p.Payload[2+n:])})
	}
	if len(resent) != 2 {
		t.Fatalf("%d retransmissions %+v, want 2", len(resent), resent)
	}
	for i, want := range []receivedVideo{sent[0], sent[5]} {
		if r := resent[i]; r.seq != want.seq || r.picture != want.picture || r.data != want.data {
			t.Errorf("retransmission %d: %+v, want %+v", i, r, want)
		}
	}
	st := tp.Stats()
	if st.Retransmissions != 2 || st.DropResendStale != 2 || st.RetransmitMisses != 0 || st.NACKsIn != 4 {
		t.Fatalf("Retransmissions %d DropResendStale %d RetransmitMisses %d NACKsIn %d, want 2, 2, 0, 4",
			st.Retransmissions, st.DropResendStale, st.RetransmitMisses, st.NACKsIn)
	}
}

func TestSwitchErrors(t *testing.T) {
	tp, u, dl, _ := aReceivedByB(t)
	d := dl.feed.Load().video
	h264 := u.video.codec
	h264.Name = "H264"
	tests := []struct {
		name string
		to   *source
		want error
	}{
		{"another codec", newTestTier(tp.fwd, h264).src, errSwitchIncompatible},
		{"another kind", u.audio.src, errSwitchIncompatible},
	}
	for _, tt := range tests {
		if err := tp.fwd.switchSource(d, tt.to, time.Second); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	tp.mu.Lock()
	tp.fwd.detach(dl)
	tp.mu.Unlock()
	if err := tp.fwd.switchSource(d, newTestTier(tp.fwd, u.video.codec).src, time.Second); !errors.Is(err,
		errSwitchDetached) {
		t.Errorf("detached: %v", err)
	}
}

// TestSwitchConcurrentFeeders runs the publisher's and a tier's feeders on their own goroutines, the receiver's
// NACKs on a third, while the receiver is switched back and forth: under the race detector, and the receiver's
// stream stays continuous.
func TestSwitchConcurrentFeeders(t *testing.T) {
	tp, u, dl, sess := aReceivedByB(t)
	d := dl.feed.Load().video
	tier := newTestTier(tp.fwd, u.video.codec)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	feed := func(send func(seq uint16, ts uint32, payload []byte, now time.Duration)) {
		defer wg.Done()
		seq, ts, pic := uint16(0), uint32(0), uint16(0)
		for {
			select {
			case <-stop:
				return
			default:
			}
			send(seq, ts, vp8Picture(seq%10 == 0, pic), monotonic())
			seq, ts, pic = seq+1, ts+3000, (pic+1)&0x7fff
			time.Sleep(200 * time.Microsecond)
		}
	}
	wg.Add(3)
	go feed(func(seq uint16, ts uint32, payload []byte, now time.Duration) {
		send(u, u.video, seq, ts, payload, now)
	})
	go feed(tier.send)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if seq, ok := lastSequenceNumber(sess, dl.videoSSRC); ok {
				p := rtcp.NACK{SenderSSRC: 1, MediaSSRC: dl.videoSSRC,
					Pairs: rtcp.NACKPairsFromSequences(nil, []uint16{seq - 5, seq - 1})}
				if b, err := p.Marshal(); err == nil {
					sess.handler.onRTCP(b, monotonic())
				}
			}
			time.Sleep(time.Millisecond)
		}
	}()
	sources := []*source{tier.src, u.video.src}
	for i := range 20 {
		to := sources[i%2]
		if err := tp.fwd.switchSource(d, to, monotonic()); err != nil {
			t.Fatal(err)
		}
		testkit.WaitFor(t, testkit.Patient, "the switch", func() bool { return d.fedBy(to) })
	}
	close(stop)
	wg.Wait()
	got := videoReceived(t, sess, dl.videoSSRC)
	if len(got) < 20 {
		t.Fatalf("%d packets received", len(got))
	}
	checkContinuous(t, got)
	if st := tp.Stats(); st.Retransmissions == 0 {
		t.Fatal("no NACK answered")
	}
}

// lastSequenceNumber is the sequence number of the last packet s was given on ssrc.
func lastSequenceNumber(s *fakeSession, ssrc uint32) (uint16, bool) {
	sent := s.sentRTP()
	for i := len(sent) - 1; i >= 0; i-- {
		if b := sent[i]; len(b) >= 12 && binary.BigEndian.Uint32(b[8:]) == ssrc {
			return binary.BigEndian.Uint16(b[2:]), true
		}
	}
	return 0, false
}
