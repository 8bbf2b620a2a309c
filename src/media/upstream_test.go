package media

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp"
)

// rtcpPackets decodes every packet of every datagram into its kind and bytes.
func rtcpPackets(t *testing.T, datagrams [][]byte) map[rtcp.Kind][][]byte {
	t.Helper()
	out := map[rtcp.Kind][][]byte{}
	for _, d := range datagrams {
		r := rtcp.NewReader(d, rtcp.ReducedSize)
		for r.Next() {
			out[r.Kind()] = append(out[r.Kind()], slices.Clone(r.Packet()))
		}
		if r.Err() != nil {
			t.Fatalf("invalid RTCP %x: %v", d, r.Err())
		}
	}
	return out
}

func TestUpstreamRecoversLosses(t *testing.T) {
	tp, u, _, lSess := aReceivedByB(t)
	upSess := u.sess.(*fakeSession)
	v := u.video
	send(u, v, 10, 3000, vp8Key, time.Second+10*time.Millisecond)
	send(u, v, 12, 6000, vp8Delta, time.Second+20*time.Millisecond) // 11 is lost

	nacks := rtcpPackets(t, upSess.sentRTCP())[rtcp.KindNACK]
	if len(nacks) != 1 {
		t.Fatalf("%d NACKs to the publisher, want 1", len(nacks))
	}
	var nack rtcp.NACK
	if err := nack.Unmarshal(nacks[0]); err != nil {
		t.Fatal(err)
	}
	if lost := nack.AppendLost(nil); !slices.Equal(lost, []uint16{11}) || nack.MediaSSRC != v.ssrc.Load() ||
		nack.SenderSSRC != u.rtcpSSRC {
		t.Fatalf("NACK %+v lost %v", nack, lost)
	}
	// Within the round trip (100 ms before any RR), 11 is not asked again.
	send(u, v, 13, 6000, vp8Delta, time.Second+50*time.Millisecond)
	if n := len(rtcpPackets(t, upSess.sentRTCP())[rtcp.KindNACK]); n != 1 {
		t.Fatalf("%d NACKs after 30 ms, want still 1", n)
	}
	// The publisher retransmits 11 as RTX: the listener gets it between 10 and 12, as the original packet.
	rtx := rtpPacket(v.rtxSSRC.Load(), v.codec.RTXPayloadType, 500, 3000, append([]byte{0, 11}, vp8Delta...))
	u.onRTP(rtx, time.Second+60*time.Millisecond)
	// A second copy (the publisher answered twice) is not forwarded again.
	u.onRTP(rtpPacket(v.rtxSSRC.Load(), v.codec.RTXPayloadType, 501, 3000, append([]byte{0, 11}, vp8Delta...)),
		time.Second+70*time.Millisecond)
	var seqs []uint16
	for _, b := range lSess.sentRTP() {
		var p rtp.Packet
		if err := p.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		if p.PayloadType == tp.listenerOf("B", "A").down.feed.Load().video.payloadType {
			seqs = append(seqs, p.SequenceNumber)
		}
	}
	if len(seqs) != 4 || seqs[3] != seqs[0]+1 || seqs[1] != seqs[0]+2 || seqs[2] != seqs[0]+3 {
		t.Fatalf("listener's video sequence numbers %v, want 10, 12, 13, then 11, rewritten", seqs)
	}
	if st := tp.Stats(); st.NACKsOut != 1 || st.RecoveredIn != 1 {
		t.Fatalf("NACKsOut %d RecoveredIn %d", st.NACKsOut, st.RecoveredIn)
	}
}

func TestUpstreamLargeGapAsksForKeyframe(t *testing.T) {
	tp := newTestPlane(t, Config{})
	tp.Joined(room, "A")
	u, upSess := tp.publish(t, "A")
	send(u, u.video, 10, 0, vp8Key, time.Second)
	send(u, u.video, 10+maxMissing+5, 3000, vp8Delta, 2*time.Second)
	kinds := rtcpKinds(t, upSess.sentRTCP())
	if kinds[rtcp.KindPLI] != 1 || kinds[rtcp.KindNACK] != 0 {
		t.Fatalf("RTCP to the publisher %v, want a PLI and no NACK", kinds)
	}
}

