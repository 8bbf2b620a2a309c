package interop

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtp/codecs"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	pionrtcp "github.com/pion/rtcp"
	pionrtp "github.com/pion/rtp"
	pionwebrtc "github.com/pion/webrtc/v4"
)

// TestMediaPionThroughServer is the media plane without a browser: a pion PeerConnection publishes synthetic Opus
// and VP8 to the real server (race build) and another receives it through the server, with the loss recovery
// exercised both ways and the keyframe requests relayed:
//   - the listener's first video packet starts a keyframe, every payload arrives as published, on the listener's
//     own SSRCs;
//   - packets the publisher "loses" on the way up are NACKed by the server and, once pion resends them, reach the
//     listener;
//   - packets the listener "loses" on the way down are NACKed by pion and resent by the server (RTX);
//   - a PLI from the listener reaches the publisher, and the keyframe it answers with reaches the listener;
//   - the publisher gets RR and REMB, the listener SRs with one CNAME for the publisher's audio and video.
func TestMediaPionThroughServer(t *testing.T) {
	srv := startMediaServer(t, true, nil)
	alice, bob := dialSignaling(t, srv), dialSignaling(t, srv)
	alice.join(srv, "pion-room", "alice")
	pub := publishWithPion(t, alice)
	bob.join(srv, "pion-room", "bob")
	sub := receiveWithPion(t, bob, pub)

	t.Run("forwarding", func(t *testing.T) {
		waitUntil(t, mediaWait, "60 video and 50 audio packets at the listener", func() bool {
			v, a := sub.counts()
			return v > 60 && a > 50
		}, sub.describe)
		sub.mu.Lock()
		defer sub.mu.Unlock()
		if !sub.firstVideoKeyframe {
			t.Error("the listener's first video packet does not start a keyframe")
		}
		if len(sub.corrupt) > 0 {
			t.Errorf("payloads differ from what was published, at publisher sequence numbers %v", sub.corrupt)
		}
		pubSSRCs := pub.ssrcs()
		for _, s := range []uint32{sub.videoSSRC, sub.audioSSRC} {
			if s == 0 || slices.Contains(pubSSRCs, s) {
				t.Errorf("listener SSRCs video %d audio %d, publisher's %v: want the listener's own", sub.videoSSRC,
					sub.audioSSRC, pubSSRCs)
			}
		}
	})

	t.Run("upstream loss is NACKed by the server", func(t *testing.T) {
		seqs := pub.tap.dropOut.arm(3).wait(t)
		waitUntil(t, mediaWait, fmt.Sprintf("server NACKs %v, the listener receives them", seqs), func() bool {
			return pub.tap.nacked(seqs) && sub.received(seqs)
		}, func() string {
			return fmt.Sprintf("NACKed to the publisher: %v; %s", pub.tap.nackedSeqs(), sub.describe())
		})
	})

	t.Run("downstream loss is resent by the server", func(t *testing.T) {
		seqs := sub.tap.dropIn.arm(3).wait(t)
		waitUntil(t, mediaWait, fmt.Sprintf("the listener NACKs %v and gets them as RTX", seqs), func() bool {
			return sub.tap.nackSent() && sub.repaired(seqs)
		}, func() string {
			return fmt.Sprintf("listener sent NACK %v; %s", sub.tap.nackSent(), sub.describe())
		})
	})

	t.Run("PLI relayed to the publisher", func(t *testing.T) {
		if pub.tap.count(rtcpPLI) == 0 {
			t.Error("the server asked no keyframe of the publisher when the listener started")
		}
		plis, keyframes := pub.tap.count(rtcpPLI), sub.keyframeCount()
		sub.sendPLI(t)
		waitUntil(t, mediaWait, "a PLI at the publisher and a new keyframe at the listener", func() bool {
			return pub.tap.count(rtcpPLI) > plis && sub.keyframeCount() > keyframes
		}, func() string {
			return fmt.Sprintf("publisher PLIs %d (before %d), listener keyframes %d (before %d)",
				pub.tap.count(rtcpPLI), plis, sub.keyframeCount(), keyframes)
		})
	})

	t.Run("reports", func(t *testing.T) {
		waitUntil(t, mediaWait, "RR and REMB at the publisher, SR and SDES at the listener", func() bool {
			return pub.tap.count(rtcpRR) > 0 && pub.tap.count(rtcpREMB) > 0 && sub.tap.count(rtcpSR) > 1 &&
				len(sub.tap.cnames()) >= 2
		}, func() string {
			return fmt.Sprintf("publisher RR %d REMB %d, listener SR %d CNAMEs %v", pub.tap.count(rtcpRR),
				pub.tap.count(rtcpREMB), sub.tap.count(rtcpSR), sub.tap.cnames())
		})
		cnames := sub.tap.cnames()
		sub.mu.Lock()
		audio, video := cnames[sub.audioSSRC], cnames[sub.videoSSRC]
		sub.mu.Unlock()
		if audio == "" || audio != video {
			t.Errorf("listener CNAMEs: audio %q, video %q: want one CNAME for the publisher", audio, video)
		}
	})

	t.Run("passive listener: the server is the DTLS client", func(t *testing.T) {
		carol := dialSignaling(t, srv)
		carol.join(srv, "pion-room", "carol")
		passive := receiveWithPionAs(t, carol, pub, pionwebrtc.DTLSRoleAuto)
		if answer := passive.pc.LocalDescription(); answer == nil || !strings.Contains(answer.SDP, "a=setup:passive") {
			t.Fatalf("pion's default answer to the ICE-lite server is not passive: %+v", answer)
		}
		waitUntil(t, mediaWait, "30 video and 25 audio packets at the passive listener", func() bool {
			v, a := passive.counts()
			return v > 30 && a > 25
		}, passive.describe)
		passive.mu.Lock()
		corrupt := slices.Clone(passive.corrupt)
		passive.mu.Unlock()
		if len(corrupt) > 0 {
			t.Errorf("payloads differ from what was published, at publisher sequence numbers %v", corrupt)
		}
		carol.leave()
	})

	t.Run("the listener publishes too", func(t *testing.T) {
		bobPub := publishWithPion(t, bob)
		aliceSub := receiveWithPion(t, alice, bobPub)
		waitUntil(t, mediaWait, "alice receives bob", func() bool {
			v, a := aliceSub.counts()
			return v > 30 && a > 25
		}, aliceSub.describe)
	})

	bob.leave()
	alice.leave()
}

