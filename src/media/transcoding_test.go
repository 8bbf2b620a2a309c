package media

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/protocol"
	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/webrtc"
)

// fakeTranscoder stands for src/transcode: decoders that count packets, encoders that output what the test asks.
type fakeTranscoder struct {
	mu       sync.Mutex
	decoders []*fakeDecoder
}

func (f *fakeTranscoder) Decodes(codec string) bool {
	return slices.Contains([]string{"VP8", "VP9", "H264"}, strings.ToUpper(codec))
}

func (f *fakeTranscoder) Encodes(codec string) bool {
	return slices.Contains([]string{"VP8", "H264"}, strings.ToUpper(codec))
}

func (f *fakeTranscoder) NewDecoder(codec string, _ func()) (VideoDecoder, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := &fakeDecoder{codec: codec}
	f.decoders = append(f.decoders, d)
	return d, nil
}

// encoders lists every encoder made, in order.
func (f *fakeTranscoder) encoders() []*fakeEncoder {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*fakeEncoder
	for _, d := range f.decoders {
		d.mu.Lock()
		out = append(out, d.encoders...)
		d.mu.Unlock()
	}
	return out
}

type fakeDecoder struct {
	codec    string
	mu       sync.Mutex
	pushed   []uint16
	encoders []*fakeEncoder
}

func (d *fakeDecoder) Push(p *rtp.Packet) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pushed = append(d.pushed, p.SequenceNumber)
}

func (d *fakeDecoder) NewEncoder(p EncoderParams) (VideoEncoder, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := &fakeEncoder{params: p}
	d.encoders = append(d.encoders, e)
	return e, nil
}

func (d *fakeDecoder) Close() error { return nil }

type fakeEncoder struct {
	params    EncoderParams
	mu        sync.Mutex
	bitrate   int
	keyframes int
	closed    bool
	seq       uint16
}

func (e *fakeEncoder) SetBitrate(bps int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.bitrate = bps
	return nil
}

func (e *fakeEncoder) ForceKeyframe() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.keyframes++
}

func (e *fakeEncoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed = true
	return nil
}

// fakeShift is the fake encoders' constant: their timestamps are the source frame's plus it.
const fakeShift = 0x4000_0000

// emit outputs one one-packet frame, a keyframe or not, as the encoder's goroutine would.
func (e *fakeEncoder) emit(key bool) {
	e.emitFrom(key, uint32(e.seq+1)*3000)
}

// emitFrom is emit of a frame made from the publisher's frame of RTP timestamp source.
func (e *fakeEncoder) emitFrom(key bool, source uint32) {
	payload := vp8Picture(key, e.seq)
	if strings.EqualFold(e.params.Codec, "H264") {
		payload = []byte{0x41, 0x9a, 0x00} // a non-IDR slice
		if key {
			payload = []byte{0x65, 0x88, 0x80} // an IDR slice
		}
	}
	e.seq++
	e.params.Output(EncodedPacket{Data: rtpPacket(0xe0c0de, 96, e.seq, source+fakeShift, payload), Keyframe: key,
		SourceTimestamp: source})
}

var testTiers = []Tier{{640, 480, 30, 1_200_000}, {480, 360, 25, 600_000}, {320, 240, 15, 250_000}}

// answerOnly is a browser's answer that accepts, for video, only the codec named codec (and its RTX).
func answerOnly(t *testing.T, offerText, codec string) string {
	t.Helper()
	answer, err := sdp.Unmarshal([]byte(browserAnswer(t, offerText)))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range answer.Media {
		if m.Kind != sdp.KindVideo {
			continue
		}
		keep := map[uint8]bool{}
		for _, r := range m.RTPMaps {
			if strings.EqualFold(r.Name, codec) {
				keep[r.PayloadType] = true
			}
		}
		for _, f := range m.Fmtps {
			if apt, ok := strings.CutPrefix(f.Value, "apt="); ok {
				if n, err := strconv.Atoi(apt); err == nil && keep[uint8(n)] {
					keep[f.PayloadType] = true
				}
			}
		}
		m.Formats = slices.DeleteFunc(m.Formats, func(f string) bool {
			n, err := strconv.Atoi(f)
			return err != nil || !keep[uint8(n)]
		})
		m.RTPMaps = slices.DeleteFunc(m.RTPMaps, func(r sdp.RTPMap) bool { return !keep[r.PayloadType] })
		m.Fmtps = slices.DeleteFunc(m.Fmtps, func(f sdp.Fmtp) bool { return !keep[f.PayloadType] })
		m.RTCPFeedback = slices.DeleteFunc(m.RTCPFeedback, func(f sdp.RTCPFeedback) bool {
			return !f.Wildcard && !keep[f.PayloadType]
		})
	}
	text, err := answer.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return string(text)
}

