package gst

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

const (
	testWidth  = 160
	testHeight = 120
	frameTime  = time.Second / 30
	// testTimeout bounds a wait for a hang, not for a speed: a busy machine running -race may be slow.
	testTimeout = time.Minute
)

// rawCaps describes the I420 test frames.
const rawCaps = "video/x-raw,format=I420,width=160,height=120,framerate=30/1"

// newTestPipeline builds a pipeline that the test closes, checking that Close
// succeeds.
func newTestPipeline(t *testing.T, description string) *Pipeline {
	t.Helper()
	p, err := NewPipeline(description)
	if err != nil {
		t.Fatalf("NewPipeline(%q): %v", description, err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

func mustAppSrc(t *testing.T, p *Pipeline, name string) *AppSrc {
	t.Helper()
	src, err := p.AppSrc(name)
	if err != nil {
		t.Fatalf("AppSrc(%q): %v", name, err)
	}
	return src
}

func mustAppSink(t *testing.T, p *Pipeline, name string, capacity int) *AppSink {
	t.Helper()
	sink, err := p.AppSink(name, capacity)
	if err != nil {
		t.Fatalf("AppSink(%q): %v", name, err)
	}
	return sink
}

func mustElement(t *testing.T, p *Pipeline, name string) *Element {
	t.Helper()
	e, err := p.Element(name)
	if err != nil {
		t.Fatalf("Element(%q): %v", name, err)
	}
	return e
}

func mustPlay(t *testing.T, p *Pipeline) {
	t.Helper()
	if err := p.SetState(StatePlaying); err != nil {
		t.Fatalf("SetState(PLAYING): %v", err)
	}
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// nextSample waits for one sample; a bus ERROR fails the test, warnings are
// logged.
func nextSample(ctx context.Context, t *testing.T, p *Pipeline, sink *AppSink) Sample {
	t.Helper()
	for {
		select {
		case s, ok := <-sink.Samples():
			if !ok {
				t.Fatal("samples channel closed")
			}
			return s
		case err := <-p.Errors():
			var busErr *BusError
			if errors.As(err, &busErr) && busErr.Severity == SeverityWarning {
				t.Logf("bus warning: %v", err)
				continue
			}
			t.Fatalf("bus: %v", err)
		case <-ctx.Done():
			t.Fatal("timed out waiting for a sample")
		}
	}
}

// drainAfterEOS sends EOS, waits for it and returns every queued sample.
func drainAfterEOS(ctx context.Context, t *testing.T, p *Pipeline, src *AppSrc, sink *AppSink) []Sample {
	t.Helper()
	if err := src.EndOfStream(); err != nil {
		t.Fatalf("EndOfStream: %v", err)
	}
	if err := p.WaitEOS(ctx); err != nil {
		t.Fatalf("WaitEOS: %v", err)
	}
	var samples []Sample
	for {
		select {
		case s := <-sink.Samples():
			samples = append(samples, s)
		default:
			return samples
		}
	}
}

// smoothFrame is an I420 frame with a diagonal gradient that moves with i:
// easy content, so a decoded frame should be close to it.
func smoothFrame(i int) []byte {
	frame := make([]byte, testWidth*testHeight*3/2)
	for y := 0; y < testHeight; y++ {
		for x := 0; x < testWidth; x++ {
			frame[y*testWidth+x] = byte(16 + (x+y+2*i)%200)
		}
	}
	for k := testWidth * testHeight; k < len(frame); k++ {
		frame[k] = 128
	}
	return frame
}

// texturedFrame is the moving gradient plus random grain: content whose size
// depends on how many bits an encoder is allowed.
func texturedFrame(i int, rng *rand.Rand) []byte {
	frame := smoothFrame(i)
	for k := 0; k < testWidth*testHeight; k++ {
		frame[k] += byte(rng.IntN(24))
	}
	return frame
}

// lumaDistance is the mean absolute difference of the Y planes.
func lumaDistance(a, b []byte) float64 {
	n := testWidth * testHeight
	if len(a) < n || len(b) < n {
		return 255
	}
	sum := 0
	for k := 0; k < n; k++ {
		d := int(a[k]) - int(b[k])
		if d < 0 {
			d = -d
		}
		sum += d
	}
	return float64(sum) / float64(n)
}

// bitstreamKeyframe reads the keyframe bit from the encoded data itself, so
// that tests do not rely on GStreamer's flag alone.
func bitstreamKeyframe(codec string, data []byte) bool {
	switch codec {
	case "vp8":
		// RFC 6386 9.1: bit 0 of the frame tag is 0 for a key frame.
		return len(data) > 0 && data[0]&1 == 0
	default:
		// H.264 Annex B: an access unit holding an IDR slice (NAL type 5).
		for k := 0; k+3 < len(data); k++ {
			if data[k] == 0 && data[k+1] == 0 && data[k+2] == 1 && data[k+3]&0x1f == 5 {
				return true
			}
		}
		return false
	}
}