// Kinds of RTCP the tap counts.
const (
	rtcpPLI  = "pli"
	rtcpNACK = "nack"
	rtcpRR   = "rr"
	rtcpSR   = "sr"
	rtcpREMB = "remb"
)

// pionTap is an interceptor next to the network: it counts the RTCP a pion peer receives and sends, and drops
// chosen RTP packets the first time they pass, as a lossy network would, so that the peer's NACK machinery (pion's
// responder and generator) and the server's are exercised.
type pionTap struct {
	interceptor.NoOp
	// dropOut loses outgoing video packets, dropIn incoming ones.
	dropOut, dropIn *dropper

	mu     sync.Mutex
	in     map[string]int
	out    map[string]int
	nacks  []uint16 // sequence numbers NACKed to this peer
	cnamed map[uint32]string
}

func newPionTap() *pionTap {
	return &pionTap{dropOut: newDropper(), dropIn: newDropper(), in: make(map[string]int), out: make(map[string]int),
		cnamed: make(map[uint32]string)}
}

// NewInterceptor makes the tap a Factory of itself: a peer has one tap.
func (p *pionTap) NewInterceptor(string) (interceptor.Interceptor, error) { return p, nil }

func (p *pionTap) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	if info.MimeType != pionwebrtc.MimeTypeVP8 {
		return w
	}
	return interceptor.RTPWriterFunc(func(h *pionrtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if h.SSRC == info.SSRC && p.dropOut.drop(h.SequenceNumber) {
			return h.MarshalSize() + len(payload), nil
		}
		return w.Write(h, payload, a)
	})
}

func (p *pionTap) BindRemoteStream(info *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	if info.MimeType != pionwebrtc.MimeTypeVP8 {
		return r
	}
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		for {
			n, attrs, err := r.Read(b, a)
			if err != nil {
				return n, attrs, err
			}
			var h pionrtp.Header
			if _, err := h.Unmarshal(b[:n]); err == nil && h.SSRC == info.SSRC && p.dropIn.drop(h.SequenceNumber) {
				continue
			}
			return n, attrs, nil
		}
	})
}

