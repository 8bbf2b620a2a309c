package gst

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// videoCodec describes how a test encodes and decodes one video codec.
type videoCodec struct {
	name      string
	bitstream string // "vp8" or "h264", for bitstreamKeyframe
	encoder   string // the encoder is named enc
	decoder   string
	bitrate   string // the run-time bitrate property of enc
	low, high int64  // in the property's unit
}

var videoCodecs = []videoCodec{
	{
		name:      "vp8",
		bitstream: "vp8",
		encoder:   "vp8enc name=enc deadline=1 cpu-used=16 lag-in-frames=0 keyframe-max-dist=100000 end-usage=cbr",
		decoder:   "vp8dec",
		bitrate:   "target-bitrate", // bit/s
		low:       100_000,
		high:      1_000_000,
	},
	{
		name:      "h264-x264",
		bitstream: "h264",
		encoder: "x264enc name=enc tune=zerolatency speed-preset=ultrafast key-int-max=100000 option-string=scenecut=0" +
			" ! video/x-h264,profile=constrained-baseline,stream-format=byte-stream,alignment=au",
		decoder: "h264parse ! avdec_h264 max-threads=1",
		bitrate: "bitrate", // kbit/s
		low:     100,
		high:    1_000,
	},
	{
		name:      "h264-openh264",
		bitstream: "h264",
		encoder: "openh264enc name=enc complexity=low rate-control=bitrate gop-size=100000" +
			" ! video/x-h264,stream-format=byte-stream,alignment=au",
		decoder: "h264parse ! openh264dec",
		bitrate: "bitrate", // bit/s
		low:     100_000,
		high:    1_000_000,
	},
}

// encoderDescription feeds raw frames to the encoder and its output (through
// tail, when not empty) to an appsink.
func encoderDescription(encoder, tail string) string {
	d := "appsrc name=src format=time is-live=true block=true max-buffers=4 caps=" + rawCaps + " ! " + encoder
	if tail != "" {
		d += " ! " + tail
	}
	return d + " ! appsink name=sink sync=false"
}

func decoderDescription(head string) string {
	return "appsrc name=src format=time is-live=true block=true max-buffers=4 ! " + head +
		" ! videoconvert ! video/x-raw,format=I420 ! appsink name=sink sync=false"
}

// encodeLockstep pushes frames one at a time and waits for each encoded frame,
// calling before(i) ahead of push i: the encoders are configured for one
// output per input with no delay.
func encodeLockstep(ctx context.Context, t *testing.T, p *Pipeline, frames [][]byte, before func(i int)) []Sample {
	t.Helper()
	src := mustAppSrc(t, p, "src")
	sink := mustAppSink(t, p, "sink", 4)
	mustPlay(t, p)
	out := make([]Sample, 0, len(frames))
	for i, frame := range frames {
		before(i)
		if err := src.Push(frame, time.Duration(i)*frameTime, frameTime); err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
		out = append(out, nextSample(ctx, t, p, sink))
	}
	return out
}

