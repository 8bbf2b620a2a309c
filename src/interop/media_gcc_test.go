package interop

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	pionwebrtc "github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"
)

// TestMediaPionGCCAdapts: pion publishes VP8 with interceptor's send-side estimator (GCC: pkg/cc and pkg/gcc)
// through a userspace relay that shapes its uplink, and adapts to the server's transport-wide feedback. Its
// synthetic encoder sends at the estimator's target. On a 3 Mbit/s link the target grows from its 1 Mbit/s start;
// the link cut to 500 kbit/s, the target falls to it.
func TestMediaPionGCCAdapts(t *testing.T) {
	srv := startMediaServer(t, false, nil)
	alice := dialSignaling(t, srv)
	alice.join(srv, "gcc-room", "alice")
	link := newShapedRelay(t, 3_000_000)
	pub := publishWithGCC(t, alice, link)

	samples := func(d time.Duration) (lo, hi int) {
		lo = 1 << 40
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
			b := pub.target()
			lo, hi = min(lo, b), max(hi, b)
			t.Logf("link %d kbit/s, target %d kbit/s, relay dropped %d", link.rate.Load()/1000, b/1000,
				link.dropped.Load())
		}
		return lo, hi
	}
	_, hi := samples(10 * time.Second)
	if hi < 1_300_000 {
		t.Fatalf("on a 3 Mbit/s link the target stayed at or below %d bit/s from a 1 Mbit/s start: no feedback?", hi)
	}
	link.rate.Store(500_000)
	deadline := time.Now().Add(15 * time.Second)
	for pub.target() > 750_000 {
		if time.Now().After(deadline) {
			t.Fatalf("the link cut to 500 kbit/s, the target is still %d bit/s after 15 s", pub.target())
		}
		time.Sleep(250 * time.Millisecond)
	}
	lo, _ := samples(5 * time.Second)
	if lo < 100_000 {
		t.Fatalf("the target fell to %d bit/s on a 500 kbit/s link", lo)
	}
	if pub.feedbacks.Load() == 0 {
		t.Fatal("pion read no transport-wide feedback")
	}
}

// gccPublisher is a pion participant publishing VP8 at its congestion controller's target.
type gccPublisher struct {
	pc        *pionwebrtc.PeerConnection
	bwe       atomic.Pointer[cc.BandwidthEstimator]
	feedbacks atomic.Int64
	stop      context.CancelFunc
	done      chan struct{}
}

func (p *gccPublisher) target() int {
	if e := p.bwe.Load(); e != nil {
		return (*e).GetTargetBitrate()
	}
	return 0
}

// publishWithGCC publishes from the participant of sig through link, with transport-wide congestion control.
func publishWithGCC(t *testing.T, sig *sigClient, link *shapedRelay) *gccPublisher {
	t.Helper()
	p := &gccPublisher{done: make(chan struct{})}
	m := &pionwebrtc.MediaEngine{}
	fb := []pionwebrtc.RTCPFeedback{{Type: "transport-cc"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}}
	if err := m.RegisterCodec(pionwebrtc.RTPCodecParameters{RTPCodecCapability: pionwebrtc.RTPCodecCapability{
		MimeType: pionwebrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: fb}, PayloadType: 96},
		pionwebrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	reg := &interceptor.Registry{}
	ccf, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
		return gcc.NewSendSideBWE(gcc.SendSideBWEInitialBitrate(1_000_000), gcc.SendSideBWEMinBitrate(100_000),
			gcc.SendSideBWEMaxBitrate(5_000_000))
	})
	if err != nil {
		t.Fatal(err)
	}
	ccf.OnNewPeerConnection(func(_ string, e cc.BandwidthEstimator) { p.bwe.Store(&e) })
	reg.Add(ccf)
	if err := pionwebrtc.ConfigureTWCCHeaderExtensionSender(m, reg); err != nil {
		t.Fatal(err)
	}
	api := pionwebrtc.NewAPI(pionwebrtc.WithMediaEngine(m), pionwebrtc.WithInterceptorRegistry(reg),
		pionwebrtc.WithSettingEngine(loopbackSettings(t, browserAnsweringRole)))
	if p.pc, err = api.NewPeerConnection(pionwebrtc.Configuration{}); err != nil {
		t.Fatal(err)
	}
	track, err := pionwebrtc.NewTrackLocalStaticSample(pionwebrtc.RTPCodecCapability{MimeType: pionwebrtc.MimeTypeVP8},
		"video", sig.SocketID)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := p.pc.AddTransceiverFromTrack(track, pionwebrtc.RTPTransceiverInit{
		Direction: pionwebrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		t.Fatal(err)
	}
	go p.readRTCP(tr.Sender())
	ctx, stop := context.WithCancel(context.Background())
	p.stop = stop
	go p.encode(ctx, track)
	t.Cleanup(func() {
		p.stop()
		<-p.done
		if err := p.pc.Close(); err != nil {
			t.Error(err)
		}
	})
	offer := localDescription(t, p.pc, func(pc *pionwebrtc.PeerConnection) (pionwebrtc.SessionDescription, error) {
		return pc.CreateOffer(nil)
	})
	sig.send("exchangeSdp", map[string]any{"to": "publisher", "sdp": offer})
	answer := sig.sdpFrom("publisher", "answer").SDP.SDP
	if !strings.Contains(answer, "transport-cc") {
		t.Fatalf("the server's answer has no transport-cc:\n%s", answer)
	}
	if err := p.pc.SetRemoteDescription(pionwebrtc.SessionDescription{Type: pionwebrtc.SDPTypeAnswer,
		SDP: link.rewrite(t, answer)}); err != nil {
		t.Fatalf("pion refuses the server's answer: %v", err)
	}
	sig.reply("exchangeSdp")
	sig.event("eventWebrtcUp", "publisher", mediaWait)
	return p
}