func TestUpstreamReports(t *testing.T) {
	tp := newTestPlane(t, Config{MinVideoBitrate: 200_000, MaxVideoBitrate: 1_000_000, NoTransportCC: true})
	tp.Joined(room, "A")
	tp.Joined(room, "B")
	tp.Joined(room, "C")
	u, upSess := tp.publish(t, "A")
	a, v := u.audio, u.video
	send(u, a, 1, 48000, opus, time.Second)
	lb, lbSess := tp.listen(t, "B", "A", 1)
	lc, _ := tp.listen(t, "C", "A", 1)
	send(u, v, 1, 90000, vp8Key, time.Second+10*time.Millisecond)
	send(u, a, 2, 48960, opus, time.Second+20*time.Millisecond)
	// The publisher's SRs: audio and video sampled at the same NTP instant.
	ntp := rtcp.NTPTime(time.Now())
	for _, sr := range []rtcp.SenderReport{{SSRC: v.ssrc.Load(), NTPTime: ntp, RTPTime: 90000},
		{SSRC: a.ssrc.Load(), NTPTime: ntp, RTPTime: 48000}} {
		b, err := sr.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		u.onRTCP(b, time.Second+30*time.Millisecond)
	}
	// Listeners' estimates: B is the slowest, C has none yet; a stale one would not count.
	for _, tt := range []struct {
		l    *downlink
		rate uint64
	}{{lb, 600_000}, {lc, 0}} {
		if tt.rate == 0 {
			continue
		}
		remb := rtcp.REMB{SenderSSRC: 9, Bitrate: tt.rate, SSRCs: []uint32{tt.l.videoSSRC}}
		b, err := remb.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		tt.l.sess.(*fakeSession).handler.onRTCP(b, time.Second+40*time.Millisecond)
	}
	send(u, a, 3, 49920, opus, 3*time.Second) // a report falls due

	pub := rtcpPackets(t, upSess.sentRTCP())
	if len(pub[rtcp.KindReceiverReport]) == 0 || len(pub[rtcp.KindREMB]) == 0 {
		t.Fatalf("publisher's RTCP has no RR or REMB: %v", keys(pub))
	}
	var remb rtcp.REMB
	if err := remb.Unmarshal(pub[rtcp.KindREMB][len(pub[rtcp.KindREMB])-1]); err != nil {
		t.Fatal(err)
	}
	// REMB's mantissa and exponent round down: within 1%.
	if remb.Bitrate > 600_000 || remb.Bitrate < 594_000 || len(remb.SSRCs) != 2 {
		t.Fatalf("REMB %+v, want 600 kbit/s for both SSRCs", remb)
	}
	var rr rtcp.ReceiverReport
	if err := rr.Unmarshal(pub[rtcp.KindReceiverReport][len(pub[rtcp.KindReceiverReport])-1]); err != nil {
		t.Fatal(err)
	}
	if len(rr.Reports) != 2 || rr.Reports[0].LastSenderReport != rtcp.CompactNTP(ntp) {
		t.Fatalf("RR %+v, want two blocks with the SR's LSR", rr)
	}

	// B's SRs: one per stream, on the server's clock, keeping the publisher's audio/video alignment.
	lis := rtcpPackets(t, lbSess.sentRTCP())
	srs := lis[rtcp.KindSenderReport]
	if len(srs) != 2 || len(lis[rtcp.KindSourceDescription]) != 1 {
		t.Fatalf("listener RTCP %v, want two SRs and one SDES", keys(lis))
	}
	got := map[uint32]rtcp.SenderReport{}
	for _, b := range srs {
		var sr rtcp.SenderReport
		if err := sr.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		got[sr.SSRC] = sr
	}
	fb := lb.feed.Load()
	vs, as := got[lb.videoSSRC], got[lb.audioSSRC]
	if vs.NTPTime != as.NTPTime || vs.PacketCount != 1 || as.PacketCount != 2 {
		t.Fatalf("SRs video %+v audio %+v", vs, as)
	}
	// Both streams' RTP times, taken back to the publisher's timestamps, are the same time since its SR.
	videoTicks := vs.RTPTime - fb.video.tsOffset - 90000
	audioTicks := as.RTPTime - fb.audio.tsOffset - 48000
	if d := int64(videoTicks)*48000 - int64(audioTicks)*90000; d > 90000*48 || d < -90000*48 {
		t.Fatalf("video %d ticks and audio %d ticks since the SR differ by more than 1 ms", videoTicks, audioTicks)
	}
	var sd rtcp.SourceDescription
	if err := sd.Unmarshal(lis[rtcp.KindSourceDescription][0]); err != nil {
		t.Fatal(err)
	}
	if len(sd.Chunks) != 2 || string(sd.Chunks[0].CNAME) != string(sd.Chunks[1].CNAME) ||
		string(sd.Chunks[0].CNAME) != tp.member(room, "A").cname {
		t.Fatalf("SDES %+v, want the publisher's CNAME for both streams", sd)
	}
}

