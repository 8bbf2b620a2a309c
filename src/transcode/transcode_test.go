package transcode

import (
	"context"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/cmalloc"
	"github.com/heytribe/live-webrtcsignaling/cgo/gst"
	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp/codecs"
)

var smallTier = Tier{Width: 160, Height: 120, FrameRate: 30, Bitrate: 300_000}

// TestTranscodeRoundTrip takes a publisher's RTP stream (GStreamer's own encoder and payloader, a moving test
// pattern) through a decoder and a tier encoder, then rebuilds the encoder's packets with our assembler and
// decodes them again: every frame decodes, at the tier's size, close to the original picture scaled the same way.
func TestTranscodeRoundTrip(t *testing.T) {
	const n = 45
	tests := []struct {
		name     string
		in, out  Codec
		h264     H264Encoder
		minPSNR  float64
		wantSize [2]int
	}{
		{name: "VP8 to VP8", in: VP8, out: VP8},
		{name: "VP8 to H264 (x264)", in: VP8, out: H264, h264: X264},
		{name: "H264 to VP8", in: H264, out: VP8},
		{name: "VP9 to H264 (OpenH264)", in: VP9, out: H264, h264: OpenH264},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			in := makeInput(t, tt.in, n, 320, 240, smallTier.Width, smallTier.Height)
			tc := newTestTranscoder(t, Config{H264Encoder: tt.h264})
			d, _ := newTestDecoder(t, tc, tt.in)
			_, c := newTestEncoder(t, d, tt.out, smallTier)
			pkts := pushLockstep(ctx, t, d, c, in.packets)
			if !pkts[0].Keyframe {
				t.Error("the first packet does not start a keyframe")
			}
			for i, p := range pkts {
				if p.Keyframe && i > 0 && !pkts[i-1].Marker {
					t.Errorf("packet %d inside a frame is flagged as a keyframe start", i)
				}
			}
			decoded := decodeOutput(t, tt.out, pkts)
			if len(decoded) != n || frames(pkts) != n {
				t.Fatalf("%d frames decoded of %d sent (%d input frames), stats %+v", len(decoded), frames(pkts), n, tc.Stats())
			}
			worst := 100.0
			for _, f := range decoded {
				ref, ok := in.reference[f.sourceTS]
				if !ok {
					t.Fatalf("decoded frame with source timestamp %d, not an input frame's", f.sourceTS)
				}
				if f.width != smallTier.Width || f.height != smallTier.Height {
					t.Fatalf("decoded %dx%d, want the tier's %dx%d", f.width, f.height, smallTier.Width, smallTier.Height)
				}
				worst = min(worst, psnr(f.data, ref, f.width, f.height))
			}
			t.Logf("%d frames, worst luma PSNR against the scaled original %.1f dB", len(decoded), worst)
			if worst < 25 {
				t.Errorf("worst luma PSNR %.1f dB, want at least 25", worst)
			}
			s := tc.Stats()
			if s.Decoders != 1 || len(s.Encoders) != 1 || s.Encoders[0] != (EncoderCount{tt.out, "160x120", 1}) ||
				s.FramesEncoded != n || s.PacketsOut != uint64(len(pkts)) || s.DroppedFrames+s.QueueDrops != 0 ||
				s.Gaps+s.BrokenFrames+s.PipelineErrors+s.Panics != 0 {
				t.Errorf("stats %+v", s)
			}
			if s.DecodeTime[tt.in].Total() == 0 || s.EncodeTime[tt.out].Total() == 0 {
				t.Errorf("no decode or encode time measured: %+v", s)
			}
		})
	}
}

// encodeLockstep offers the encoder one frame at a time, waiting for each one's packets; before(i) runs ahead of
// frame i. It returns each frame's packets.
func encodeLockstep(ctx context.Context, t *testing.T, e *Encoder, c *collector, input []*rawFrame, before func(i int)) [][]Packet {
	t.Helper()
	var out [][]Packet
	seen := 0
	for i, f := range input {
		before(i)
		pushRaw(t, e, f)
		pkts := c.waitFor(ctx, t, "an encoded frame", func(p []Packet) bool {
			return len(p) > seen && p[len(p)-1].Marker && p[len(p)-1].SourceTimestamp == f.sourceTS
		})
		out = append(out, pkts[seen:])
		seen = len(pkts)
	}
	return out
}