// readRTCP counts the transport-wide feedback pion reads (its interceptors see RTCP only when it is read).
func (p *gccPublisher) readRTCP(s *pionwebrtc.RTPSender) {
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			if strings.Contains(fmt.Sprintf("%T", pkt), "TransportLayerCC") {
				p.feedbacks.Add(1)
			}
		}
	}
}

// encode writes 30 VP8 frames a second sized to the target, a keyframe every 2 s.
func (p *gccPublisher) encode(ctx context.Context, track *pionwebrtc.TrackLocalStaticSample) {
	defer close(p.done)
	tick := time.NewTicker(33 * time.Millisecond)
	defer tick.Stop()
	for frame := 0; ; frame++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		size := max(p.target(), 100_000) / 8 / 30
		data := make([]byte, size)
		if frame%60 == 0 {
			copy(data, []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01}) // keyframe, 640x480
		} else {
			data[0] = 0x11
		}
		if err := track.WriteSample(pionmedia.Sample{Data: data, Duration: 33 * time.Millisecond}); err != nil {
			return
		}
	}
}

// shapedRelay is a UDP relay between pion and the server: what pion sends leaves at most at rate bit/s through
// a drop-tail queue of maxQueueDelay; what the server sends passes at once.
type shapedRelay struct {
	client, upstream *net.UDPConn
	server           netip.AddrPort
	rate             atomic.Int64
	dropped          atomic.Int64

	mu   sync.Mutex
	peer netip.AddrPort // pion's address, learnt from its first datagram
	free time.Time      // when the link has sent what is queued
	out  chan delayed
}

type delayed struct {
	pkt []byte
	at  time.Time
}

const maxQueueDelay = 200 * time.Millisecond

func newShapedRelay(t *testing.T, rate int64) *shapedRelay {
	t.Helper()
	r := &shapedRelay{out: make(chan delayed, 4096)}
	r.rate.Store(rate)
	var err error
	if r.client, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	if r.upstream, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = r.client.Close()
		_ = r.upstream.Close()
	})
	return r
}

// rewrite points the server's UDP candidates of an SDP at the relay, which then learns the server's address, and
// starts relaying.
func (r *shapedRelay) rewrite(t *testing.T, sdp string) string {
	t.Helper()
	re := regexp.MustCompile(`(a=candidate:\S+ 1 udp \d+ )(127\.0\.0\.1) (\d+)( typ host)`)
	m := re.FindStringSubmatch(sdp)
	if m == nil {
		t.Fatalf("no UDP candidate on 127.0.0.1 in the server's SDP:\n%s", sdp)
	}
	server, err := netip.ParseAddrPort(m[2] + ":" + m[3])
	if err != nil {
		t.Fatal(err)
	}
	r.server = server
	go r.up()
	go r.send()
	go r.down()
	relay := r.client.LocalAddr().(*net.UDPAddr).AddrPort()
	return re.ReplaceAllString(sdp, fmt.Sprintf("${1}127.0.0.1 %d${4}", relay.Port()))
}

// up queues pion's datagrams on the shaped link.
func (r *shapedRelay) up() {
	defer close(r.out)
	buf := make([]byte, 2048)
	for {
		n, from, err := r.client.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		now := time.Now()
		r.mu.Lock()
		r.peer = from
		start := r.free
		if start.Before(now) {
			start = now
		}
		if start.Sub(now) > maxQueueDelay {
			r.mu.Unlock()
			r.dropped.Add(1)
			continue
		}
		r.free = start.Add(time.Duration(int64(n) * 8 * int64(time.Second) / r.rate.Load()))
		at := r.free
		r.mu.Unlock()
		select {
		case r.out <- delayed{pkt: append([]byte(nil), buf[:n]...), at: at}:
		default:
			r.dropped.Add(1)
		}
	}
}

// send writes each queued datagram to the server when the link has serialised it.
func (r *shapedRelay) send() {
	for d := range r.out {
		time.Sleep(time.Until(d.at))
		if _, err := r.upstream.WriteToUDPAddrPort(d.pkt, r.server); err != nil {
			return
		}
	}
}

// down passes the server's datagrams to pion.
func (r *shapedRelay) down() {
	buf := make([]byte, 2048)
	for {
		n, _, err := r.upstream.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		r.mu.Lock()
		peer := r.peer
		r.mu.Unlock()
		if _, err := r.client.WriteToUDPAddrPort(buf[:n], peer); err != nil {
			return
		}
	}
}