func (p *pionTap) BindRTCPReader(r interceptor.RTCPReader) interceptor.RTCPReader {
	return interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attrs, err := r.Read(b, a)
		if err == nil {
			if pkts, perr := pionrtcp.Unmarshal(b[:n]); perr == nil {
				p.record(true, pkts)
			}
		}
		return n, attrs, err
	})
}

func (p *pionTap) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	return interceptor.RTCPWriterFunc(func(pkts []pionrtcp.Packet, a interceptor.Attributes) (int, error) {
		p.record(false, pkts)
		return w.Write(pkts, a)
	})
}

// record counts pkts, received (in) or sent, and keeps what the tests look at of those received.
func (p *pionTap) record(in bool, pkts []pionrtcp.Packet) {
	p.mu.Lock()
	defer p.mu.Unlock()
	by := p.out
	if in {
		by = p.in
	}
	for _, pkt := range pkts {
		switch pkt := pkt.(type) {
		case *pionrtcp.PictureLossIndication:
			by[rtcpPLI]++
		case *pionrtcp.TransportLayerNack:
			by[rtcpNACK]++
			if !in {
				break
			}
			for _, pair := range pkt.Nacks {
				p.nacks = append(p.nacks, pair.PacketList()...)
			}
		case *pionrtcp.ReceiverReport:
			by[rtcpRR]++
		case *pionrtcp.SenderReport:
			by[rtcpSR]++
		case *pionrtcp.ReceiverEstimatedMaximumBitrate:
			by[rtcpREMB]++
		case *pionrtcp.SourceDescription:
			for _, c := range pkt.Chunks {
				for _, item := range c.Items {
					if item.Type == pionrtcp.SDESCNAME {
						p.cnamed[c.Source] = item.Text
					}
				}
			}
		}
	}
}

func (p *pionTap) count(kind string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.in[kind]
}

func (p *pionTap) nackSent() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out[rtcpNACK] > 0
}

// nacked reports whether every one of seqs was NACKed to the peer.
func (p *pionTap) nacked(seqs []uint16) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range seqs {
		if !slices.Contains(p.nacks, s) {
			return false
		}
	}
	return true
}

func (p *pionTap) nackedSeqs() []uint16 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.nacks)
}

// cnames are the CNAMEs received, by SSRC.
func (p *pionTap) cnames() map[uint32]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[uint32]string, len(p.cnamed))
	for k, v := range p.cnamed {
		out[k] = v
	}
	return out
}

// dropper loses the next n packets of a stream that it has not seen before, once each: a retransmission (same
// sequence number, or an older one) passes.
type dropper struct {
	mu      sync.Mutex
	left    int
	seen    bool
	highest uint16
	lost    []uint16
	done    chan []uint16
}

func newDropper() *dropper { return &dropper{} }

// arm makes the dropper lose the next n new packets; done yields their sequence numbers once lost.
func (d *dropper) arm(n int) *droppedPackets {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.left, d.lost = n, nil
	d.done = make(chan []uint16, 1)
	return &droppedPackets{done: d.done}
}

func (d *dropper) drop(seq uint16) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	fresh := !d.seen || int16(seq-d.highest) > 0
	if fresh {
		d.seen, d.highest = true, seq
	}
	if !fresh || d.left == 0 {
		return false
	}
	d.left--
	d.lost = append(d.lost, seq)
	if d.left == 0 {
		d.done <- d.lost
	}
	return true
}

// droppedPackets are the packets an armed dropper lost.
type droppedPackets struct{ done chan []uint16 }

func (p *droppedPackets) wait(t *testing.T) []uint16 {
	t.Helper()
	select {
	case seqs := <-p.done:
		return seqs
	case <-time.After(mediaWait):
		t.Fatal("no packet went through the dropper")
		return nil
	}
}