func TestForceKeyframeOnNextFrame(t *testing.T) {
	const n, forced = 20, 10
	for _, tt := range []struct {
		name  string
		codec Codec
		h264  H264Encoder
	}{{"VP8", VP8, ""}, {"H264 x264", H264, X264}, {"H264 OpenH264", H264, OpenH264}} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			tc := newTestTranscoder(t, Config{H264Encoder: tt.h264, KeyframeInterval: time.Nanosecond})
			d, _ := newTestDecoder(t, tc, VP8)
			e, c := newTestEncoder(t, d, tt.codec, smallTier)
			input := make([]*rawFrame, n)
			for i := range input {
				input[i] = testFrame(i, 160, 120, 0, 1)
			}
			out := encodeLockstep(ctx, t, e, c, input, func(i int) {
				if i == forced {
					e.ForceKeyframe()
				}
			})
			for i, pkts := range out {
				want := i == 0 || i == forced
				if key := bitstreamKeyframe(t, tt.codec, pkts); pkts[0].Keyframe != want || key != want {
					t.Errorf("frame %d: keyframe flag %v, bitstream keyframe %v, want %v", i, pkts[0].Keyframe, key, want)
				}
			}
			if s := tc.Stats(); s.ForceRequests != 1 || s.ForcedKeyframes != 1 {
				t.Errorf("stats: %d requests, %d forced keyframes; want 1 and 1", s.ForceRequests, s.ForcedKeyframes)
			}
		})
	}
}

// bitstreamKeyframe reads from the payloads themselves whether a frame's packets carry a keyframe: a VP8 key
// frame header in the first, an IDR slice in any for H264.
func bitstreamKeyframe(t *testing.T, codec Codec, pkts []Packet) bool {
	t.Helper()
	for i, p := range pkts {
		var pkt rtp.Packet
		if err := pkt.Unmarshal(p.Data); err != nil {
			t.Fatal(err)
		}
		if codec == VP8 {
			return i == 0 && codecs.VP8StartsKeyframe(pkt.Payload)
		}
		var h codecs.H264Packet
		if err := h.Unmarshal(pkt.Payload); err != nil {
			t.Fatal(err)
		}
		if h.Carries(codecs.H264NALIDR) {
			return true
		}
	}
	return false
}

func TestForceKeyframeThrottled(t *testing.T) {
	ctx := testContext(t)
	tc := newTestTranscoder(t, Config{KeyframeInterval: time.Hour})
	d, _ := newTestDecoder(t, tc, VP8)
	e, c := newTestEncoder(t, d, VP8, smallTier)
	input := make([]*rawFrame, 10)
	for i := range input {
		input[i] = testFrame(i, 160, 120, 0, 1)
	}
	out := encodeLockstep(ctx, t, e, c, input, func(i int) {
		if i >= 2 && i <= 4 {
			e.ForceKeyframe() // within the hour after the encoder's first keyframe
		}
	})
	for i, pkts := range out {
		if pkts[0].Keyframe != (i == 0) {
			t.Errorf("frame %d: keyframe %v", i, pkts[0].Keyframe)
		}
	}
	if s := tc.Stats(); s.ForceRequests != 3 || s.ForcedKeyframes != 0 {
		t.Errorf("stats: %d requests, %d forced keyframes; want 3 and 0", s.ForceRequests, s.ForcedKeyframes)
	}
}

