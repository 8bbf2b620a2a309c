package transcode

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/gst"
	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp/codecs"
)

// testTimeout bounds each wait of a test: generous, for a machine shared by several builds.
const testTimeout = 60 * time.Second

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// quietLogger drops the debug lines; warnings and errors still reach the test log through t.Log.
func quietLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(b, "\n")))
	return len(b), nil
}

func newTestTranscoder(t *testing.T, cfg Config) *Transcoder {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLogger(t)
	}
	tc, err := NewWith(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

// keyRequests counts a decoder's keyframe requests.
type keyRequests struct {
	mu sync.Mutex
	n  int
}

func (k *keyRequests) request() {
	k.mu.Lock()
	k.n++
	k.mu.Unlock()
}

func (k *keyRequests) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.n
}

func newTestDecoder(t *testing.T, tc *Transcoder, codec Codec) (*Decoder, *keyRequests) {
	t.Helper()
	keys := &keyRequests{}
	d, err := tc.NewDecoder(DecoderConfig{Codec: codec, RequestKeyframe: keys.request})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("decoder Close: %v", err)
		}
	})
	return d, keys
}

// collector keeps an encoder's packets and wakes waiters.
type collector struct {
	mu      sync.Mutex
	packets []Packet
	changed chan struct{}
}

func newCollector() *collector {
	return &collector{changed: make(chan struct{}, 1)}
}

func (c *collector) output(p Packet) {
	c.mu.Lock()
	c.packets = append(c.packets, p)
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *collector) snapshot() []Packet {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Packet(nil), c.packets...)
}

// waitFor waits until done holds for the packets received, failing the test at the deadline.
func (c *collector) waitFor(ctx context.Context, t *testing.T, what string, done func([]Packet) bool) []Packet {
	t.Helper()
	for {
		pkts := c.snapshot()
		if done(pkts) {
			return pkts
		}
		select {
		case <-c.changed:
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s (%d packets so far)", what, len(pkts))
		}
	}
}

// frames counts the complete frames (marker bits) among pkts.
func frames(pkts []Packet) int {
	n := 0
	for _, p := range pkts {
		if p.Marker {
			n++
		}
	}
	return n
}

// newTestEncoder attaches an encoder to d that collects its packets.
func newTestEncoder(t *testing.T, d *Decoder, codec Codec, tier Tier) (*Encoder, *collector) {
	t.Helper()
	c := newCollector()
	e, err := d.NewEncoder(EncoderConfig{Codec: codec, Tier: tier, PayloadType: 96, Output: c.output})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("encoder Close: %v", err)
		}
	})
	return e, c
}

// input is a publisher's stream made by GStreamer: RTP packets from its own payloader, and for each frame the
// raw picture scaled to the size the test checks against, by RTP timestamp.
type input struct {
	packets   []rtp.Packet
	reference map[uint32][]byte
}

// inputEncoders encode the publisher's stream, a keyframe every 30 frames.
var inputEncoders = map[Codec]string{
	VP8:  "vp8enc deadline=1 cpu-used=16 lag-in-frames=0 keyframe-max-dist=30 target-bitrate=800000 ! rtpvp8pay",
	VP9:  "vp9enc deadline=1 cpu-used=8 lag-in-frames=0 keyframe-max-dist=30 target-bitrate=800000 ! rtpvp9pay",
	H264: "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 bitrate=800 ! rtph264pay config-interval=-1",
}

var (
	inputMu    sync.Mutex
	inputCache = make(map[string]*input)
)