// newPionAPI builds pion as a browser would be for the server: Opus and VP8 with RTX, NACK (generator and
// responder), PLI, FIR, REMB feedback, RTCP reports, loopback IPv4 host candidates only; tap next to the network.
// answering is the DTLS role pion takes when it answers; DTLSRoleAuto leaves pion's default.
func newPionAPI(t testing.TB, tap *pionTap, answering pionwebrtc.DTLSRole) *pionwebrtc.API {
	t.Helper()
	m := &pionwebrtc.MediaEngine{}
	videoFeedback := []pionwebrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"},
		{Type: "nack", Parameter: "pli"}}
	codecs := []struct {
		params pionwebrtc.RTPCodecParameters
		kind   pionwebrtc.RTPCodecType
	}{
		{pionwebrtc.RTPCodecParameters{RTPCodecCapability: pionwebrtc.RTPCodecCapability{MimeType: pionwebrtc.MimeTypeOpus,
			ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}, PayloadType: 111},
			pionwebrtc.RTPCodecTypeAudio},
		{pionwebrtc.RTPCodecParameters{RTPCodecCapability: pionwebrtc.RTPCodecCapability{MimeType: pionwebrtc.MimeTypeVP8,
			ClockRate: 90000, RTCPFeedback: videoFeedback}, PayloadType: 96}, pionwebrtc.RTPCodecTypeVideo},
		{pionwebrtc.RTPCodecParameters{RTPCodecCapability: pionwebrtc.RTPCodecCapability{MimeType: pionwebrtc.MimeTypeRTX,
			ClockRate: 90000, SDPFmtpLine: "apt=96"}, PayloadType: 97}, pionwebrtc.RTPCodecTypeVideo},
	}
	for _, c := range codecs {
		if err := m.RegisterCodec(c.params, c.kind); err != nil {
			t.Fatal(err)
		}
	}
	reg := &interceptor.Registry{}
	reg.Add(tap) // first: next to the network, outside pion's NACK generator and responder
	if err := pionwebrtc.ConfigureNack(m, reg); err != nil {
		t.Fatal(err)
	}
	if err := pionwebrtc.ConfigureRTCPReports(reg); err != nil {
		t.Fatal(err)
	}
	return pionwebrtc.NewAPI(pionwebrtc.WithMediaEngine(m), pionwebrtc.WithInterceptorRegistry(reg),
		pionwebrtc.WithSettingEngine(loopbackSettings(t, answering)))
}

