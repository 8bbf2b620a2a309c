package media

import (
	"context"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/congestion"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
	"github.com/heytribe/live-webrtcsignaling/src/webrtc"
)

// hasTransportCC tells whether every section of a description has the transport-wide sequence number extension
// and transport-cc feedback on its first codec.
func hasTransportCC(t *testing.T, text string) bool {
	t.Helper()
	s, err := sdp.Unmarshal([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	all := true
	for _, m := range s.Media {
		_, ext := sdp.ExtMapID(m.ExtMaps, negotiate.ExtTransportCC)
		codecs := m.Codecs()
		fb := len(codecs) > 0 && codecs[0].HasFeedback(sdp.FeedbackTransportCC)
		all = all && ext && fb
	}
	return all
}

func TestPlaneNegotiatesTransportCC(t *testing.T) {
	for _, off := range []bool{false, true} {
		t.Run(map[bool]string{false: "on", true: "off"}[off], func(t *testing.T) {
			tp := newTestPlane(t, Config{NoTransportCC: off})
			tp.Joined(room, "A")
			tp.Joined(room, "B")
			answer, err := tp.Publish(context.Background(), room, "A", loadOffer(t, "chromium156-audio-video.sdp"))
			if err != nil {
				t.Fatal(err)
			}
			if got := hasTransportCC(t, answer); got == off {
				t.Fatalf("publisher answer with transport-cc %v, want %v:\n%s", got, !off, answer)
			}
			if !off && !strings.Contains(answer, "goog-remb") {
				t.Fatalf("publisher answer without goog-remb alongside transport-cc:\n%s", answer)
			}
			u := tp.upstreamOf("A")
			send(u, u.audio, 1, 0, opus, 0)
			ev := tp.waitEvents(t, "B", protocol.EventExchangeSdp, 1)[0].data.(protocol.ExchangeSdpEvent)
			if got := hasTransportCC(t, ev.SDP.SDP); got == off {
				t.Fatalf("listener offer with transport-cc %v, want %v:\n%s", got, !off, ev.SDP.SDP)
			}
		})
	}
}

// tccPacket is an RTP packet of track t carrying the transport-wide sequence number tseq in extension id.
func tccPacket(t *testing.T, tr *track, id uint8, seq, tseq uint16, payload []byte) []byte {
	t.Helper()
	p := rtp.Packet{Header: rtp.Header{PayloadType: tr.codec.PayloadType, SequenceNumber: seq, Timestamp: uint32(seq) * 3000,
		SSRC: tr.ssrc.Load(), Marker: true}, Payload: payload}
	v := make([]byte, 2)
	if err := rtp.PutTransportCC(v, tseq); err != nil {
		t.Fatal(err)
	}
	if err := p.Header.SetExtension(id, v); err != nil {
		t.Fatal(err)
	}
	b, err := p.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// transportFeedbacks decodes the transport-wide feedback packets written to a session.
func transportFeedbacks(t *testing.T, datagrams [][]byte) []rtcp.TransportCC {
	t.Helper()
	var out []rtcp.TransportCC
	for _, d := range datagrams {
		r := rtcp.NewReader(d, rtcp.ReducedSize)
		for r.Next() {
			if r.Kind() != rtcp.KindTransportCC {
				continue
			}
			var fb rtcp.TransportCC
			if err := fb.Unmarshal(r.Packet()); err != nil {
				t.Fatal(err)
			}
			out = append(out, fb)
		}
	}
	return out
}

func TestUpstreamSendsTransportFeedback(t *testing.T) {
	tp := newTestPlane(t, Config{})
	tp.Joined(room, "A")
	u, sess := tp.publish(t, "A")
	if u.recorder == nil {
		t.Fatal("no feedback recorder for a publisher that negotiated transport-cc")
	}
	// 20 video packets every 10 ms, transport-wide numbers 100 to 119 with 105 and 106 lost.
	now := time.Second
	for i := uint16(0); i < 20; i++ {
		if i == 5 || i == 6 {
			continue
		}
		u.onRTP(tccPacket(t, u.video, u.tccID, 10+i, 100+i, vp8Delta), now+time.Duration(i)*10*time.Millisecond)
	}
	u.sendTransportFeedback(now + 300*time.Millisecond)
	fbs := transportFeedbacks(t, sess.sentRTCP())
	if len(fbs) < 3 {
		t.Fatalf("%d feedbacks over 200 ms with a loss burst, want at least 3 (every 50 ms and at the burst)", len(fbs))
	}
	received := map[uint16]bool{}
	for _, fb := range fbs {
		if fb.SenderSSRC != u.rtcpSSRC || fb.MediaSSRC != u.video.ssrc.Load() {
			t.Fatalf("feedback from SSRC %d about %d, want the server's %d about the video's %d", fb.SenderSSRC,
				fb.MediaSSRC, u.rtcpSSRC, u.video.ssrc.Load())
		}
		for _, a := range fb.Arrivals {
			received[a.Sequence] = true
		}
	}
	for seq := uint16(100); seq < 120; seq++ {
		if received[seq] != (seq != 105 && seq != 106) {
			t.Fatalf("sequence %d reported received %v", seq, received[seq])
		}
	}
	if got := tp.Stats().TransportFeedbacksOut; got != uint64(len(fbs)) {
		t.Fatalf("TransportFeedbacksOut %d, want %d", got, len(fbs))
	}
}

// TestTransportFeedbackNamesLearnedSSRC: a publisher that signals no SSRC (mids only) is named in the feedback by
// the SSRC of its first media packets, video first: libwebrtc drops a feedback naming none of its streams.
func TestTransportFeedbackNamesLearnedSSRC(t *testing.T) {
	tp := newTestPlane(t, Config{})
	tp.Joined(room, "A")
	var lines []string
	for _, l := range strings.SplitAfter(loadOffer(t, "chromium156-audio-video.sdp"), "\n") {
		if !strings.HasPrefix(l, "a=ssrc") {
			lines = append(lines, l)
		}
	}
	if _, err := tp.Publish(context.Background(), room, "A", strings.Join(lines, "")); err != nil {
		t.Fatal(err)
	}
	u := tp.upstreamOf("A")
	sess := u.sess.(*fakeSession)
	sess.handler.onState(webrtc.StateConnected, webrtc.ReasonNone)
	if u.recorder == nil || u.video.ssrc.Load() != 0 || u.audio.ssrc.Load() != 0 {
		t.Fatal("want a recorder and no SSRC known before the first packet")
	}
	const audioSSRC, videoSSRC = 0xa0d10, 0x51de0
	now := time.Second
	packet := func(tr *track, ssrc uint32, seq, tseq uint16, payload []byte) []byte {
		p := rtp.Packet{Header: rtp.Header{PayloadType: tr.codec.PayloadType, SequenceNumber: seq, SSRC: ssrc,
			Marker: true}, Payload: payload}
		v := make([]byte, 2)
		if err := rtp.PutTransportCC(v, tseq); err != nil {
			t.Fatal(err)
		}
		if err := p.Header.SetExtension(u.tccID, v); err != nil {
			t.Fatal(err)
		}
		b, err := p.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// Audio first: the feedback names the audio until the video is known, then the video.
	u.onRTP(packet(u.audio, audioSSRC, 1, 1, opus), now)
	u.sendTransportFeedback(now + 100*time.Millisecond)
	u.onRTP(packet(u.video, videoSSRC, 1, 2, vp8Delta), now+110*time.Millisecond)
	u.sendTransportFeedback(now + 200*time.Millisecond)
	fbs := transportFeedbacks(t, sess.sentRTCP())
	if len(fbs) != 2 {
		t.Fatalf("%d feedbacks, want 2", len(fbs))
	}
	if fbs[0].MediaSSRC != audioSSRC || fbs[1].MediaSSRC != videoSSRC {
		t.Fatalf("feedbacks name SSRCs %#x then %#x, want the audio's %#x then the video's %#x", fbs[0].MediaSSRC,
			fbs[1].MediaSSRC, audioSSRC, videoSSRC)
	}
}

func TestUpstreamREMBOnlyCapsTransportCCPublishers(t *testing.T) {
	for _, off := range []bool{false, true} {
		t.Run(map[bool]string{false: "transport-cc", true: "remb"}[off], func(t *testing.T) {
			tp := newTestPlane(t, Config{NoTransportCC: off})
			tp.Joined(room, "A")
			tp.Joined(room, "B")
			u, sess := tp.publish(t, "A")
			rembs := func() int { return rtcpKinds(t, sess.sentRTCP())[rtcp.KindREMB] }
			u.sendReceiverReport(time.Second)
			send(u, u.video, 1, 0, vp8Key, time.Second)
			dl := tp.listenREMB(t, "B", "A")
			before := rembs()
			u.sendReceiverReport(2 * time.Second)
			if got := rembs() - before; got != map[bool]int{false: 0, true: 1}[off] {
				t.Fatalf("%d REMB sent with no receiver limiting", got)
			}
			// The receiver's estimate goes below MAX_VIDEO_BITRATE: every publisher is capped by REMB.
			dl.estimate.OnREMB(400_000, 2*time.Second)
			before = rembs()
			u.sendReceiverReport(3 * time.Second)
			u.sendReceiverReport(4 * time.Second)
			if got := rembs() - before; got != 2 {
				t.Fatalf("%d REMB sent in two reports while capped, want 2", got)
			}
			// The estimate expires: one more REMB lifts the cap, then none for a transport-cc publisher.
			before = rembs()
			for s := 10; s < 13; s++ {
				u.sendReceiverReport(time.Duration(s) * time.Second)
			}
			if got, want := rembs()-before, map[bool]int{false: 1, true: 3}[off]; got != want {
				t.Fatalf("%d REMB sent in three reports once uncapped, want %d", got, want)
			}
		})
	}
}

// listenREMB answers the first offer socketID received for publisher's stream as a browser without transport-cc
// does, and connects the listener session; it returns its downlink.
func (tp *testPlane) listenREMB(t *testing.T, socketID, publisher string) *downlink {
	t.Helper()
	ev := tp.waitEvents(t, socketID, protocol.EventExchangeSdp, 1)[0].data.(protocol.ExchangeSdpEvent)
	var lines []string
	for _, line := range strings.Split(ev.SDP.SDP, "\r\n") {
		if !strings.Contains(line, "transport-cc") && !strings.Contains(line, negotiate.ExtTransportCC) {
			lines = append(lines, line)
		}
	}
	answer := browserAnswer(t, strings.Join(lines, "\r\n"))
	if err := tp.Answer(context.Background(), room, socketID, publisher, answer); err != nil {
		t.Fatal(err)
	}
	l := tp.listenerOf(socketID, publisher)
	l.sess.(*fakeSession).handler.onState(webrtc.StateConnected, webrtc.ReasonNone)
	return l.down
}

// transportSeq reads the transport-wide sequence number of a packet sent to a listener.
func transportSeq(t *testing.T, pkt []byte, id uint8) uint16 {
	t.Helper()
	var h rtp.Header
	if _, err := h.Unmarshal(pkt); err != nil {
		t.Fatal(err)
	}
	seq, ok := h.TransportCC(id)
	if !ok {
		t.Fatalf("packet %x without a transport-wide sequence number (id %d)", pkt[:min(len(pkt), 32)], id)
	}
	return seq
}

func TestDownlinkTransportCCEstimate(t *testing.T) {
	tp, u, dl, sess := aReceivedByB(t)
	f := dl.feed.Load()
	if f == nil || !f.transportCC || dl.sendSide.Load() == nil || f.video.ext.transportCC == 0 {
		t.Fatal("a receiver that accepted transport-cc has no transport-wide estimator")
	}
	if _, ok := dl.estimator().(*congestion.SendSide); !ok {
		t.Fatalf("the receiver's estimate is a %T, want the transport-wide one", dl.estimator())
	}
	// Video at 30 packets a second; every packet sent is numbered in order, audio and video alike.
	now := 2 * time.Second
	send(u, u.video, 1, 90000, vp8Key, now)
	for i := uint16(2); i < 40; i++ {
		send(u, u.video, i, 90000+uint32(i)*3000, vp8Delta, now+time.Duration(i)*33*time.Millisecond)
	}
	var seqs []uint16
	for _, pkt := range sess.sentRTP() {
		seqs = append(seqs, transportSeq(t, pkt, f.extensionsOf(binary.BigEndian.Uint32(pkt[8:12])).transportCC))
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("transport-wide numbers %v are not consecutive", seqs)
		}
	}
	// The receiver reports them all received, 33 ms apart: the estimate becomes the transport-wide one.
	fb := rtcp.TransportCC{SenderSSRC: 77, MediaSSRC: dl.videoSSRC, BaseSequence: seqs[0],
		PacketCount: uint16(len(seqs)), ReferenceTime: 1000}
	for i, s := range seqs {
		fb.Arrivals = append(fb.Arrivals, rtcp.PacketArrival{Sequence: s,
			Arrival: 64*time.Second + time.Duration(i)*33*time.Millisecond})
	}
	b, err := fb.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	at := monotonic()
	sess.handler.onRTCP(b, at)
	if got := tp.Stats().TransportFeedbacksIn; got != 1 {
		t.Fatalf("TransportFeedbacksIn %d, want 1", got)
	}
	if bps, ok := dl.estimator().Bitrate(at); !ok || bps == 0 {
		t.Fatalf("no transport-wide estimate after feedback: %d %v", bps, ok)
	}
	if st := dl.sendSide.Load().Stats(); st.Feedbacks != 1 || st.UnknownReports != 0 {
		t.Fatalf("estimator read %d feedbacks with %d unknown reports, want 1 and 0", st.Feedbacks, st.UnknownReports)
	}
}

func TestDownlinkPacesAndProbes(t *testing.T) {
	_, u, dl, _ := aReceivedByB(t)
	send(u, u.video, 1, 90000, vp8Key, 2*time.Second)
	if c := dl.Class(rtpPacket(dl.audioSSRC, 111, 1, 0, opus)); c != congestion.ClassAudio {
		t.Fatalf("audio class %v", c)
	}
	if c := dl.Class(rtpPacket(dl.rtxSSRC, 97, 1, 0, opus)); c != congestion.ClassRetransmission {
		t.Fatalf("RTX class %v", c)
	}
	if c := dl.Class(rtpPacket(dl.videoSSRC, 96, 1, 0, opus)); c != congestion.ClassVideo {
		t.Fatalf("video class %v", c)
	}
	// The start: paced at the start bitrate, the first probe clusters planned and sent as RTX padding.
	now := time.Now()
	if got := dl.Bitrate(now); got != congestion.DefaultStartBitrate {
		t.Fatalf("pacing bitrate %d before feedback, want the start bitrate", got)
	}
	f := dl.feed.Load()
	buf := make([]byte, 1500)
	var sent, packets int
	for range 200 {
		n, wake := dl.Probe(buf, now)
		if n == 0 {
			if wake.IsZero() {
				break
			}
			now = wake
			continue
		}
		pkt := buf[:n]
		var p rtp.Packet
		if err := p.Unmarshal(pkt); err != nil {
			t.Fatal(err)
		}
		if p.SSRC != dl.rtxSSRC || p.PayloadType != f.video.rtxPayloadType || len(p.Payload) != 0 || p.PaddingSize == 0 {
			t.Fatalf("probe %+v is not RTX padding", p.Header)
		}
		dl.Sending(pkt, now)
		transportSeq(t, pkt, f.video.ext.transportCC)
		sent += n
		packets++
	}
	if packets < 5 || sent < 1000 {
		t.Fatalf("the first probe cluster sent %d packets, %d bytes: want at least 5 and 1000", packets, sent)
	}
	if st := dl.sendSide.Load().Stats(); st.ProbeClusters < 2 {
		t.Fatalf("%d probe clusters planned at the start, want 2", st.ProbeClusters)
	}
	if !dl.requestProbe(2_000_000, onClock(now)) && dl.sendSide.Load().Stats().ProbeClusters < 3 {
		t.Fatal("a probe before an up-switch was refused on a free path")
	}
}

func TestPlaneEstimates(t *testing.T) {
	tp, _, dl, _ := aReceivedByB(t)
	got := tp.Estimates()
	if len(got) != 1 {
		t.Fatalf("%d estimates, want B's of A: %+v", len(got), got)
	}
	e := got[0]
	if e.RoomID != room || e.Receiver != "B" || e.Publisher != "A" || e.Kind != EstimateTransportCC || e.Fresh ||
		e.Bitrate != congestion.DefaultStartBitrate {
		t.Fatalf("estimate %+v, want B's of A, tcc, the start bitrate, not fresh before feedback", e)
	}
	dl.sendSide.Store(nil)
	if k := tp.Estimates()[0].Kind; k != EstimateREMB {
		t.Fatalf("kind %q without a transport-wide estimator, want remb", k)
	}
}

// withoutRTX removes the RTX formats of an SDP: a receiver that answers without them.
func withoutRTX(t *testing.T, text string) string {
	t.Helper()
	s, err := sdp.Unmarshal([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range s.Media {
		m.Formats = slices.DeleteFunc(m.Formats, func(f string) bool {
			return slices.ContainsFunc(m.RTPMaps, func(r sdp.RTPMap) bool {
				return strconv.Itoa(int(r.PayloadType)) == f && strings.EqualFold(r.Name, "rtx")
			})
		})
	}
	b, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDownlinkProbesWithoutRTX: a receiver with transport-cc and no RTX is probed with padding-only packets on its
// video stream, between frames, numbered in sequence with the video: the video packets after a padding take the
// next numbers, so the receiver sees no gap.
func TestDownlinkProbesWithoutRTX(t *testing.T) {
	tp := newTestPlane(t, Config{})
	tp.Joined(room, "A")
	tp.Joined(room, "B")
	u, _ := tp.publish(t, "A")
	send(u, u.audio, 1, 0, opus, time.Second)
	ev := tp.waitEvents(t, "B", protocol.EventExchangeSdp, 1)[0].data.(protocol.ExchangeSdpEvent)
	if err := tp.Answer(context.Background(), room, "B", "A", withoutRTX(t, browserAnswer(t, ev.SDP.SDP))); err != nil {
		t.Fatal(err)
	}
	dl := tp.listenerOf("B", "A").down
	sess := dl.sess.(*fakeSession)
	sess.handler.onState(webrtc.StateConnected, webrtc.ReasonNone)
	f := dl.feed.Load()
	if f == nil || f.video == nil || f.video.rtxPayloadType != 0 || !f.video.padProbes {
		t.Fatal("want a video downtrack without RTX, padded by probes")
	}
	buf := make([]byte, 1500)
	now := time.Now()
	if n, wake := dl.Probe(buf, now); n != 0 || wake.IsZero() {
		t.Fatalf("probe before any video: %d bytes, wake %v; want none yet, and a retry", n, wake)
	}
	video := func(seq uint16, ts uint32, payload []byte, marker bool, at time.Duration) {
		p := rtp.Packet{Header: rtp.Header{PayloadType: u.video.codec.PayloadType, SequenceNumber: seq, Timestamp: ts,
			SSRC: u.video.ssrc.Load(), Marker: marker}, Payload: payload}
		b, err := p.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		u.onRTP(b, at)
	}
	written := func() (seqs []uint16, last rtp.Header) {
		for _, b := range sess.sentRTP() {
			var h rtp.Header
			if _, err := h.Unmarshal(b); err != nil {
				t.Fatal(err)
			}
			if h.SSRC == dl.videoSSRC {
				seqs, last = append(seqs, h.SequenceNumber), h
			}
		}
		return seqs, last
	}
	// A keyframe of two packets, the first one alone: inside a frame, no padding.
	video(10, 90000, vp8Key, false, 2*time.Second)
	if n, _ := dl.Probe(buf, now); n != 0 {
		t.Fatal("a probe padded inside a frame")
	}
	video(11, 90000, []byte{0x00, 0xaa, 0xbb}, true, 2*time.Second)
	_, frameEnd := written()
	var pads []uint16
	for range 200 {
		n, wake := dl.Probe(buf, now)
		if n == 0 {
			if wake.IsZero() || len(pads) >= 5 {
				break
			}
			now = wake
			continue
		}
		var p rtp.Packet
		if err := p.Unmarshal(buf[:n]); err != nil {
			t.Fatal(err)
		}
		if p.SSRC != dl.videoSSRC || p.PayloadType != f.video.payloadType || len(p.Payload) != 0 ||
			p.PaddingSize == 0 || p.Timestamp != frameEnd.Timestamp {
			t.Fatalf("probe %+v is not padding on the video stream at the last frame's timestamp", p.Header)
		}
		dl.Sending(buf[:n], now)
		transportSeq(t, buf[:n], f.video.ext.transportCC)
		pads = append(pads, p.SequenceNumber)
	}
	if len(pads) < 5 {
		t.Fatalf("%d probe packets, want at least 5", len(pads))
	}
	video(12, 93000, vp8Delta, true, 2*time.Second+33*time.Millisecond)
	seqs, _ := written()
	if len(seqs) != 3 {
		t.Fatalf("video sequence numbers written %v, want 3 packets", seqs)
	}
	for i, p := range pads {
		if p != seqs[1]+1+uint16(i) {
			t.Fatalf("paddings numbered %v after the frame ending at %d, want consecutive numbers", pads, seqs[1])
		}
	}
	if seqs[2] != pads[len(pads)-1]+1 {
		t.Fatalf("the video after the paddings is %d, want %d", seqs[2], pads[len(pads)-1]+1)
	}
}

// TestUpstreamREMBAtOnceOnDrop: between reports, a fall of the receivers' estimate by more than 10 % reaches the
// publisher at once as a REMB; smaller changes wait for the next report.
func TestUpstreamREMBAtOnceOnDrop(t *testing.T) {
	tp := newTestPlane(t, Config{NoTransportCC: true})
	tp.Joined(room, "A")
	tp.Joined(room, "B")
	u, sess := tp.publish(t, "A")
	u.sendReceiverReport(time.Second)
	send(u, u.video, 1, 0, vp8Key, time.Second)
	dl := tp.listenREMB(t, "B", "A")
	dl.estimate.OnREMB(1_000_000, 2*time.Second)
	u.report(2 * time.Second)
	rembs := func() []uint64 {
		var out []uint64
		for _, d := range sess.sentRTCP() {
			r := rtcp.NewReader(d, rtcp.ReducedSize)
			for r.Next() {
				if r.Kind() == rtcp.KindREMB {
					var m rtcp.REMB
					if err := m.Unmarshal(r.Packet()); err != nil {
						t.Fatal(err)
					}
					out = append(out, m.Bitrate)
				}
			}
		}
		return out
	}
	before := len(rembs())
	dl.estimate.OnREMB(950_000, 2100*time.Millisecond)
	send(u, u.video, 2, 3000, vp8Delta, 2200*time.Millisecond)
	if got := rembs()[before:]; len(got) != 0 {
		t.Fatalf("REMBs %v sent at a 5 %% fall, want none before the report", got)
	}
	dl.estimate.OnREMB(400_000, 2300*time.Millisecond)
	send(u, u.video, 3, 6000, vp8Delta, 2400*time.Millisecond)
	send(u, u.video, 4, 9000, vp8Delta, 2600*time.Millisecond)
	if got := rembs()[before:]; len(got) != 1 || got[0] != 400_000 {
		t.Fatalf("REMBs %v after a fall to 400 kbit/s, want one of 400000 at once", got)
	}
}