// TestSetBitrateChangesOutputRate encodes grainy frames at a low bitrate, then at a high one: the frames grow.
func TestSetBitrateChangesOutputRate(t *testing.T) {
	const n, switchAt, settle = 60, 30, 15
	for _, tt := range []struct {
		name  string
		codec Codec
		h264  H264Encoder
	}{{"VP8", VP8, ""}, {"H264 x264", H264, X264}, {"H264 OpenH264", H264, OpenH264}} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			tc := newTestTranscoder(t, Config{H264Encoder: tt.h264})
			d, _ := newTestDecoder(t, tc, VP8)
			tier := Tier{Width: 320, Height: 240, FrameRate: 30, Bitrate: 100_000}
			e, c := newTestEncoder(t, d, tt.codec, tier)
			input := make([]*rawFrame, n)
			for i := range input {
				input[i] = testFrame(i, 320, 240, 48, uint64(i+1))
			}
			out := encodeLockstep(ctx, t, e, c, input, func(i int) {
				if i == switchAt {
					if err := e.SetBitrate(1_000_000); err != nil {
						t.Fatal(err)
					}
				}
			})
			size := func(from, to int) int {
				total := 0
				for _, pkts := range out[from:to] {
					for _, p := range pkts {
						total += len(p.Data)
					}
				}
				return total
			}
			low, high := size(settle, switchAt), size(switchAt+settle, n)
			t.Logf("bytes per frame at 100 kbit/s: %d, at 1 Mbit/s: %d", low/(switchAt-settle), high/(n-switchAt-settle))
			if high < 2*low {
				t.Errorf("%d bytes at 1 Mbit/s against %d at 100 kbit/s: want at least twice as many", high, low)
			}
			if e.Bitrate() != 1_000_000 {
				t.Errorf("Bitrate() = %d", e.Bitrate())
			}
		})
	}
}

func TestSetBitrateRange(t *testing.T) {
	tc := newTestTranscoder(t, Config{})
	d, _ := newTestDecoder(t, tc, VP8)
	e, _ := newTestEncoder(t, d, VP8, smallTier)
	for _, bps := range []int{0, MinBitrate - 1, MaxBitrate + 1} {
		if err := e.SetBitrate(bps); err == nil {
			t.Errorf("SetBitrate(%d) accepted", bps)
		}
	}
}