// videoCodecs are the names of the video codecs of an offer, in order, RTX left out.
func videoCodecs(t *testing.T, offerText string) []string {
	t.Helper()
	offer, err := sdp.Unmarshal([]byte(offerText))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range offer.Media {
		if m.Kind == sdp.KindVideo {
			for _, r := range m.RTPMaps {
				if r.Name != "rtx" {
					names = append(names, r.Name)
				}
			}
		}
	}
	return names
}

// TestTranscodingTranslatesTheCodec: the offer lists the publisher's codec, then the other one the server encodes;
// a receiver answering the other gets the best tier in it, shared with the next such receiver, and its packets
// under its own payload type and SSRC.
func TestTranscodingTranslatesTheCodec(t *testing.T) {
	ft := &fakeTranscoder{}
	tp := newTestPlane(t, Config{Transcoder: ft, Tiers: testTiers, MaxEncoders: 4})
	for _, id := range []string{"A", "B", "C"} {
		tp.Joined(room, id)
	}
	u, _ := tp.publish(t, "A")
	send(u, u.audio, 1, 0, opus, time.Second)
	var sessions []*fakeSession
	for _, id := range []string{"B", "C"} {
		ev := tp.waitEvents(t, id, protocol.EventExchangeSdp, 1)[0].data.(protocol.ExchangeSdpEvent)
		if got := videoCodecs(t, ev.SDP.SDP); !slices.Equal(got, []string{"VP8", "H264"}) {
			t.Fatalf("offer's video codecs %v, want [VP8 H264]", got)
		}
		if err := tp.Answer(context.Background(), room, id, "A", answerOnly(t, ev.SDP.SDP, "H264")); err != nil {
			t.Fatal(err)
		}
		sess := tp.listenerOf(id, "A").sess.(*fakeSession)
		sess.handler.onState(webrtc.StateConnected, webrtc.ReasonNone)
		sessions = append(sessions, sess)
	}
	encs := ft.encoders()
	if len(encs) != 1 || encs[0].params.Codec != "H264" || encs[0].params.Tier != testTiers[0] {
		t.Fatalf("encoders %+v, want one H264 640x480 shared by both receivers", encs)
	}
	encs[0].emit(true)
	encs[0].emit(false)
	for i, sess := range sessions {
		dl := tp.listenerOf([]string{"B", "C"}[i], "A").down
		var video []rtp.Packet
		for _, b := range sess.sentRTP() {
			var p rtp.Packet
			if err := p.Unmarshal(b); err != nil {
				t.Fatal(err)
			}
			if p.SSRC == dl.videoSSRC {
				video = append(video, p)
			}
		}
		if len(video) != 2 {
			t.Fatalf("receiver %d got %d video packets, want 2", i, len(video))
		}
		if want := dl.feed.Load().video.payloadType; video[1].PayloadType != want || video[1].Payload[0] != 0x41 {
			t.Errorf("receiver %d: payload type %d, payload %x, want its H264's %d and the encoder's slice", i,
				video[1].PayloadType, video[1].Payload, want)
		}
	}
	if st := tp.TranscodeStats(); st.Encoders != 1 || st.EncodersStarted != 1 {
		t.Errorf("stats %+v, want 1 encoder", st)
	}
}