// loopbackSettings keeps pion on IPv4 UDP over loopback, where the server is, with the given answering DTLS role
// (DTLSRoleAuto: pion's default).
func loopbackSettings(t testing.TB, answering pionwebrtc.DTLSRole) pionwebrtc.SettingEngine {
	t.Helper()
	se := pionwebrtc.SettingEngine{}
	se.SetNetworkTypes([]pionwebrtc.NetworkType{pionwebrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if answering != pionwebrtc.DTLSRoleAuto {
		if err := se.SetAnsweringDTLSRole(answering); err != nil {
			t.Fatal(err)
		}
	}
	return se
}

// browserAnsweringRole is how pion answers the server's offers unless a test says otherwise. Browsers answer the
// server's actpass offers with setup:active (they are the DTLS client); pion's default answer to an ICE-lite
// offerer is passive, which makes the server the DTLS client: one test takes that path on purpose.
const browserAnsweringRole = pionwebrtc.DTLSRoleClient

// newPionPC returns a PeerConnection that answers in the DTLS role answering; the caller closes it.
func newPionPC(t testing.TB, tap *pionTap, answering pionwebrtc.DTLSRole) *pionwebrtc.PeerConnection {
	t.Helper()
	pc, err := newPionAPI(t, tap, answering).NewPeerConnection(pionwebrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	return pc
}

// localDescription sets the offer or answer made by create, and returns it with every candidate in it.
func localDescription(t testing.TB, pc *pionwebrtc.PeerConnection,
	create func(*pionwebrtc.PeerConnection) (pionwebrtc.SessionDescription, error)) pionwebrtc.SessionDescription {
	t.Helper()
	desc, err := create(pc)
	if err != nil {
		t.Fatal(err)
	}
	gathered := pionwebrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(desc); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gathered:
	case <-time.After(signalingWait):
		t.Fatal("pion did not gather its candidates")
	}
	return *pc.LocalDescription()
}

// pionPublisher is a participant that publishes synthetic Opus and VP8 with pion.
type pionPublisher struct {
	sig          *sigClient
	pc           *pionwebrtc.PeerConnection
	tap          *pionTap
	audio, video *pionwebrtc.TrackLocalStaticRTP
	stop         context.CancelFunc
	stopped      chan struct{}
	closeOnce    sync.Once

	mu   sync.Mutex
	sent map[uint16][]byte // video payloads by sequence number
}

// publishWithPion publishes from the participant of sig, and waits for eventWebrtcUp from the server's upstream
// end.
func publishWithPion(t testing.TB, sig *sigClient) *pionPublisher {
	t.Helper()
	p := &pionPublisher{sig: sig, tap: newPionTap(), sent: make(map[uint16][]byte), stopped: make(chan struct{})}
	var err error
	if p.audio, err = pionwebrtc.NewTrackLocalStaticRTP(pionwebrtc.RTPCodecCapability{
		MimeType: pionwebrtc.MimeTypeOpus}, "audio", sig.SocketID); err != nil {
		t.Fatal(err)
	}
	if p.video, err = pionwebrtc.NewTrackLocalStaticRTP(pionwebrtc.RTPCodecCapability{
		MimeType: pionwebrtc.MimeTypeVP8}, "video", sig.SocketID); err != nil {
		t.Fatal(err)
	}
	p.pc = newPionPC(t, p.tap, browserAnsweringRole)
	ctx, stop := context.WithCancel(context.Background())
	p.stop = stop
	go p.send(ctx) // writes go nowhere until the tracks are bound, once connected
	t.Cleanup(func() { p.close(t) })
	for _, track := range []*pionwebrtc.TrackLocalStaticRTP{p.audio, p.video} {
		tr, err := p.pc.AddTransceiverFromTrack(track, pionwebrtc.RTPTransceiverInit{
			Direction: pionwebrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			t.Fatal(err)
		}
		go drainRTCP(tr.Sender().Read) // pion's interceptors see incoming RTCP only when it is read
	}
	offer := localDescription(t, p.pc, func(pc *pionwebrtc.PeerConnection) (pionwebrtc.SessionDescription, error) {
		return pc.CreateOffer(nil)
	})
	p.sig.send("exchangeSdp", map[string]any{"to": "publisher", "sdp": offer})
	answer := p.sig.sdpFrom("publisher", "answer")
	if err := p.pc.SetRemoteDescription(pionwebrtc.SessionDescription{Type: pionwebrtc.SDPTypeAnswer,
		SDP: answer.SDP.SDP}); err != nil {
		t.Fatalf("pion refuses the server's answer: %v\n%s", err, answer.SDP.SDP)
	}
	p.sig.reply("exchangeSdp")
	p.sig.event("eventWebrtcUp", "publisher", mediaWait)
	return p
}

// drainRTCP reads until the sender or receiver is closed.
func drainRTCP(read func([]byte) (int, interceptor.Attributes, error)) {
	b := make([]byte, 1500)
	for {
		if _, _, err := read(b); err != nil {
			return
		}
	}
}

// close stops the media and closes the PeerConnection; it may be called more than once.
func (p *pionPublisher) close(t testing.TB) {
	p.closeOnce.Do(func() {
		p.stop()
		<-p.stopped
		if err := p.pc.Close(); err != nil {
			t.Error(err)
		}
	})
}

// send plays 30 frames a second of VP8 (2 packets each, a keyframe every 3 s and after each PLI) and 50 Opus
// packets a second until ctx ends.
func (p *pionPublisher) send(ctx context.Context) {
	defer close(p.stopped)
	const (
		frameInterval = time.Second / 30
		audioInterval = 20 * time.Millisecond
		keyframeEvery = 90
	)
	var videoSeq, audioSeq uint16
	var frame uint32
	plis := 0
	nextFrame, nextAudio := time.Now(), time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if !now.Before(nextAudio) {
				nextAudio = nextAudio.Add(audioInterval)
				payload := append([]byte{0xfc}, bytes.Repeat([]byte{byte(audioSeq)}, 80)...)
				_ = p.audio.WriteRTP(&pionrtp.Packet{Header: pionrtp.Header{Version: 2, SequenceNumber: audioSeq,
					Timestamp: uint32(audioSeq) * 960}, Payload: payload})
				audioSeq++
			}
			if !now.Before(nextFrame) {
				nextFrame = nextFrame.Add(frameInterval)
				key := frame%keyframeEvery == 0
				if n := p.tap.count(rtcpPLI); n > plis {
					plis, key = n, true
				}
				for i, payload := range vp8Frame(frame, key, videoSeq) {
					p.mu.Lock()
					p.sent[videoSeq] = payload
					p.mu.Unlock()
					_ = p.video.WriteRTP(&pionrtp.Packet{Header: pionrtp.Header{Version: 2, SequenceNumber: videoSeq,
						Timestamp: frame * 3000, Marker: i == 1}, Payload: payload})
					videoSeq++
				}
				frame++
			}
		}
	}
}

// payloadAt returns the video payload published with sequence number seq.
func (p *pionPublisher) payloadAt(seq uint16) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, ok := p.sent[seq]
	return b, ok
}