// TestEncoderCyclesKeepMemoryFlat runs 200 lives of a decoder with an encoder (20 with -short): each starts both
// pipelines, encodes a frame, closes. Neither the C heap nor the Go heap grows after warm-up, and no goroutine is
// left behind.
func TestEncoderCyclesKeepMemoryFlat(t *testing.T) {
	cycles, warmup := 200, 20
	if testing.Short() {
		cycles, warmup = 20, 5
	}
	ctx := testContext(t)
	tc := newTestTranscoder(t, Config{})
	frame := testFrame(0, 160, 120, 0, 1)
	cycle := func(i int) {
		keys := &keyRequests{}
		d, err := tc.NewDecoder(DecoderConfig{Codec: VP8, RequestKeyframe: keys.request})
		if err != nil {
			t.Fatal(err)
		}
		codec := []Codec{VP8, H264}[i%2]
		c := newCollector()
		e, err := d.NewEncoder(EncoderConfig{Codec: codec, Tier: smallTier, Output: c.output})
		if err != nil {
			t.Fatal(err)
		}
		pushRaw(t, e, frame)
		c.waitFor(ctx, t, "an encoded frame", func(p []Packet) bool { return frames(p) > 0 })
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range warmup {
		cycle(i)
	}
	before, goroutines := measureMemory(), runtime.NumGoroutine()
	for i := range cycles - warmup {
		cycle(i)
	}
	after := measureMemory()
	const kib, mib = 1 << 10, 1 << 20
	t.Logf("%d cycles after %d: C heap %.0f -> %.0f KiB, Go heap %.0f -> %.0f KiB, goroutines %d -> %d",
		cycles-warmup, warmup, float64(before.cHeap)/kib, float64(after.cHeap)/kib, float64(before.goHeap)/kib,
		float64(after.goHeap)/kib, goroutines, runtime.NumGoroutine())
	// A leaked pipeline costs hundreds of KiB of C heap (encoder state, buffers); one cycle's garbage is far below.
	if after.cHeap > before.cHeap+mib {
		t.Errorf("C heap grew by %d KiB over %d cycles", (after.cHeap-before.cHeap)/kib, cycles-warmup)
	}
	if after.goHeap > before.goHeap+mib {
		t.Errorf("Go heap grew by %d KiB over %d cycles", (after.goHeap-before.goHeap)/kib, cycles-warmup)
	}
	if g := runtime.NumGoroutine(); g > goroutines {
		t.Errorf("goroutines %d -> %d", goroutines, g)
	}
	if s := tc.Stats(); s.Decoders != 0 || len(s.Encoders) != 0 || s.Panics != 0 {
		t.Errorf("stats after the cycles: %+v", s)
	}
}

type memoryUse struct{ cHeap, goHeap uint64 }

func measureMemory() memoryUse {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memoryUse{cHeap: uint64(cmalloc.InUse()), goHeap: ms.HeapAlloc}
}

// TestGarbageInput feeds a decoder random packets: it asks for keyframes and reports the damage, nothing
// crashes, and a clean stream that follows still gets through.
func TestGarbageInput(t *testing.T) {
	ctx := testContext(t)
	tc := newTestTranscoder(t, Config{KeyframeRequestInterval: time.Nanosecond})
	d, keys := newTestDecoder(t, tc, VP8)
	_, c := newTestEncoder(t, d, VP8, smallTier)
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := make([]rtp.Packet, 300)
	for i := range garbage {
		payload := make([]byte, 1+rng.IntN(1200))
		for k := range payload {
			payload[k] = byte(rng.Uint32())
		}
		garbage[i] = rtp.Packet{
			Header:  rtp.Header{SequenceNumber: uint16(rng.Uint32()), Timestamp: rng.Uint32(), Marker: rng.IntN(2) == 0},
			Payload: payload,
		}
	}
	pushAll(d, garbage)
	s := tc.Stats()
	if keys.count() < 2 || s.Gaps+s.BrokenFrames == 0 || s.Panics != 0 || frames(c.snapshot()) != 0 {
		t.Fatalf("%d keyframe requests, %d frames encoded, stats %+v", keys.count(), frames(c.snapshot()), s)
	}
	in := makeInput(t, VP8, 10, 320, 240, smallTier.Width, smallTier.Height)
	pushLockstep(ctx, t, d, c, in.packets)
}

// TestLossyInput feeds a decoder a stream with packets missing: it asks for keyframes, and no broken picture
// reaches the encoder: what the encoder sends decodes and matches the original pictures. The picture (bars
// moving across the whole frame) makes a frame decoded against a missing reference visibly wrong.
func TestLossyInput(t *testing.T) {
	ctx := testContext(t)
	tc := newTestTranscoder(t, Config{KeyframeRequestInterval: time.Nanosecond})
	d, keys := newTestDecoder(t, tc, VP8)
	_, c := newTestEncoder(t, d, VP8, smallTier)
	in := makeInput(t, VP8, 90, 320, 240, smallTier.Width, smallTier.Height)
	// A packet lost every 17, key frames included, up to the keyframe of frame 60; the last 30 frames whole, so
	// that the encoder's output of the last frame shows that every earlier frame went through.
	var lossy []rtp.Packet
	frame, last := 0, in.packets[len(in.packets)-1].Timestamp
	for i, p := range in.packets {
		if i > 0 && p.Timestamp != in.packets[i-1].Timestamp {
			frame++
		}
		if frame >= 60 || i%17 != 5 {
			lossy = append(lossy, p)
		}
	}
	pushAll(d, lossy)
	pkts := c.waitFor(ctx, t, "the last frame", func(p []Packet) bool {
		return len(p) > 0 && p[len(p)-1].Marker && p[len(p)-1].SourceTimestamp == last
	})
	s := tc.Stats()
	t.Logf("%d keyframe requests, %d gaps, %d frames encoded", keys.count(), s.Gaps, frames(pkts))
	if keys.count() < 2 || s.Gaps == 0 || s.Panics != 0 {
		t.Fatalf("%d keyframe requests, stats %+v", keys.count(), s)
	}
	for _, f := range decodeOutput(t, VP8, pkts) {
		ref, ok := in.reference[f.sourceTS]
		if !ok {
			t.Fatalf("a frame with source timestamp %d, not an input frame's, was encoded", f.sourceTS)
		}
		// Frames decoded against a missing reference measure 7-16 dB here, whole ones 36 dB and more.
		if q := psnr(f.data, ref, f.width, f.height); q < 25 {
			t.Errorf("frame with source timestamp %d: luma PSNR %.1f dB against the original", f.sourceTS, q)
		}
	}
}

func TestDecoderStopsAfterLinger(t *testing.T) {
	ctx := testContext(t)
	tc := newTestTranscoder(t, Config{DecoderLinger: 10 * time.Millisecond})
	d, _ := newTestDecoder(t, tc, H264)
	if d.Running() {
		t.Fatal("a decoder without encoders is running")
	}
	e, _ := newTestEncoder(t, d, VP8, smallTier)
	if !d.Running() || tc.Stats().Decoders != 1 {
		t.Fatal("the first encoder did not start the decoder")
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	for d.Running() || tc.Stats().Decoders != 0 {
		select {
		case <-ctx.Done():
			t.Fatal("the decoder still runs after its linger")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if _, err := d.NewEncoder(EncoderConfig{Codec: VP8, Tier: smallTier, Output: func(Packet) {}}); err != nil {
		t.Fatal(err)
	}
	if !d.Running() {
		t.Fatal("a new encoder did not restart the decoder")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if d.Running() || tc.Stats().Decoders != 0 || len(tc.Stats().Encoders) != 0 {
		t.Fatalf("after Close: running %v, stats %+v", d.Running(), tc.Stats())
	}
	if _, err := d.NewEncoder(EncoderConfig{Codec: VP8, Tier: smallTier, Output: func(Packet) {}}); err == nil {
		t.Fatal("a closed decoder accepted an encoder")
	}
}

// TestPictureSizeChange gives an encoder frames of another size midway: it restarts at the new size (not scaled
// up), its sequence numbers and picture ids continue, and everything it sent decodes.
func TestPictureSizeChange(t *testing.T) {
	ctx := testContext(t)
	tc := newTestTranscoder(t, Config{})
	d, _ := newTestDecoder(t, tc, VP8)
	e, c := newTestEncoder(t, d, VP8, smallTier)
	var input []*rawFrame
	for i := range 20 {
		if i < 10 {
			input = append(input, testFrame(i, 320, 240, 0, 1))
		} else {
			input = append(input, testFrame(i, 120, 88, 0, 1))
		}
	}
	out := encodeLockstep(ctx, t, e, c, input, func(int) {})
	var all []Packet
	for i, pkts := range out {
		if want := i == 0 || i == 10; pkts[0].Keyframe != want {
			t.Errorf("frame %d: keyframe %v, want %v", i, pkts[0].Keyframe, want)
		}
		all = append(all, pkts...)
	}
	for i := 1; i < len(all); i++ {
		if all[i].SequenceNumber != all[i-1].SequenceNumber+1 {
			t.Fatalf("sequence number %d after %d", all[i].SequenceNumber, all[i-1].SequenceNumber)
		}
	}
	decoded := decodeOutput(t, VP8, all)
	if len(decoded) != 20 || decoded[0].width != 160 || decoded[0].height != 120 || decoded[19].width != 120 ||
		decoded[19].height != 88 {
		t.Fatalf("%d frames decoded, first %dx%d, last %dx%d", len(decoded), decoded[0].width, decoded[0].height,
			decoded[len(decoded)-1].width, decoded[len(decoded)-1].height)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{H264Encoder: "x265"}, {VP8Speed: 17}, {VP8Speed: -1}, {PayloadBudget: 50},
		{DecoderLinger: -time.Second},
	} {
		if _, err := NewWith(cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
	tc := newTestTranscoder(t, Config{})
	if _, err := tc.NewDecoder(DecoderConfig{Codec: "AV1", RequestKeyframe: func() {}}); err == nil {
		t.Error("an AV1 decoder was made")
	}
	if _, err := tc.NewDecoder(DecoderConfig{Codec: VP8}); err == nil {
		t.Error("a decoder without RequestKeyframe was made")
	}
	d, _ := newTestDecoder(t, tc, VP8)
	for _, cfg := range []EncoderConfig{
		{Codec: VP9, Tier: smallTier, Output: func(Packet) {}},
		{Codec: VP8, Tier: Tier{Width: 161, Height: 120, FrameRate: 30, Bitrate: 300_000}, Output: func(Packet) {}},
		{Codec: VP8, Tier: smallTier},
		{Codec: VP8, Tier: smallTier, PayloadType: 128, Output: func(Packet) {}},
	} {
		if _, err := d.NewEncoder(cfg); err == nil {
			t.Errorf("encoder config %+v accepted", cfg)
		}
	}
	if s := tc.Stats(); len(s.Encoders) != 0 || s.Decoders != 0 {
		t.Errorf("refused encoders left traces: %+v", s)
	}
}

// TestDecoderFallingBehindDropsFrames stops a decoder's pipeline from consuming: Push keeps returning at once,
// drops the frames it cannot queue, counts them, and waits for a keyframe.
func TestDecoderFallingBehindDropsFrames(t *testing.T) {
	tc := newTestTranscoder(t, Config{KeyframeRequestInterval: time.Nanosecond})
	d, keys := newTestDecoder(t, tc, VP8)
	newTestEncoder(t, d, VP8, smallTier)
	if err := d.pipe.Load().p.SetState(gst.StatePaused); err != nil {
		t.Fatal(err)
	}
	// 60 key frames of 64 KiB, far more than the decoder may hold; sequence numbers jump between frames (a loss
	// each time), and every frame is a keyframe, so each one that is not dropped reaches the decoder.
	key := unhexTest(t, "9015009d012ab0009000")
	for i := range 60 {
		frame := append(append([]byte(nil), key...), make([]byte, 64<<10)...)
		payloads, err := codecs.NewVP8Payloader().Payload(frame)
		if err != nil {
			t.Fatal(err)
		}
		for k, payload := range payloads {
			pkt := rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(i*100 + k), Timestamp: uint32(i * 3000),
				Marker: k == len(payloads)-1}, Payload: payload}
			d.Push(&pkt)
		}
	}
	s := tc.Stats()
	t.Logf("%d frames dropped for a full queue, %d keyframe requests", s.QueueDrops, keys.count())
	if s.QueueDrops == 0 || keys.count() == 0 || s.Panics != 0 {
		t.Fatalf("stats %+v, %d keyframe requests", s, keys.count())
	}
}

// TestTierFrameRate sends a 30 fps publisher to a 15 fps tier: half the frames are encoded, each one decodes.
func TestTierFrameRate(t *testing.T) {
	ctx := testContext(t)
	tc := newTestTranscoder(t, Config{})
	d, _ := newTestDecoder(t, tc, VP8)
	tier := Tier{Width: 160, Height: 120, FrameRate: 15, Bitrate: 150_000}
	_, c := newTestEncoder(t, d, VP8, tier)
	in := makeInput(t, VP8, 60, 320, 240, tier.Width, tier.Height)
	for start := 0; start < len(in.packets); {
		end := start
		for end < len(in.packets) && in.packets[end].Timestamp == in.packets[start].Timestamp {
			end++
		}
		before, err := d.pipe.Load().fanout.Stats()
		if err != nil {
			t.Fatal(err)
		}
		pushAll(d, in.packets[start:end])
		ts := in.packets[start].Timestamp
		// Each frame is either thinned out by the fan-out or encoded: wait for one or the other.
		for {
			st, err := d.pipe.Load().fanout.Stats()
			if err != nil {
				t.Fatal(err)
			}
			pkts := c.snapshot()
			if st.Thinned > before.Thinned || len(pkts) > 0 && pkts[len(pkts)-1].Marker && pkts[len(pkts)-1].SourceTimestamp == ts {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("frame %d neither thinned nor encoded", ts)
			case <-c.changed:
			case <-time.After(time.Millisecond):
			}
		}
		start = end
	}
	pkts := c.snapshot()
	if n := frames(pkts); n < 29 || n > 31 {
		t.Fatalf("%d frames encoded of 60 at 30 fps for a 15 fps tier", n)
	}
	if decoded := decodeOutput(t, VP8, pkts); len(decoded) != frames(pkts) {
		t.Fatalf("%d frames decoded of %d", len(decoded), frames(pkts))
	}
}