// makeInput encodes n frames of a test pattern moving across the whole picture of width x height into RTP (timestamps from 0, 90 kHz), and
// keeps each picture scaled to refW x refH. Inputs are cached per test binary.
func makeInput(t *testing.T, codec Codec, n, width, height, refW, refH int) *input {
	t.Helper()
	key := fmt.Sprint(codec, n, width, height, refW, refH)
	inputMu.Lock()
	defer inputMu.Unlock()
	if in, ok := inputCache[key]; ok {
		return in
	}
	desc := fmt.Sprintf("videotestsrc pattern=smpte horizontal-speed=3 num-buffers=%d ! video/x-raw,format=I420,width=%d,height=%d,framerate=30/1"+
		" ! tee name=t ! queue ! %s pt=96 mtu=1200 timestamp-offset=0 ! appsink name=rtp sync=false"+
		" t. ! queue ! videoscale ! video/x-raw,width=%d,height=%d ! appsink name=ref sync=false",
		n, width, height, inputEncoders[codec], refW, refH)
	p, err := gst.NewPipeline(desc)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	rtpSink, err := p.AppSink("rtp", 16*n)
	if err != nil {
		t.Fatal(err)
	}
	refSink, err := p.AppSink("ref", n+1)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetState(gst.StatePlaying); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitEOS(testContext(t)); err != nil {
		t.Fatal(err)
	}
	in := &input{reference: make(map[uint32][]byte)}
	for len(rtpSink.Samples()) > 0 {
		s := <-rtpSink.Samples()
		var pkt rtp.Packet
		if err := pkt.Unmarshal(s.Data); err != nil {
			t.Fatal(err)
		}
		in.packets = append(in.packets, pkt)
	}
	for len(refSink.Samples()) > 0 {
		s := <-refSink.Samples()
		// rtpbasepayload's timestamp: the running time scaled to 90 kHz, rounded down.
		in.reference[uint32(int64(s.PTS)*rtpClock/int64(time.Second))] = s.Data
	}
	if rtpSink.Dropped() > 0 || refSink.Dropped() > 0 || len(in.reference) != n {
		t.Fatalf("input: %d packets (%d dropped), %d reference frames (%d dropped)", len(in.packets),
			rtpSink.Dropped(), len(in.reference), refSink.Dropped())
	}
	inputCache[key] = in
	return in
}

// decodedFrame is an encoder's frame decoded again.
type decodedFrame struct {
	sourceTS      uint32
	data          []byte
	width, height int
}

// decodeOutput rebuilds an encoder's frames with our assembler and decodes them with GStreamer. It fails the test
// if the assembler finds a loss or a broken frame, or the decoder reports anything.
func decodeOutput(t *testing.T, codec Codec, pkts []Packet) []decodedFrame {
	t.Helper()
	a, err := codecs.NewFrameAssembler(string(codec))
	if err != nil {
		t.Fatal(err)
	}
	caps, err := decoderCaps(codec)
	if err != nil {
		t.Fatal(err)
	}
	elements, err := decoderElements(codec)
	if err != nil {
		t.Fatal(err)
	}
	p, src, sink := playingAppPipeline(t, caps, elements, len(pkts)+1)
	defer p.Close()
	sourceTS := make(map[time.Duration]uint32)
	for i := range pkts {
		var pkt rtp.Packet
		if err := pkt.Unmarshal(pkts[i].Data); err != nil {
			t.Fatal(err)
		}
		frame, ok, err := a.Push(&pkt)
		if err != nil {
			t.Fatalf("encoder output packet %d: %v", i, err)
		}
		if !ok {
			continue
		}
		pts := time.Duration(len(sourceTS)) * time.Millisecond
		sourceTS[pts] = pkts[i].SourceTimestamp
		if err := src.Push(frame.Data, pts, gst.NoTime); err != nil {
			t.Fatal(err)
		}
	}
	if err := src.EndOfStream(); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitEOS(testContext(t)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.Errors():
		t.Fatalf("decoding the encoder's output: %v", err)
	default:
	}
	var out []decodedFrame
	for len(sink.Samples()) > 0 {
		s := <-sink.Samples()
		w, h, err := rawSize(s.Caps)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, decodedFrame{sourceTS: sourceTS[s.PTS], data: s.Data, width: w, height: h})
	}
	return out
}

// psnr compares the luma planes of two I420 frames of width x height.
func psnr(a, b []byte, width, height int) float64 {
	stride := (width + 3) &^ 3
	var sum float64
	for y := range height {
		for x := range width {
			d := float64(a[y*stride+x]) - float64(b[y*stride+x])
			sum += d * d
		}
	}
	if sum == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(sum/float64(width*height)))
}

// pushAll gives the decoder every packet.
func pushAll(d *Decoder, pkts []rtp.Packet) {
	for i := range pkts {
		d.Push(&pkts[i])
	}
}