// ssrcs are the publisher's SSRCs.
func (p *pionPublisher) ssrcs() []uint32 {
	var out []uint32
	for _, s := range p.pc.GetSenders() {
		for _, e := range s.GetParameters().Encodings {
			out = append(out, uint32(e.SSRC), uint32(e.RTX.SSRC))
		}
	}
	return out
}

// vp8Frame returns the two payloads of a synthetic VP8 frame whose first packet has sequence number seq: a payload
// descriptor, the frame header (key frames: 640x480), filler, and at the end a marker (frame, sequence number) that
// the listener uses to find the published payload.
func vp8Frame(frame uint32, key bool, seq uint16) [][]byte {
	first := []byte{0x10} // descriptor: S=1, partition 0
	if key {
		// Frame tag: P=0 (key frame), version 0, show_frame, first partition size 64; start code; 640x480.
		first = append(first, 0x10, 0x08, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01)
	} else {
		first = append(first, 0x11, 0x08, 0x00) // P=1
	}
	second := []byte{0x00} // descriptor: continuation
	out := [][]byte{first, second}
	for i := range out {
		out[i] = append(out[i], bytes.Repeat([]byte{byte(frame)}, 500)...)
		out[i] = binary.BigEndian.AppendUint32(out[i], frame)
		out[i] = binary.BigEndian.AppendUint16(out[i], seq+uint16(i))
	}
	return out
}

// markerSeq is the publisher's sequence number written at the end of a vp8Frame payload.
func markerSeq(payload []byte) (uint16, bool) {
	if len(payload) < 6 {
		return 0, false
	}
	return binary.BigEndian.Uint16(payload[len(payload)-2:]), true
}

// pionListener is a participant that only receives, with pion.
type pionListener struct {
	sig *sigClient
	pc  *pionwebrtc.PeerConnection
	tap *pionTap
	pub *pionPublisher

	readers                       sync.WaitGroup
	closeOnce                     sync.Once
	mu                            sync.Mutex
	closed                        bool
	video, audio, rtx, keyframes  int
	firstVideoKeyframe, videoSeen bool
	videoSSRC, audioSSRC          uint32
	got                           map[uint16]bool // publisher sequence numbers of the video received
	repairs                       map[uint16]bool // the listener's sequence numbers of the video received as RTX
	corrupt                       []uint16        // those whose payload is not what was published
}

// receiveWithPion answers, for the participant of sig, the server's offer of pub's stream as a browser does
// (setup:active) and waits for eventWebrtcUp from it.
func receiveWithPion(t testing.TB, sig *sigClient, pub *pionPublisher) *pionListener {
	t.Helper()
	return receiveWithPionAs(t, sig, pub, browserAnsweringRole)
}