func keys(m map[rtcp.Kind][][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k.String())
	}
	slices.Sort(out)
	return out
}

// The test runs in a synctest bubble: the RTT is measured against the clock, which there stands still while the
// test runs, so that a busy machine cannot lengthen it.
func TestListenerRTTPacesPublisherNACKs(t *testing.T) {
	synctest.Test(t, testListenerRTTPacesPublisherNACKs)
}

func testListenerRTTPacesPublisherNACKs(t *testing.T) {
	tp := newTestPlane(t, Config{})
	tp.Joined(room, "A")
	tp.Joined(room, "B")
	ub, _ := tp.publish(t, "B")
	send(ub, ub.audio, 1, 0, opus, time.Second)
	la, laSess := tp.listen(t, "A", "B", 1)
	// A's browser answers an SR sent 300 ms ago, having held it 100 ms: 200 ms of RTT.
	sent := rtcp.NTPTime(time.Now().Add(-300 * time.Millisecond))
	rr := rtcp.ReceiverReport{SSRC: 5, Reports: []rtcp.ReportBlock{{SSRC: la.audioSSRC,
		LastSenderReport: rtcp.CompactNTP(sent), Delay: rtcp.CompactDuration(100 * time.Millisecond)}}}
	b, err := rr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	laSess.handler.onRTCP(b, 3*time.Second)
	tp.mu.Lock()
	a := tp.member(room, "A")
	tp.mu.Unlock()
	rtt := a.rtt.get(0)
	if rtt < 199*time.Millisecond || rtt > 201*time.Millisecond {
		t.Fatalf("A's RTT %v, want 200 ms (to compact NTP's 15 µs)", rtt)
	}
	// A publishes: its upstream's NACKs are paced by that RTT.
	ua, upSess := tp.publish(t, "A")
	if got := ua.rtt.get(defaultRTT); got != rtt {
		t.Fatalf("A's upstream uses %v, want %v", got, rtt)
	}
	v := ua.video
	send(ua, v, 1, 0, vp8Key, time.Second)
	send(ua, v, 3, 0, vp8Key, time.Second)
	send(ua, v, 4, 0, vp8Key, time.Second+150*time.Millisecond)
	if n := len(rtcpPackets(t, upSess.sentRTCP())[rtcp.KindNACK]); n != 1 {
		t.Fatalf("%d NACKs 150 ms after the first, want 1 (RTT 200 ms)", n)
	}
	send(ua, v, 5, 0, vp8Key, time.Second+210*time.Millisecond)
	if n := len(rtcpPackets(t, upSess.sentRTCP())[rtcp.KindNACK]); n != 2 {
		t.Fatalf("%d NACKs 210 ms after the first, want 2", n)
	}
}