func TestVideoRoundTrip(t *testing.T) {
	const frames = 30
	type roundTrip struct {
		name, encodeTail, decodeHead, decodeCaps string
		codec                                    videoCodec
	}
	var cases []roundTrip
	for _, c := range videoCodecs {
		cases = append(cases, roundTrip{name: c.name, decodeHead: c.decoder, codec: c})
	}
	cases = append(cases, roundTrip{
		name:       "vp8-rtp",
		encodeTail: "rtpvp8pay pt=96 mtu=1200",
		decodeHead: "rtpvp8depay ! vp8dec",
		decodeCaps: "application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96",
		codec:      videoCodecs[0],
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			originals := make(map[time.Duration][]byte)

			enc := newTestPipeline(t, encoderDescription(tc.codec.encoder, tc.encodeTail))
			src := mustAppSrc(t, enc, "src")
			sink := mustAppSink(t, enc, "sink", 256)
			mustPlay(t, enc)
			for i := 0; i < frames; i++ {
				pts := time.Duration(i) * frameTime
				originals[pts] = smoothFrame(i)
				if err := src.Push(originals[pts], pts, frameTime); err != nil {
					t.Fatalf("push %d: %v", i, err)
				}
			}
			encoded := drainAfterEOS(ctx, t, enc, src, sink)
			if len(encoded) < frames {
				t.Fatalf("encoder produced %d buffers for %d frames", len(encoded), frames)
			}

			dec := newTestPipeline(t, decoderDescription(tc.decodeHead))
			dsrc := mustAppSrc(t, dec, "src")
			dsink := mustAppSink(t, dec, "sink", 256)
			caps := tc.decodeCaps
			if caps == "" {
				caps = encoded[0].Caps
			}
			if err := dsrc.SetCaps(caps); err != nil {
				t.Fatalf("SetCaps(%q): %v", caps, err)
			}
			mustPlay(t, dec)
			for i, s := range encoded {
				if err := dsrc.Push(s.Data, s.PTS, s.Duration); err != nil {
					t.Fatalf("push encoded %d: %v", i, err)
				}
			}
			decoded := drainAfterEOS(ctx, t, dec, dsrc, dsink)
			if len(decoded) != frames {
				t.Fatalf("decoded %d frames, want %d", len(decoded), frames)
			}
			for _, s := range decoded {
				original, ok := originals[s.PTS]
				if !ok {
					t.Fatalf("decoded frame with unknown PTS %v", s.PTS)
				}
				if d := lumaDistance(original, s.Data); d > 6 {
					t.Errorf("frame at %v: luma differs by %.1f on average", s.PTS, d)
				}
				if !strings.Contains(s.Caps, "width=(int)160") || !strings.Contains(s.Caps, "height=(int)120") {
					t.Errorf("decoded caps %q, want 160x120", s.Caps)
				}
			}
		})
	}
}

func TestForceKeyUnitYieldsKeyframeOnNextFrame(t *testing.T) {
	const frames, forced = 20, 10
	for _, c := range videoCodecs {
		t.Run(c.name, func(t *testing.T) {
			ctx := testContext(t)
			p := newTestPipeline(t, encoderDescription(c.encoder, ""))
			enc := mustElement(t, p, "enc")
			input := make([][]byte, frames)
			for i := range input {
				input[i] = smoothFrame(i)
			}
			out := encodeLockstep(ctx, t, p, input, func(i int) {
				if i == forced {
					if err := enc.ForceKeyUnit(); err != nil {
						t.Fatalf("ForceKeyUnit: %v", err)
					}
				}
			})
			for i, s := range out {
				want := i == 0 || i == forced
				if s.Keyframe != want || bitstreamKeyframe(c.bitstream, s.Data) != want {
					t.Errorf("frame %d: keyframe flag %v, bitstream keyframe %v, want %v",
						i, s.Keyframe, bitstreamKeyframe(c.bitstream, s.Data), want)
				}
			}
		})
	}
}