// pushLockstep gives the decoder one frame's packets at a time and waits for the encoder's packets of that frame,
// so that no frame is skipped however slow the machine.
func pushLockstep(ctx context.Context, t *testing.T, d *Decoder, c *collector, pkts []rtp.Packet) []Packet {
	t.Helper()
	for start := 0; start < len(pkts); {
		end := start
		for end < len(pkts) && pkts[end].Timestamp == pkts[start].Timestamp {
			end++
		}
		pushAll(d, pkts[start:end])
		ts := pkts[start].Timestamp
		c.waitFor(ctx, t, "the encoded frame", func(p []Packet) bool {
			return len(p) > 0 && p[len(p)-1].Marker && p[len(p)-1].SourceTimestamp == ts
		})
		start = end
	}
	return c.snapshot()
}

// unhexTest decodes hex.
func unhexTest(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawFrame is a decoded picture a test gives an encoder directly, as the decoder's fan-out would.
type rawFrame struct {
	data          []byte
	width, height int
	pts           time.Duration
	sourceTS      uint32
}

// testFrame is a raw I420 frame of width x height (a multiple of 4) whose gradient moves with i, and whose
// grain (when grain > 0) makes its encoded size depend on the bitrate; frame i is at i/30 s.
func testFrame(i, width, height, grain int, seed uint64) *rawFrame {
	data := make([]byte, i420Size(width, height))
	x := seed | 1
	for row := range height {
		for col := range width {
			v := 16 + (col+row+3*i)%200
			if grain > 0 {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
				v += int(x % uint64(grain))
			}
			data[row*width+col] = byte(v)
		}
	}
	for k := width * height; k < len(data); k++ {
		data[k] = 128
	}
	return &rawFrame{data: data, width: width, height: height, pts: time.Duration(i) * time.Second / 30,
		sourceTS: uint32(i * 3000)}
}

// pushRaw gives the encoder a raw frame through its appsrc, recorded in its decoder as if decoded there, with the
// caps the fan-out would set for a 30 fps tier.
func pushRaw(t testing.TB, e *Encoder, f *rawFrame) {
	t.Helper()
	pushRawAt(t, e, f, 30)
}

// pushRawAt is pushRaw for a tier of another frame rate.
func pushRawAt(t testing.TB, e *Encoder, f *rawFrame, rate int) {
	t.Helper()
	e.d.pushes.record(f.pts, gst.Now(), f.sourceTS)
	src := e.source()
	caps := fmt.Sprintf("video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1,pixel-aspect-ratio=1/1",
		f.width, f.height, rate)
	if err := src.SetCaps(caps); err != nil {
		t.Fatal(err)
	}
	if err := src.Push(f.data, f.pts, gst.NoTime); err != nil {
		t.Fatal(err)
	}
}

// rawSize reads width and height from caps as GStreamer writes them ("width=(int)640").
func rawSize(caps string) (int, int, error) {
	field := func(name string) (int, error) {
		_, rest, ok := strings.Cut(caps, name+"=(int)")
		if !ok {
			return 0, fmt.Errorf("caps %q: no %s", caps, name)
		}
		end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
		if end < 0 {
			end = len(rest)
		}
		return strconv.Atoi(rest[:end])
	}
	w, err := field("width")
	if err != nil {
		return 0, 0, err
	}
	h, err := field("height")
	return w, h, err
}

// i420Size is the size of an I420 frame in GStreamer's default layout: rows padded to 4 bytes, chroma planes of
// half the (even-rounded) size.
func i420Size(width, height int) int {
	roundUp := func(n, to int) int { return (n + to - 1) / to * to }
	h := roundUp(height, 2)
	return roundUp(width, 4)*h + 2*roundUp(roundUp(width, 2)/2, 4)*(h/2)
}

// playingAppPipeline starts "appsrc caps ! elements ! appsink" and returns it PLAYING with its appsrc and an appsink
// of the given capacity; the caller closes it.
func playingAppPipeline(tb testing.TB, caps, elements string, capacity int) (*gst.Pipeline, *gst.AppSrc, *gst.AppSink) {
	tb.Helper()
	p, err := gst.NewPipeline("appsrc name=src format=time is-live=true block=true max-buffers=4 caps=" + caps +
		" ! " + elements + " ! appsink name=sink sync=false")
	if err != nil {
		tb.Fatal(err)
	}
	src, err := p.AppSrc("src")
	if err != nil {
		_ = p.Close()
		tb.Fatal(err)
	}
	sink, err := p.AppSink("sink", capacity)
	if err != nil {
		_ = p.Close()
		tb.Fatal(err)
	}
	if err := p.SetState(gst.StatePlaying); err != nil {
		_ = p.Close()
		tb.Fatal(err)
	}
	return p, src, sink
}