func TestDowntrackWaitsForKeyframeAndRewrites(t *testing.T) {
	tp, u, l, lSess := aReceivedByB(t)
	v := u.video
	send(u, v, 100, 1000, vp8Delta, time.Second)
	send(u, v, 101, 4000, vp8Key, time.Second)
	send(u, v, 102, 4000, vp8Delta, time.Second)
	lSess.mu.Lock()
	lSess.writeErr = errQueueFullForTest
	lSess.mu.Unlock()
	send(u, v, 103, 7000, vp8Delta, time.Second) // dropped by the session: stays in the history
	lSess.mu.Lock()
	lSess.writeErr = nil
	lSess.mu.Unlock()
	send(u, v, 104, 7000, vp8Delta, time.Second)
	sent := lSess.sentRTP()
	var video [][]byte
	for _, b := range sent {
		if binary.BigEndian.Uint32(b[8:]) == l.videoSSRC {
			video = append(video, b)
		}
	}
	if len(video) != 3 {
		t.Fatalf("%d video packets, want 101, 102 and 104", len(video))
	}
	first := binary.BigEndian.Uint16(video[0][2:])
	if binary.BigEndian.Uint16(video[2][2:]) != first+3 {
		t.Fatal("the packet the session dropped did not keep its sequence number")
	}
	if st := tp.Stats(); st.DropWriteFailed != 1 || st.DropWaitingKeyframe != 1 {
		t.Fatalf("DropWriteFailed %d DropWaitingKeyframe %d", st.DropWriteFailed, st.DropWaitingKeyframe)
	}
	// The listener NACKs the dropped one: it is in the history.
	nack := rtcp.NACK{SenderSSRC: 1, MediaSSRC: l.videoSSRC, Pairs: rtcp.NACKPairsFromSequences(nil, []uint16{first + 2})}
	b, err := nack.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	lSess.handler.onRTCP(b, time.Second)
	lSess.handler.onRTCP(b, time.Second) // asked again at once: served once
	send(u, u.audio, 2, 960, opus, time.Second+time.Millisecond)
	if st := tp.Stats(); st.Retransmissions != 1 || st.NACKsIn != 2 {
		t.Fatalf("Retransmissions %d NACKsIn %d", st.Retransmissions, st.NACKsIn)
	}
}

var errQueueFullForTest = errors.New("queue full")

func TestWaitingListenerAsksAgainForKeyframe(t *testing.T) {
	_, u, _, _ := aReceivedByB(t) // the start asks once
	upSess := u.sess.(*fakeSession)
	plis := func() int { return rtcpKinds(t, upSess.sentRTCP())[rtcp.KindPLI] }
	start := monotonic()
	tests := []struct {
		at   time.Duration
		want int
	}{
		{at: start + 100*time.Millisecond, want: 1},
		{at: start + 250*time.Millisecond, want: 1},
		{at: start + DefaultKeyframeInterval + 10*time.Millisecond, want: 2},
		{at: start + DefaultKeyframeInterval + 100*time.Millisecond, want: 2},
		{at: start + 2*DefaultKeyframeInterval + 20*time.Millisecond, want: 3},
	}
	for i, tt := range tests {
		send(u, u.video, uint16(10+i), uint32(3000*i), vp8Delta, tt.at)
		if got := plis(); got != tt.want {
			t.Fatalf("after %v: %d PLIs, want %d", tt.at-start, got, tt.want)
		}
	}
	send(u, u.video, 20, 30000, vp8Key, start+3*DefaultKeyframeInterval+30*time.Millisecond)
	send(u, u.video, 21, 33000, vp8Delta, start+4*DefaultKeyframeInterval+40*time.Millisecond)
	if got := plis(); got != 3 {
		t.Fatalf("%d PLIs once the listener started, want still 3", got)
	}
}