// TestTranscodingMovesAWeakReceiver: a receiver whose estimate falls goes to the tier that fits it, the decoder
// gets the publisher's packets from then on, and the publisher's REMB stays at the best tier's bitrate at least.
func TestTranscodingMovesAWeakReceiver(t *testing.T) {
	ft := &fakeTranscoder{}
	// The receiver's estimate is its REMB (transport-cc off), which the test sets.
	tp := newTestPlane(t, Config{Transcoder: ft, Tiers: testTiers, MaxEncoders: 4, NoTransportCC: true})
	tp.Joined(room, "A")
	tp.Joined(room, "B")
	u, _ := tp.publish(t, "A")
	send(u, u.audio, 1, 0, opus, time.Second)
	dl, _ := tp.listen(t, "B", "A", 1)
	now := monotonic()
	dl.estimate.OnREMB(300_000, now)
	tp.fwd.tc.pass(now)
	encs := ft.encoders()
	if len(encs) != 1 || encs[0].params.Codec != "VP8" || encs[0].params.Tier != testTiers[1] {
		t.Fatalf("encoders %+v, want one VP8 480x360 (an estimate of 300 kbit/s)", encs)
	}
	d := dl.feed.Load().video
	if r := d.route.Load(); r.to == nil || r.to.codec.Name != "VP8" {
		t.Fatalf("route %+v: no switch to the tier pending", r)
	}
	if got, _ := u.bandwidth(now); got != uint64(testTiers[0].Bitrate) {
		t.Errorf("publisher's REMB %d with a receiver at 300 kbit/s, want the best tier's bitrate at least", got)
	}
	send(u, u.video, 100, 9000, vp8Picture(true, 1), now)
	send(u, u.video, 101, 12000, vp8Picture(false, 2), now)
	decs := ft.decoders
	if len(decs) != 1 || !slices.Equal(decs[0].pushed, []uint16{100, 101}) {
		t.Errorf("decoder got %v, want [100 101]", decs[0].pushed)
	}
	if st := tp.TranscodeStats(); st.TierSwitches != 1 {
		t.Errorf("tier switches %d, want 1", st.TierSwitches)
	}
}

// TestTranscodingGuard: past MaxEncoders, a receiver that would need another encoder stays where it is, and the
// refusal is counted.
func TestTranscodingGuard(t *testing.T) {
	ft := &fakeTranscoder{}
	tp := newTestPlane(t, Config{Transcoder: ft, Tiers: testTiers, MaxEncoders: 1, NoTransportCC: true})
	for _, id := range []string{"A", "B", "C"} {
		tp.Joined(room, id)
	}
	u, _ := tp.publish(t, "A")
	send(u, u.audio, 1, 0, opus, time.Second)
	b, _ := tp.listen(t, "B", "A", 1)
	c, _ := tp.listen(t, "C", "A", 1)
	now := monotonic()
	b.estimate.OnREMB(300_000, now) // 480x360
	c.estimate.OnREMB(100_000, now) // 320x240: no encoder left, shares B's
	tp.fwd.tc.pass(now)
	if encs := ft.encoders(); len(encs) != 1 {
		t.Fatalf("%d encoders with a budget of 1", len(encs))
	}
	st := tp.TranscodeStats()
	if st.GuardRefusals != 1 || st.Encoders != 1 {
		t.Errorf("stats %+v, want 1 refusal and 1 encoder", st)
	}
	for _, dl := range []*downlink{b, c} {
		if r := dl.feed.Load().video.route.Load(); r.to == nil || r.to != b.feed.Load().video.route.Load().to {
			t.Errorf("%s not on the one tier", dl.receiver)
		}
	}
}

