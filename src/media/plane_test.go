package media

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/webrtc"
)

const room = "room"

// vp8Key and vp8Delta are VP8 payloads: a descriptor starting partition 0, then a key frame header (640x480) or an
// inter frame.
var (
	vp8Key   = []byte{0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, 0xaa, 0xbb}
	vp8Delta = []byte{0x10, 0x11, 0x02, 0x00, 0xcc, 0xdd}
	opus     = []byte{0x78, 0x01, 0x02, 0x03}
)

// testPlane is a Plane over fake sessions with its participants' userIds.
type testPlane struct {
	*Plane
	factory  *fakeFactory
	notifier *fakeNotifier
}

func newTestPlane(t *testing.T, cfg Config) *testPlane {
	t.Helper()
	f := &fakeFactory{}
	n := &fakeNotifier{users: map[string]string{"A": "alice", "B": "bob", "C": "carol"}}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p, err := newPlane(cfg, f, n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return &testPlane{Plane: p, factory: f, notifier: n}
}

// events returns the events sent to socketID with that name.
func (tp *testPlane) events(socketID, name string) []sentEvent {
	var out []sentEvent
	for _, e := range tp.notifier.sent() {
		if e.to == socketID && e.name == name {
			out = append(out, e)
		}
	}
	return out
}

// waitEvents waits until socketID has received n events of that name, and returns them.
func (tp *testPlane) waitEvents(t *testing.T, socketID, name string, n int) []sentEvent {
	t.Helper()
	testkit.WaitFor(t, testkit.Patient, name+" to "+socketID, func() bool { return len(tp.events(socketID, name)) >= n })
	return tp.events(socketID, name)
}

// upstreamOf returns socketID's upstream.
func (tp *testPlane) upstreamOf(socketID string) *upstream {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if pt := tp.member(room, socketID); pt != nil {
		return pt.up
	}
	return nil
}

// listenerOf returns the listener through which receiver gets publisher's stream.
func (tp *testPlane) listenerOf(receiver, publisher string) *listener {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if pt := tp.member(room, receiver); pt != nil {
		return pt.listeners[publisher]
	}
	return nil
}

// publish has socketID publish Chromium's audio+video offer, and brings its session up with one packet of each
// track.
func (tp *testPlane) publish(t *testing.T, socketID string) (*upstream, *fakeSession) {
	t.Helper()
	answer, err := tp.Publish(context.Background(), room, socketID, loadOffer(t, "chromium156-audio-video.sdp"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sdp.Unmarshal([]byte(answer)); err != nil {
		t.Fatalf("answer does not parse: %v", err)
	}
	u := tp.upstreamOf(socketID)
	sess := u.sess.(*fakeSession)
	sess.handler.onState(webrtc.StateConnected, webrtc.ReasonNone)
	return u, sess
}

// send gives the upstream one RTP packet of track t.
func send(u *upstream, t *track, seq uint16, ts uint32, payload []byte, now time.Duration) {
	u.onRTP(rtpPacket(t.ssrc.Load(), t.codec.PayloadType, seq, ts, payload), now)
}

func rtpPacket(ssrc uint32, pt uint8, seq uint16, ts uint32, payload []byte) []byte {
	p := rtp.Packet{Header: rtp.Header{PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: ssrc, Marker: true},
		Payload: payload}
	b, err := p.AppendBinary(nil)
	if err != nil {
		panic(err)
	}
	return b
}

// listen answers the offer socketID received for publisher's stream and connects the listener session; it returns
// the session's downlink.
func (tp *testPlane) listen(t *testing.T, socketID, publisher string, offers int) (*downlink, *fakeSession) {
	t.Helper()
	evs := tp.waitEvents(t, socketID, protocol.EventExchangeSdp, offers)
	ev := evs[offers-1].data.(protocol.ExchangeSdpEvent)
	if ev.From.SocketID != publisher || ev.SDP.Type != "offer" {
		t.Fatalf("offer event %+v", ev)
	}
	if err := tp.Answer(context.Background(), room, socketID, publisher, browserAnswer(t, ev.SDP.SDP)); err != nil {
		t.Fatal(err)
	}
	l := tp.listenerOf(socketID, publisher)
	sess := l.sess.(*fakeSession)
	sess.handler.onState(webrtc.StateConnected, webrtc.ReasonNone)
	return l.down, sess
}

// aReceivedByB is A publishing Chromium's audio and VP8 video and B receiving it: A's upstream, B's downlink and its
// session.
func aReceivedByB(t *testing.T) (*testPlane, *upstream, *downlink, *fakeSession) {
	t.Helper()
	return aReceivedByBWith(t, Config{})
}

// aReceivedByBWith is aReceivedByB on a plane configured by cfg.
func aReceivedByBWith(t *testing.T, cfg Config) (*testPlane, *upstream, *downlink, *fakeSession) {
	t.Helper()
	tp := newTestPlane(t, cfg)
	tp.Joined(room, "A")
	tp.Joined(room, "B")
	u, _ := tp.publish(t, "A")
	send(u, u.audio, 1, 0, opus, time.Second)
	dl, sess := tp.listen(t, "B", "A", 1)
	return tp, u, dl, sess
}

// rtcpKinds lists the kinds of packet of every RTCP datagram written.
func rtcpKinds(t *testing.T, datagrams [][]byte) map[rtcp.Kind]int {
	t.Helper()
	kinds := map[rtcp.Kind]int{}
	for _, d := range datagrams {
		r := rtcp.NewReader(d, rtcp.ReducedSize)
		for r.Next() {
			kinds[r.Kind()]++
		}
		if r.Err() != nil {
			t.Fatalf("the plane wrote invalid RTCP %x: %v", d, r.Err())
		}
	}
	return kinds
}

func TestPlaneForwardsBetweenTwoParticipants(t *testing.T) {
	tp := newTestPlane(t, Config{})
	tp.Joined(room, "A")
	tp.Joined(room, "B")
	u, upSess := tp.publish(t, "A")
	if upSess.remoteTransport() == nil {
		t.Fatal("the upstream's remote transport was not set")
	}
	if u.audio == nil || u.video == nil || !strings.EqualFold(u.video.codec.Name, "VP8") {
		t.Fatalf("tracks audio %v video %v", u.audio, u.video)
	}
	send(u, u.audio, 100, 960, opus, time.Second)

	up := tp.waitEvents(t, "A", protocol.EventWebrtcUp, 1)[0].data.(protocol.WebrtcUpEvent)
	if up.From.SocketID != protocol.PublisherSocketID {
		t.Fatalf("eventWebrtcUp to the publisher from %+v", up.From)
	}
	l, lSess := tp.listen(t, "B", "A", 1)
	if ev := tp.events("B", protocol.EventExchangeSdp)[0].data.(protocol.ExchangeSdpEvent); ev.From.UserID != "alice" {
		t.Fatalf("offer from %+v, want alice", ev.From)
	}
	// The listener's start asks the publisher for a keyframe.
	if kinds := rtcpKinds(t, upSess.sentRTCP()); kinds[rtcp.KindPLI] != 1 {
		t.Fatalf("RTCP to the publisher %v, want one PLI", kinds)
	}

	send(u, u.video, 5000, 9000, vp8Delta, time.Second+10*time.Millisecond)
	if got := len(lSess.sentRTP()); got != 0 {
		t.Fatalf("%d packets forwarded before a keyframe", got)
	}
	send(u, u.video, 5001, 12000, vp8Key, time.Second+20*time.Millisecond)
	send(u, u.audio, 101, 1920, opus, time.Second+30*time.Millisecond)
	sent := lSess.sentRTP()
	if len(sent) != 2 {
		t.Fatalf("%d packets forwarded, want the keyframe and the audio", len(sent))
	}
	var video, audio rtp.Packet
	if err := video.Unmarshal(sent[0]); err != nil {
		t.Fatal(err)
	}
	if err := audio.Unmarshal(sent[1]); err != nil {
		t.Fatal(err)
	}
	f := l.feed.Load()
	if video.SSRC != l.videoSSRC || video.PayloadType != f.video.payloadType || string(video.Payload) != string(vp8Key) {
		t.Errorf("video forwarded as %+v", video.Header)
	}
	if audio.SSRC != l.audioSSRC || audio.PayloadType != f.audio.payloadType || string(audio.Payload) != string(opus) {
		t.Errorf("audio forwarded as %+v", audio.Header)
	}
	if _, ok := video.ExtensionValue(f.video.ext.absSendTime); !ok || f.video.ext.absSendTime == 0 {
		t.Error("abs-send-time missing from the forwarded video")
	}
	down := tp.waitEvents(t, "B", protocol.EventWebrtcUp, 1)[0].data.(protocol.WebrtcUpEvent)
	if down.From != (protocol.From{SocketID: "A", UserID: "alice"}) {
		t.Fatalf("eventWebrtcUp to the listener from %+v", down.From)
	}

	// The listener NACKs the video packet: it comes back as RTX on the next publisher packet.
	nack := rtcp.NACK{SenderSSRC: 1, MediaSSRC: l.videoSSRC,
		Pairs: rtcp.NACKPairsFromSequences(nil, []uint16{video.SequenceNumber})}
	b, err := nack.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	lSess.handler.onRTCP(b, time.Second+40*time.Millisecond)
	send(u, u.audio, 102, 2880, opus, time.Second+50*time.Millisecond)
	sent = lSess.sentRTP()
	var rtx rtp.Packet
	if err := rtx.Unmarshal(sent[len(sent)-2]); err != nil {
		t.Fatal(err)
	}
	if rtx.SSRC != l.rtxSSRC || rtx.PayloadType != f.video.rtxPayloadType || rtx.PayloadType == 0 ||
		string(rtx.Payload[2:]) != string(vp8Key) {
		t.Fatalf("retransmission %+v payload %x", rtx.Header, rtx.Payload)
	}
	st := tp.Stats()
	if st.Retransmissions != 1 || st.NACKsIn != 1 || st.PacketsIn != 5 || st.DropWaitingKeyframe != 1 ||
		st.Publishers != 1 || st.Listeners != 1 || st.ListenersUp != 1 {
		t.Fatalf("stats %+v", st)
	}
	// Forwarded copies carry their publisher packet's receive time to the listener's session; retransmissions
	// are the server's own packets.
	at := lSess.forwardedAt()
	if len(at) != len(sent)-1 || !at[len(at)-1].Equal(wallTime(time.Second+50*time.Millisecond)) {
		t.Fatalf("%d packets sent, %d forwarded with receive times %v", len(sent), len(at), at)
	}

	// A's leave ends both sessions, each with a BYE, and tells nobody (eventLeave does).
	tp.Left(room, "A")
	if !upSess.isClosed() || !lSess.isClosed() {
		t.Fatalf("sessions closed: upstream %v listener %v", upSess.isClosed(), lSess.isClosed())
	}
	for name, s := range map[string]*fakeSession{"upstream": upSess, "listener": lSess} {
		if kinds := rtcpKinds(t, s.sentRTCP()); kinds[rtcp.KindGoodbye] != 1 {
			t.Errorf("%s: RTCP %v, want a BYE", name, kinds)
		}
	}
	testkit.WaitFor(t, testkit.Patient, "sessions counted down", func() bool {
		st := tp.Stats()
		return st.Publishers == 0 && st.Listeners == 0 && st.ListenersUp == 0
	})
	if n := len(tp.events("B", protocol.EventWebrtcDown)); n != 0 {
		t.Fatalf("%d eventWebrtcDown after a leave", n)
	}
}

func TestPlaneOffersEveryPublisherOnce(t *testing.T) {
	tp := newTestPlane(t, Config{})
	tp.Joined(room, "A")
	tp.Joined(room, "B")
	ua, _ := tp.publish(t, "A")
	ub, _ := tp.publish(t, "B")
	// Both flow at once: each must get exactly one offer for the other, whoever's flow is seen first.
	send(ua, ua.audio, 1, 0, opus, time.Second)
	send(ub, ub.audio, 1, 0, opus, time.Second)
	tp.waitEvents(t, "A", protocol.EventExchangeSdp, 1)
	tp.waitEvents(t, "B", protocol.EventExchangeSdp, 1)
	// A receive-only newcomer gets an offer per flowing publisher at once.
	tp.Joined(room, "C")
	offers := tp.waitEvents(t, "C", protocol.EventExchangeSdp, 2)
	from := map[string]bool{}
	for _, e := range offers {
		from[e.data.(protocol.ExchangeSdpEvent).From.SocketID] = true
	}
	if !from["A"] || !from["B"] {
		t.Fatalf("C was offered %v", from)
	}
	// Everything settled: more packets and joins change nothing.
	send(ua, ua.audio, 2, 960, opus, 2*time.Second)
	tp.sync()
	for _, who := range []string{"A", "B"} {
		if n := len(tp.events(who, protocol.EventExchangeSdp)); n != 1 {
			t.Errorf("%s received %d offers, want 1", who, n)
		}
	}
	if n := len(tp.events("C", protocol.EventExchangeSdp)); n != 2 {
		t.Errorf("C received %d offers, want 2", n)
	}
	// 2 upstreams and 4 listeners: A<-B, B<-A, C<-A, C<-B.
	if n := tp.factory.count(); n != 6 {
		t.Fatalf("%d sessions made, want 6", n)
	}
}

// sync waits until the worker has run everything posted so far.
func (tp *testPlane) sync() {
	done := make(chan struct{})
	tp.post(func() { close(done) })
	<-done
}

func TestPlaneRepublishRenegotiatesListeners(t *testing.T) {
	tp, u1, l, lSess := aReceivedByB(t)
	up1 := u1.sess.(*fakeSession)
	first := tp.events("B", protocol.EventExchangeSdp)[0].data.(protocol.ExchangeSdpEvent).SDP.SDP

	u2, _ := tp.publish(t, "A")
	if !up1.isClosed() {
		t.Fatal("the replaced upstream is still open")
	}
	send(u2, u2.audio, 1, 0, opus, 2*time.Second)
	offers := tp.waitEvents(t, "B", protocol.EventExchangeSdp, 2)
	second := offers[1].data.(protocol.ExchangeSdpEvent).SDP.SDP
	o1, _ := sdp.Unmarshal([]byte(first))
	o2, _ := sdp.Unmarshal([]byte(second))
	if o1.Media[0].Transport.ICEUfrag != o2.Media[0].Transport.ICEUfrag ||
		o2.Origin.SessionVersion != o1.Origin.SessionVersion+1 || o1.Origin.SessionID != o2.Origin.SessionID {
		t.Fatalf("the new offer is not a renegotiation of the same session: %v then %v", o1.Origin, o2.Origin)
	}
	if tp.listenerOf("B", "A").down != l || lSess.isClosed() {
		t.Fatal("the listener session was replaced")
	}
	if err := tp.Answer(context.Background(), room, "B", "A", browserAnswer(t, second)); err != nil {
		t.Fatal(err)
	}
	send(u2, u2.video, 10, 0, vp8Key, 2*time.Second)
	if f := l.feed.Load(); f == nil || f.up != u2 || len(lSess.sentRTP()) == 0 {
		t.Fatal("the listener is not fed by the new upstream")
	}
	if n := len(tp.events("A", protocol.EventWebrtcDown)) + len(tp.events("B", protocol.EventWebrtcDown)); n != 0 {
		t.Fatalf("%d eventWebrtcDown for a republication", n)
	}
}

func TestPlaneRenegotiationAnsweredFromNewConnection(t *testing.T) {
	tp, _, l1, s1 := aReceivedByB(t)
	u2, _ := tp.publish(t, "A")
	send(u2, u2.audio, 1, 0, opus, 2*time.Second)
	reneg := tp.waitEvents(t, "B", protocol.EventExchangeSdp, 2)[1].data.(protocol.ExchangeSdpEvent).SDP.SDP
	// B's browser had given up its connection and answers from a new one: the session cannot serve it.
	err := tp.Answer(context.Background(), room, "B", "A", browserAnswerFrom(t, reneg, "newc"))
	if !errors.Is(err, ErrSDPRejected) {
		t.Fatalf("answer from a new connection: %v", err)
	}
	down := tp.waitEvents(t, "B", protocol.EventWebrtcDown, 1)[0].data.(protocol.WebrtcDownEvent)
	if down.Reason != protocol.ReasonReplaced {
		t.Fatalf("eventWebrtcDown %+v, want replaced", down)
	}
	third := tp.waitEvents(t, "B", protocol.EventExchangeSdp, 3)[2].data.(protocol.ExchangeSdpEvent).SDP.SDP
	o2, _ := sdp.Unmarshal([]byte(reneg))
	o3, _ := sdp.Unmarshal([]byte(third))
	if o3.Media[0].Transport.ICEUfrag == o2.Media[0].Transport.ICEUfrag || !s1.isClosed() ||
		tp.listenerOf("B", "A").down == l1 {
		t.Fatal("the stream was not offered on a new session")
	}
	if err := tp.Answer(context.Background(), room, "B", "A", browserAnswerFrom(t, third, "newc")); err != nil {
		t.Fatalf("answer to the new offer: %v", err)
	}
}

// The test runs in a synctest bubble: its clock is fake, so that waiting out the re-offer delay proves that no third
// offer comes at all, however slow the machine.
func TestPlaneListenerFailureIsReportedAndOfferedAgain(t *testing.T) {
	synctest.Test(t, testListenerFailureIsReportedAndOfferedAgain)
}

func testListenerFailureIsReportedAndOfferedAgain(t *testing.T) {
	tp := newTestPlane(t, Config{ReofferDelay: time.Millisecond, MaxReoffers: 1})
	tp.Joined(room, "A")
	tp.Joined(room, "B")
	u, _ := tp.publish(t, "A")
	send(u, u.audio, 1, 0, opus, time.Second)
	_, lSess := tp.listen(t, "B", "A", 1)
	lSess.end(webrtc.StateFailed, webrtc.ReasonConsentExpired)

	down := tp.waitEvents(t, "B", protocol.EventWebrtcDown, 1)[0].data.(protocol.WebrtcDownEvent)
	want := protocol.WebrtcDownEvent{From: protocol.From{SocketID: "A", UserID: "alice"}, Reason: "consent-expired",
		Phase: "ice"}
	if down != want {
		t.Fatalf("eventWebrtcDown %+v, want %+v", down, want)
	}
	// Offered again on a new session; this one is never answered and times out: reported, and not offered again.
	tp.waitEvents(t, "B", protocol.EventExchangeSdp, 2)
	l2 := tp.listenerOf("B", "A")
	l2.sess.(*fakeSession).end(webrtc.StateFailed, webrtc.ReasonICETimeout)
	down = tp.waitEvents(t, "B", protocol.EventWebrtcDown, 2)[1].data.(protocol.WebrtcDownEvent)
	if down.Reason != "ice-timeout" || down.Phase != protocol.PhaseNegotiation {
		t.Fatalf("second eventWebrtcDown %+v", down)
	}
	time.Sleep(time.Minute) // a third offer would come after ReofferDelay
	synctest.Wait()
	tp.sync()
	if n := len(tp.events("B", protocol.EventExchangeSdp)); n != 2 {
		t.Fatalf("%d offers, want 2 (MaxReoffers 1)", n)
	}
	if st := tp.Stats(); st.SessionsFailed != 2 {
		t.Fatalf("SessionsFailed %d", st.SessionsFailed)
	}
}

func TestPlaneUpstreamFailureIsReported(t *testing.T) {
	tp, u, l, lSess := aReceivedByB(t)
	upSess := u.sess.(*fakeSession)
	upSess.end(webrtc.StateFailed, webrtc.ReasonDTLSFailed)
	down := tp.waitEvents(t, "A", protocol.EventWebrtcDown, 1)[0].data.(protocol.WebrtcDownEvent)
	if down.From.SocketID != protocol.PublisherSocketID || down.Reason != "dtls-failed" || down.Phase != "dtls" {
		t.Fatalf("eventWebrtcDown %+v", down)
	}
	tp.sync()
	if l.feed.Load() != nil || lSess.isClosed() || tp.upstreamOf("A") != nil {
		t.Fatal("the listener should stay, idle, and the upstream be gone")
	}
}

func TestPlaneErrors(t *testing.T) {
	tp := newTestPlane(t, Config{})
	tp.Joined(room, "A")
	tp.Joined(room, "B")
	ctx := context.Background()
	videoOnlyData := `v=0
o=- 1 2 IN IP4 127.0.0.1
s=-
t=0 0
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=ice-ufrag:abcd
a=ice-pwd:abcdefghijklmnopqrstuvwx
a=fingerprint:sha-256 AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB
a=setup:actpass
a=mid:0
a=sctp-port:5000
`
	tests := []struct {
		name string
		call func() error
		code int
	}{
		{"offer does not parse", func() error {
			_, err := tp.Publish(ctx, room, "A", "not sdp")
			return err
		}, protocol.CodeSDPDecode},
		{"offer without media", func() error {
			_, err := tp.Publish(ctx, room, "A", strings.ReplaceAll(videoOnlyData, "\n", "\r\n"))
			return err
		}, protocol.CodeSDPRejected},
		{"answer without offer", func() error {
			return tp.Answer(ctx, room, "B", "A", browserAnswer(t, loadOffer(t, "chromium156-audio-video.sdp")))
		}, protocol.CodeNoOffer},
		{"answer does not parse", func() error { return tp.Answer(ctx, room, "B", "A", "v=1") }, protocol.CodeSDPDecode},
		{"candidate not JSON", func() error { return tp.Candidate(ctx, room, "A", "publisher", json.RawMessage(`[`)) },
			protocol.CodeFieldInvalid},
		{"candidate does not parse", func() error {
			return tp.Candidate(ctx, room, "A", "publisher", json.RawMessage(`{"candidate":"candidate:1 1 udp"}`))
		}, protocol.CodeFieldInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var coded interface{ APICode() int }
			if !errors.As(err, &coded) || coded.APICode() != tt.code {
				t.Fatalf("err = %v, want code %d", err, tt.code)
			}
		})
	}
	for _, c := range []string{`{"completed":true}`, `{"candidate":""}`,
		`{"candidate":"candidate:1 1 udp 2122260223 127.0.0.1 51268 typ host","sdpMid":"0","sdpMLineIndex":0}`} {
		if err := tp.Candidate(ctx, room, "A", "publisher", json.RawMessage(c)); err != nil {
			t.Errorf("candidate %s: %v", c, err)
		}
	}
}

func TestPlaneAnswerMismatchAndSecondAnswer(t *testing.T) {
	tp := newTestPlane(t, Config{})
	tp.Joined(room, "A")
	tp.Joined(room, "B")
	u, _ := tp.publish(t, "A")
	send(u, u.audio, 1, 0, opus, time.Second)
	offer := tp.waitEvents(t, "B", protocol.EventExchangeSdp, 1)[0].data.(protocol.ExchangeSdpEvent).SDP.SDP
	ctx := context.Background()
	// An answer with other mids does not fit the offer; the offer stays open for a right one.
	wrong := strings.ReplaceAll(browserAnswer(t, offer), "a=mid:1", "a=mid:7")
	err := tp.Answer(ctx, room, "B", "A", wrong)
	if !errors.Is(err, ErrSDPRejected) {
		t.Fatalf("mismatched answer: %v", err)
	}
	if err := tp.Answer(ctx, room, "B", "A", browserAnswer(t, offer)); err != nil {
		t.Fatalf("right answer after a wrong one: %v", err)
	}
	if err := tp.Answer(ctx, room, "B", "A", browserAnswer(t, offer)); !errors.Is(err, ErrAlreadyDone) {
		t.Fatalf("second answer: %v", err)
	}
}

// TestPlaneHandsSetupToTheSession: the session takes its DTLS role from the peer's a=setup, so the plane gives it
// the remote transport as negotiated: a passive upstream offer (answered active) and a passive listener answer
// (pion's default) both reach the session with setup:passive.
func TestPlaneHandsSetupToTheSession(t *testing.T) {
	tp := newTestPlane(t, Config{})
	tp.Joined(room, "A")
	tp.Joined(room, "B")
	ctx := context.Background()
	offer := strings.ReplaceAll(loadOffer(t, "chromium156-audio-video.sdp"), "a=setup:actpass", "a=setup:passive")
	answer, err := tp.Publish(ctx, room, "A", offer)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(answer, "a=setup:active") {
		t.Fatalf("answer to a passive offer without a=setup:active:\n%s", answer)
	}
	u := tp.upstreamOf("A")
	if r := u.sess.(*fakeSession).remoteTransport(); r == nil || r.Setup != sdp.SetupPassive {
		t.Fatalf("upstream session's remote transport %+v, want setup passive", r)
	}
	u.sess.(*fakeSession).handler.onState(webrtc.StateConnected, webrtc.ReasonNone)
	send(u, u.audio, 1, 0, opus, time.Second)
	listenerOffer := tp.waitEvents(t, "B", protocol.EventExchangeSdp, 1)[0].data.(protocol.ExchangeSdpEvent).SDP.SDP
	passive := strings.ReplaceAll(browserAnswer(t, listenerOffer), "a=setup:active", "a=setup:passive")
	if err := tp.Answer(ctx, room, "B", "A", passive); err != nil {
		t.Fatalf("passive listener answer: %v", err)
	}
	if r := tp.listenerOf("B", "A").sess.(*fakeSession).remoteTransport(); r == nil || r.Setup != sdp.SetupPassive {
		t.Fatalf("listener session's remote transport %+v, want setup passive", r)
	}
}

func TestPlaneUnavailableSessions(t *testing.T) {
	tp := newTestPlane(t, Config{})
	tp.Joined(room, "A")
	tp.Joined(room, "B")
	u, _ := tp.publish(t, "A")
	tp.factory.mu.Lock()
	tp.factory.fail = errors.New("no port")
	tp.factory.mu.Unlock()
	send(u, u.audio, 1, 0, opus, time.Second)
	down := tp.waitEvents(t, "B", protocol.EventWebrtcDown, 1)[0].data.(protocol.WebrtcDownEvent)
	if down.Reason != protocol.ReasonUnavailable || down.From.SocketID != "A" {
		t.Fatalf("eventWebrtcDown %+v", down)
	}
	_, err := tp.Publish(context.Background(), room, "B", loadOffer(t, "chromium156-audio-video.sdp"))
	if !errors.Is(err, ErrCapacity) {
		t.Fatalf("Publish without sessions: %v", err)
	}
}

func TestPlaneCloseEndsEverySession(t *testing.T) {
	tp := newTestPlane(t, Config{})
	tp.Joined(room, "A")
	tp.Joined(room, "B")
	u, _ := tp.publish(t, "A")
	send(u, u.audio, 1, 0, opus, time.Second)
	tp.listen(t, "B", "A", 1)
	if err := tp.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := range tp.factory.count() {
		if !tp.factory.session(i).isClosed() {
			t.Fatalf("session %d still open", i)
		}
	}
	if _, err := tp.Publish(context.Background(), room, "A", loadOffer(t, "chromium156-audio-video.sdp")); err == nil {
		t.Fatal("Publish after Close succeeded")
	}
}

func TestPlaneCyclesLeaveNothing(t *testing.T) {
	tp := newTestPlane(t, Config{})
	for i := range 100 {
		tp.Joined(room, "A")
		tp.Joined(room, "B")
		u, _ := tp.publish(t, "A")
		send(u, u.audio, 1, 0, opus, time.Second)
		tp.listen(t, "B", "A", i+1)
		tp.Left(room, "A")
		tp.Left(room, "B")
	}
	testkit.WaitFor(t, testkit.Patient, "every session counted down", func() bool {
		st := tp.Stats()
		return st.Publishers == 0 && st.PublishersUp == 0 && st.Listeners == 0 && st.ListenersUp == 0
	})
	tp.sync()
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if len(tp.rooms) != 0 || len(tp.timers) != 0 {
		t.Fatalf("%d rooms and %d timers left", len(tp.rooms), len(tp.timers))
	}
	for i := range tp.factory.count() {
		if !tp.factory.session(i).isClosed() {
			t.Fatalf("session %d still open", i)
		}
	}
	tp.jobsMu.Lock()
	defer tp.jobsMu.Unlock()
	if len(tp.jobs) != 0 {
		t.Fatalf("%d jobs left", len(tp.jobs))
	}
}

// TestPlaneChurnLeavesNoTrace: a host that stays while 100 guests come, publish, are received by it (every other
// one failing once and offered again) and leave keeps nothing of them: its per-peer maps, its stream's listener
// list and retransmission queue, the room and the Plane's timers are back to their size before the first guest.
func TestPlaneChurnLeavesNoTrace(t *testing.T) {
	tp := newTestPlane(t, Config{ReofferDelay: time.Millisecond})
	tp.Joined(room, "H")
	hostUp, _ := tp.publish(t, "H")
	send(hostUp, hostUp.audio, 1, 0, opus, time.Second)
	tp.waitEvents(t, "H", protocol.EventWebrtcUp, 1)
	sizes := func() []int {
		tp.mu.Lock()
		defer tp.mu.Unlock()
		host := tp.member(room, "H")
		tp.fwd.mu.Lock()
		feeds := len(hostUp.feeds)
		tp.fwd.mu.Unlock()
		return []int{len(host.listeners), len(host.failures), feeds, len(*hostUp.audio.src.downtracks.Load()),
			len(*hostUp.video.src.downtracks.Load()), len(hostUp.feeder.requests), len(tp.rooms[room]), len(tp.rooms),
			len(tp.timers)}
	}
	before := sizes()
	hostOffers, hostUps := 0, 1
	for i := range 100 {
		g := "G" + strconv.Itoa(i)
		tp.Joined(room, g)
		tp.listen(t, g, "H", 1)
		u, _ := tp.publish(t, g)
		send(u, u.audio, 1, 0, opus, time.Second)
		hostOffers++
		_, lSess := tp.listen(t, "H", g, hostOffers)
		send(u, u.audio, 2, 960, opus, time.Second+time.Millisecond)
		hostUps++
		tp.waitEvents(t, "H", protocol.EventWebrtcUp, hostUps)
		if i%2 == 1 {
			lSess.end(webrtc.StateFailed, webrtc.ReasonConsentExpired)
			hostOffers++
			tp.waitEvents(t, "H", protocol.EventExchangeSdp, hostOffers)
		}
		tp.Left(room, g)
	}
	testkit.WaitFor(t, testkit.Patient, "the guests' sessions counted down and the re-offer timers gone", func() bool {
		st := tp.Stats()
		tp.mu.Lock()
		defer tp.mu.Unlock()
		return st.Publishers == 1 && st.Listeners == 0 && len(tp.timers) == 0
	})
	tp.sync()
	if after := sizes(); !slices.Equal(after, before) {
		t.Fatalf("host's listeners, failures, feeds, audio and video downtracks, requests, room size, rooms, "+
			"timers: %v after the guests, %v before",
			after, before)
	}
}