func TestListenerResendBudget(t *testing.T) {
	// A receiver estimated at 20 Mbit/s: the packet budget binds, not the bytes.
	tp, u, l, lSess := aReceivedByBWith(t, Config{NoTransportCC: true})
	l.estimate.OnREMB(20_000_000, 2*time.Second)
	now := 2 * time.Second
	send(u, u.video, 1000, 0, vp8Key, now) // the next report falls due at 3 s
	var first uint16
	for _, b := range lSess.sentRTP() {
		if binary.BigEndian.Uint32(b[8:]) == l.videoSSRC {
			first = binary.BigEndian.Uint16(b[2:])
		}
	}
	for i := 1; i < historyPackets; i++ {
		send(u, u.video, uint16(1000+i), 0, vp8Delta, now)
	}
	var all []uint16
	for i := range historyPackets {
		all = append(all, first+uint16(i))
	}
	nack := rtcp.NACK{SenderSSRC: 1, MediaSSRC: l.videoSSRC, Pairs: rtcp.NACKPairsFromSequences(nil, all)}
	b, err := nack.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	ask := func(at time.Duration) {
		lSess.handler.onRTCP(b, at)
		send(u, u.audio, uint16(at/time.Millisecond), 0, opus, at) // serves the requests
	}
	ask(now + 20*time.Millisecond)
	ask(now + 40*time.Millisecond) // the same again: past the budget
	st := tp.Stats()
	if st.Retransmissions != resendBudget || st.DropResendBudget != historyPackets {
		t.Fatalf("Retransmissions %d DropResendBudget %d, want %d and %d", st.Retransmissions, st.DropResendBudget,
			resendBudget, historyPackets)
	}
	send(u, u.audio, 5000, 0, opus, now+time.Second+10*time.Millisecond) // a report renews the budget
	ask(now + time.Second + 20*time.Millisecond)
	if st := tp.Stats(); st.Retransmissions != 2*resendBudget {
		t.Fatalf("Retransmissions %d after a new interval, want %d", st.Retransmissions, 2*resendBudget)
	}
}

// TestListenerResendBytes: a receiver estimated at 300 kbit/s (a transport-cc one before feedback) gets at most
// resendShare of that in retransmitted bytes per report interval, whatever it asks.
func TestListenerResendBytes(t *testing.T) {
	tp, u, l, lSess := aReceivedByB(t)
	now := 2 * time.Second
	payload := append(append([]byte(nil), vp8Delta...), make([]byte, 1000)...)
	send(u, u.video, 1000, 0, vp8Key, now)
	var seqs []uint16
	for i := 1; i < 100; i++ {
		send(u, u.video, uint16(1000+i), 0, payload, now)
	}
	for _, b := range lSess.sentRTP() {
		if binary.BigEndian.Uint32(b[8:]) == l.videoSSRC && len(b) > 1000 {
			seqs = append(seqs, binary.BigEndian.Uint16(b[2:]))
		}
	}
	nack := rtcp.NACK{SenderSSRC: 1, MediaSSRC: l.videoSSRC, Pairs: rtcp.NACKPairsFromSequences(nil, seqs)}
	b, err := nack.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	ask := func(at time.Duration) uint64 {
		before := tp.Stats().Retransmissions
		lSess.handler.onRTCP(b, at)
		send(u, u.audio, uint16(at/time.Millisecond), 0, opus, at) // serves the requests
		return tp.Stats().Retransmissions - before
	}
	send(u, u.audio, 4000, 0, opus, now+time.Second+10*time.Millisecond) // a report renews the budget
	bps, _ := l.estimator().Bitrate(now + time.Second)
	want := uint64(resendAllowance(bps) / 1000)
	if got := ask(now + time.Second + 20*time.Millisecond); got < want-1 || got > want {
		t.Fatalf("%d retransmissions of 1 kB packets at %d bit/s, want about %d (%d bytes)", got, bps, want,
			resendAllowance(bps))
	}
}