// TestTranscodingTierSRsFollowThePublisherClock: a tier's SRs map its RTP time through the publisher's own SRs (its
// frames carry their source frames' timestamps plus the encoder's constant), not from the tier's last packet, which
// left the encoder a transcoding latency after its capture: the receiver's lip sync with the forwarded audio holds.
func TestTranscodingTierSRsFollowThePublisherClock(t *testing.T) {
	ft := &fakeTranscoder{}
	tp := newTestPlane(t, Config{Transcoder: ft, Tiers: testTiers, MaxEncoders: 4, NoTransportCC: true})
	tp.Joined(room, "A")
	tp.Joined(room, "B")
	u, _ := tp.publish(t, "A")
	send(u, u.audio, 1, 0, opus, time.Second)
	dl, sess := tp.listen(t, "B", "A", 1)
	now := monotonic()
	send(u, u.video, 100, 81000, vp8Key, now)
	// The publisher's video SR: RTP time 90000 now.
	ntp := rtcp.NTPTime(time.Now())
	b, err := (&rtcp.SenderReport{SSRC: u.video.ssrc.Load(), NTPTime: ntp, RTPTime: 90000}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	u.onRTCP(b, now)
	dl.estimate.OnREMB(300_000, now)
	tp.fwd.tc.pass(now)
	encs := ft.encoders()
	if len(encs) != 1 {
		t.Fatalf("encoders %+v, want one", encs)
	}
	send(u, u.video, 101, 84000, vp8Picture(false, 2), now) // the publisher's source acknowledges the switch
	// The tier's keyframe, made from the publisher's frame of 100 ms ago (the transcoding's latency), takes over
	// and is reported at once.
	encs[0].emitFrom(true, 90000-9000)
	d := dl.feed.Load().video
	if r := d.route.Load(); r.to != nil || r.from.codec.Name != "VP8" || r.from == u.video.src {
		t.Fatalf("route %+v: the tier did not take over", r)
	}
	var sr *rtcp.SenderReport
	for _, b := range rtcpPackets(t, sess.sentRTCP())[rtcp.KindSenderReport] {
		var r rtcp.SenderReport
		if err := r.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		if r.SSRC == dl.videoSSRC {
			sr = &r
		}
	}
	if sr == nil {
		t.Fatal("no SR for the tier's video")
	}
	// Taken back to the publisher's timestamps, the SR's RTP time is the publisher's SR's plus the NTP time since.
	got := int64(int32(sr.RTPTime - d.tsOffset - fakeShift - 90000))
	want := int64(ntpTicks(int64(sr.NTPTime-ntp), 90000))
	if got-want > 90 || want-got > 90 {
		t.Errorf("tier SR at %d ticks after the publisher's SR, want %d (within 1 ms)", got, want)
	}
}

// TestTranscodingGuardCapsThePublisher: with the encoder budget spent and no tier of its codec running, a weak
// receiver stays on the publisher's own stream and its estimate caps the publisher again (counted once, however
// many passes it lasts); once its estimate recovers, the best tier's floor is back.
func TestTranscodingGuardCapsThePublisher(t *testing.T) {
	ft := &fakeTranscoder{}
	tp := newTestPlane(t, Config{Transcoder: ft, Tiers: testTiers, MaxEncoders: 1, NoTransportCC: true})
	for _, id := range []string{"A", "B", "C"} {
		tp.Joined(room, id)
	}
	u, _ := tp.publish(t, "A")
	send(u, u.audio, 1, 0, opus, time.Second)
	// B decodes H264 only: the one encoder of the budget is its translation.
	ev := tp.waitEvents(t, "B", protocol.EventExchangeSdp, 1)[0].data.(protocol.ExchangeSdpEvent)
	if err := tp.Answer(context.Background(), room, "B", "A", answerOnly(t, ev.SDP.SDP, "H264")); err != nil {
		t.Fatal(err)
	}
	tp.listenerOf("B", "A").sess.(*fakeSession).handler.onState(webrtc.StateConnected, webrtc.ReasonNone)
	c, _ := tp.listen(t, "C", "A", 1)
	now := monotonic()
	for i := range 3 {
		c.estimate.OnREMB(300_000, now)
		tp.fwd.tc.pass(now)
		now += adaptInterval
		if i == 0 {
			if got, _ := u.bandwidth(now); got > 300_000 {
				t.Errorf("publisher's REMB %d with a receiver held at 300 kbit/s on its stream, want 300 kbit/s", got)
			}
		}
	}
	if r := c.feed.Load().video.route.Load(); r.from != u.video.src || r.to != nil {
		t.Errorf("C's route %+v: want the publisher's own stream (no VP8 tier runs, none can start)", r)
	}
	if st := tp.TranscodeStats(); st.GuardRefusals != 1 || st.Encoders != 1 {
		t.Errorf("stats %+v, want 1 refusal (three passes) and 1 encoder", st)
	}
	c.estimate.OnREMB(2_000_000, now)
	tp.fwd.tc.pass(now)
	if got, _ := u.bandwidth(now); got < uint64(testTiers[0].Bitrate) {
		t.Errorf("publisher's REMB %d once C's estimate recovered, want the best tier's bitrate at least", got)
	}
}