func TestBitrateChangeChangesOutputRate(t *testing.T) {
	const frames, switchAt, settle = 60, 30, 15
	for _, c := range videoCodecs {
		t.Run(c.name, func(t *testing.T) {
			ctx := testContext(t)
			p := newTestPipeline(t, encoderDescription(c.encoder, ""))
			enc := mustElement(t, p, "enc")
			if err := enc.SetInt(c.bitrate, c.low); err != nil {
				t.Fatalf("SetInt(%s, %d): %v", c.bitrate, c.low, err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			input := make([][]byte, frames)
			for i := range input {
				input[i] = texturedFrame(i, rng)
			}
			out := encodeLockstep(ctx, t, p, input, func(i int) {
				if i == switchAt {
					if err := enc.SetInt(c.bitrate, c.high); err != nil {
						t.Fatalf("SetInt(%s, %d) while playing: %v", c.bitrate, c.high, err)
					}
				}
			})
			if got, err := enc.PropertyInt(c.bitrate); err != nil || got != c.high {
				t.Fatalf("PropertyInt(%s) = %d, %v; want %d", c.bitrate, got, err, c.high)
			}
			// Compare the settled halves of each segment.
			lowBytes, highBytes := 0, 0
			for i := settle; i < switchAt; i++ {
				lowBytes += len(out[i].Data)
			}
			for i := switchAt + settle; i < frames; i++ {
				highBytes += len(out[i].Data)
			}
			seconds := float64(switchAt-settle) * frameTime.Seconds()
			t.Logf("%s: %.0f kbit/s at %d, %.0f kbit/s at %d", c.name,
				float64(lowBytes)*8/seconds/1000, c.low, float64(highBytes)*8/seconds/1000, c.high)
			if highBytes < 2*lowBytes {
				t.Errorf("raising %s from %d to %d moved the output from %d to %d bytes; want at least twice",
					c.bitrate, c.low, c.high, lowBytes, highBytes)
			}
		})
	}
}

func TestOpusRoundTrip(t *testing.T) {
	const (
		rate      = 48000
		frameSize = rate / 50 // 20 ms
		frames    = 50
		freq      = 440.0
		amplitude = 16000.0
	)
	ctx := testContext(t)
	enc := newTestPipeline(t, "appsrc name=src format=time is-live=true block=true max-buffers=4"+
		" caps=audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved"+
		" ! opusenc name=enc bitrate=64000 ! appsink name=sink sync=false")
	src := mustAppSrc(t, enc, "src")
	sink := mustAppSink(t, enc, "sink", 256)
	mustPlay(t, enc)
	for f := 0; f < frames; f++ {
		pcm := make([]byte, 2*frameSize)
		for k := 0; k < frameSize; k++ {
			n := f*frameSize + k
			v := int16(amplitude * math.Sin(2*math.Pi*freq*float64(n)/rate))
			pcm[2*k], pcm[2*k+1] = byte(v), byte(uint16(v)>>8)
		}
		if err := src.Push(pcm, time.Duration(f)*20*time.Millisecond, 20*time.Millisecond); err != nil {
			t.Fatalf("push %d: %v", f, err)
		}
	}
	encoded := drainAfterEOS(ctx, t, enc, src, sink)
	if len(encoded) < frames {
		t.Fatalf("opusenc produced %d packets for %d frames", len(encoded), frames)
	}

	dec := newTestPipeline(t, "appsrc name=src format=time is-live=true block=true max-buffers=4"+
		" ! opusdec ! audioconvert ! audio/x-raw,format=S16LE,channels=1 ! appsink name=sink sync=false")
	dsrc := mustAppSrc(t, dec, "src")
	dsink := mustAppSink(t, dec, "sink", 256)
	if err := dsrc.SetCaps(encoded[0].Caps); err != nil {
		t.Fatalf("SetCaps(%q): %v", encoded[0].Caps, err)
	}
	mustPlay(t, dec)
	for i, s := range encoded {
		if err := dsrc.Push(s.Data, s.PTS, s.Duration); err != nil {
			t.Fatalf("push packet %d: %v", i, err)
		}
	}
	var pcm []int16
	for _, s := range drainAfterEOS(ctx, t, dec, dsrc, dsink) {
		for k := 0; k+1 < len(s.Data); k += 2 {
			pcm = append(pcm, int16(uint16(s.Data[k])|uint16(s.Data[k+1])<<8))
		}
	}
	if want := frames * frameSize; len(pcm) < want*9/10 || len(pcm) > want*11/10 {
		t.Fatalf("decoded %d samples, want about %d", len(pcm), want)
	}
	// Skip the codec's start-up; measure pitch and level on the rest.
	body := pcm[len(pcm)/5 : len(pcm)*4/5]
	crossings, energy := 0, 0.0
	for k := 1; k < len(body); k++ {
		if (body[k-1] < 0) != (body[k] < 0) {
			crossings++
		}
		energy += float64(body[k]) * float64(body[k])
	}
	pitch := float64(crossings) / 2 / (float64(len(body)) / rate)
	level := math.Sqrt(energy / float64(len(body)))
	if math.Abs(pitch-freq) > 10 {
		t.Errorf("decoded pitch %.1f Hz, want %.0f Hz", pitch, freq)
	}
	if wantLevel := amplitude / math.Sqrt2; math.Abs(level-wantLevel) > wantLevel/4 {
		t.Errorf("decoded RMS level %.0f, want about %.0f", level, wantLevel)
	}
}