// receiveWithPionAs is receiveWithPion with pion answering in the DTLS role answering.
func receiveWithPionAs(t testing.TB, sig *sigClient, pub *pionPublisher, answering pionwebrtc.DTLSRole) *pionListener {
	t.Helper()
	publisherID := pub.sig.SocketID
	l := &pionListener{sig: sig, tap: newPionTap(), pub: pub, got: make(map[uint16]bool),
		repairs: make(map[uint16]bool)}
	l.pc = newPionPC(t, l.tap, answering)
	t.Cleanup(func() { l.close(t) })
	l.pc.OnTrack(func(track *pionwebrtc.TrackRemote, receiver *pionwebrtc.RTPReceiver) {
		// pion calls this on a goroutine of its own: the readers are counted under the lock that close takes
		// before it waits for them, so that none starts after.
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.closed {
			return
		}
		l.readers.Add(2)
		go func() {
			defer l.readers.Done()
			drainRTCP(receiver.Read)
		}()
		go func() {
			defer l.readers.Done()
			l.read(track)
		}()
	})
	offer := l.sig.sdpFrom(publisherID, "offer")
	if err := l.pc.SetRemoteDescription(pionwebrtc.SessionDescription{Type: pionwebrtc.SDPTypeOffer,
		SDP: offer.SDP.SDP}); err != nil {
		t.Fatalf("pion refuses the server's offer: %v\n%s", err, offer.SDP.SDP)
	}
	answer := localDescription(t, l.pc, func(pc *pionwebrtc.PeerConnection) (pionwebrtc.SessionDescription, error) {
		return pc.CreateAnswer(nil)
	})
	l.sig.send("exchangeSdp", map[string]any{"to": publisherID, "sdp": answer})
	l.sig.reply("exchangeSdp")
	l.sig.event("eventWebrtcUp", publisherID, mediaWait)
	return l
}

// close closes the PeerConnection and waits for the readers to return; it may be called more than once.
func (l *pionListener) close(t testing.TB) {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		if err := l.pc.Close(); err != nil {
			t.Error(err)
		}
		l.readers.Wait()
	})
}

// read counts and checks the packets of track until the PeerConnection closes.
func (l *pionListener) read(track *pionwebrtc.TrackRemote) {
	video := track.Kind() == pionwebrtc.RTPCodecTypeVideo
	l.mu.Lock()
	if video {
		l.videoSSRC = uint32(track.SSRC())
	} else {
		l.audioSSRC = uint32(track.SSRC())
	}
	l.mu.Unlock()
	for {
		pkt, attrs, err := track.ReadRTP()
		if err != nil {
			return
		}
		l.mu.Lock()
		if !video {
			l.audio++
			l.mu.Unlock()
			continue
		}
		l.video++
		key := codecs.VP8StartsKeyframe(pkt.Payload)
		if !l.videoSeen {
			l.videoSeen, l.firstVideoKeyframe = true, key
		}
		if key {
			l.keyframes++
		}
		if attrs != nil && attrs.Get(pionwebrtc.AttributeRtxPayloadType) != nil {
			l.rtx++
			l.repairs[pkt.SequenceNumber] = true
		}
		if seq, ok := markerSeq(pkt.Payload); ok {
			l.got[seq] = true
			if want, ok := l.pub.payloadAt(seq); !ok || !bytes.Equal(want, pkt.Payload) {
				l.corrupt = append(l.corrupt, seq)
			}
		}
		l.mu.Unlock()
	}
}

func (l *pionListener) counts() (video, audio int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.video, l.audio
}

func (l *pionListener) keyframeCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.keyframes
}

// repaired reports whether the video packets with seqs (the listener's numbers) all came as RTX.
func (l *pionListener) repaired(seqs []uint16) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range seqs {
		if !l.repairs[s] {
			return false
		}
	}
	return true
}

// received reports whether the video packets the publisher sent with seqs all arrived.
func (l *pionListener) received(seqs []uint16) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range seqs {
		if !l.got[s] {
			return false
		}
	}
	return true
}

func (l *pionListener) describe() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("listener: %d video packets (%d keyframes, %d RTX), %d audio packets", l.video, l.keyframes,
		l.rtx, l.audio)
}

// sendPLI asks for a keyframe of the stream received, as a decoder that lost one does.
func (l *pionListener) sendPLI(t testing.TB) {
	t.Helper()
	l.mu.Lock()
	ssrc := l.videoSSRC
	l.mu.Unlock()
	if err := l.pc.WriteRTCP([]pionrtcp.Packet{&pionrtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
		t.Fatal(err)
	}
}
