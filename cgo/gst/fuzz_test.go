package gst

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzAppSrcSetCaps feeds arbitrary caps strings through the C boundary:
// GStreamer's caps parser must answer with an error or accept, never crash.
func FuzzAppSrcSetCaps(f *testing.F) {
	for _, seed := range []string{
		rawCaps,
		"video/x-raw,format=I420,width=(int)-1,height=0",
		"application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96",
		"audio/x-opus,rate=48000,channels=1,streamheader=(buffer)< 4f707573486561640101 >",
		"video/x-raw(memory:GLMemory),format={ I420, NV12 },framerate=[ 0/1, 60/1 ]",
		"audio/x-opus,streamheader=(buffer)< 4f70zz >", // GStreamer 1.22 use-after-free, refused before C
		"video/x-raw,format={ I420, 0312 }",            // GStreamer 1.22 crash comparing mixed lists
		"ANY", "EMPTY", "NONE", "((((", "a,b=(int", "video/x-raw;audio/x-raw", "x\x00y", "",
	} {
		f.Add(seed)
	}
	p, err := NewPipeline("appsrc name=src format=time leaky-type=downstream ! fakesink")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { p.Close() })
	src, err := p.AppSrc("src")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, caps string) {
		err := src.SetCaps(caps)
		if strings.IndexByte(caps, 0) >= 0 && err == nil {
			t.Fatalf("caps with a NUL byte accepted: %q", caps)
		}
		if err == nil {
			if err := src.SetCaps(caps); err != nil {
				t.Fatalf("caps %q accepted once, refused the second time: %v", caps, err)
			}
		}
	})
}

// FuzzElementProperties sets arbitrary property names and values of every
// kind: each call must succeed or return an error.
func FuzzElementProperties(f *testing.F) {
	f.Add("target-bitrate", "cbr", int64(300_000))
	f.Add("end-usage", "cq", int64(-1))
	f.Add("speed-preset", "ultrafast", int64(1<<40))
	f.Add("bitrate", "", int64(-9))
	f.Add("option-string", "scenecut=0", int64(0))
	f.Add("byte-stream", "true", int64(1))
	f.Add("tune", "zerolatency", int64(4))
	f.Add("parent", "x", int64(0))
	f.Add("", "\x00", int64(0))
	p, err := NewPipeline("vp8enc name=vp8 x264enc name=x264")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { p.Close() })
	var elements []*Element
	for _, name := range []string{"vp8", "x264"} {
		e, err := p.Element(name)
		if err != nil {
			f.Fatal(err)
		}
		elements = append(elements, e)
	}
	f.Fuzz(func(t *testing.T, property, value string, n int64) {
		if property == "name" {
			t.Skip("renaming elements is legal and would only confuse later lookups")
		}
		for _, e := range elements {
			errs := []error{
				e.SetInt(property, n),
				e.SetUint(property, uint64(n)),
				e.SetBool(property, n&1 == 1),
				e.SetEnum(property, value),
				e.SetString(property, value),
			}
			if strings.IndexByte(property, 0) >= 0 {
				for _, err := range errs {
					if err == nil {
						t.Fatalf("property name with a NUL byte accepted: %q", property)
					}
				}
			}
			for _, get := range []func(string) error{
				func(s string) error { _, err := e.PropertyInt(s); return err },
				func(s string) error { _, err := e.PropertyUint(s); return err },
				func(s string) error { _, err := e.PropertyBool(s); return err },
				func(s string) error { _, err := e.PropertyEnum(s); return err },
				func(s string) error { _, err := e.PropertyString(s); return err },
			} {
				_ = get(property) // any answer will do, as long as it is one
			}
		}
	})
}

// FuzzDecoderInput pushes arbitrary network data into the decoder chains the
// transcoder builds (VP8 over RTP, H.264 byte stream): the pipeline must end
// with EOS or a bus error, never hang or crash.
func FuzzDecoderInput(f *testing.F) {
	decoders := []string{
		"appsrc name=src format=time is-live=true block=true max-buffers=4" +
			" caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96" +
			" ! rtpvp8depay ! vp8dec ! fakesink sync=false",
		"appsrc name=src format=time is-live=true block=true max-buffers=4" +
			" caps=video/x-h264,stream-format=byte-stream,alignment=au ! h264parse ! avdec_h264 ! fakesink sync=false",
	}
	// Seeds: the first real packet of each chain, and a few broken ones.
	f.Add(uint8(0), []byte{0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x10, 0x9d, 0x01, 0x2a})
	f.Add(uint8(1), []byte{0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, 0, 0, 0, 1, 0x65, 0x88, 0x84})
	f.Add(uint8(0), []byte{0x80})
	f.Add(uint8(1), []byte{0, 0, 1})
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		if len(data) == 0 {
			t.Skip("Push refuses empty buffers")
		}
		p, err := NewPipeline(decoders[int(which)%len(decoders)])
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		src, err := p.AppSrc("src")
		if err != nil {
			t.Fatal(err)
		}
		if err := p.SetState(StatePlaying); err != nil {
			t.Fatal(err)
		}
		if err := src.Push(data, 0, NoTime); err != nil {
			t.Fatalf("push: %v", err)
		}
		if err := src.EndOfStream(); err != nil && !errors.Is(err, ErrFlushing) {
			t.Fatalf("EOS: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = p.WaitEOS(ctx)
		var busErr *BusError
		if err != nil && !errors.As(err, &busErr) {
			t.Fatalf("pipeline neither ended nor failed: %v", err)
		}
	})
}
