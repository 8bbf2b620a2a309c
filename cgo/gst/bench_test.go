package gst

import (
	"testing"
	"time"
)

// benchmarkRoundTrip measures one buffer from Push to the Samples channel
// through appsrc ! appsink: the cgo calls, the copy in, the callback and the
// copy out.
func benchmarkRoundTrip(b *testing.B, size int) {
	p, err := NewPipeline("appsrc name=src format=time is-live=true block=true max-buffers=4 ! appsink name=sink sync=false")
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	src, err := p.AppSrc("src")
	if err != nil {
		b.Fatal(err)
	}
	sink, err := p.AppSink("sink", 4)
	if err != nil {
		b.Fatal(err)
	}
	if err := p.SetState(StatePlaying); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := src.Push(data, time.Duration(i), NoTime); err != nil {
			b.Fatal(err)
		}
		<-sink.Samples()
	}
}

func BenchmarkRoundTripRTPPacket(b *testing.B) { benchmarkRoundTrip(b, 1200) }

func BenchmarkRoundTripRawFrame640x480(b *testing.B) { benchmarkRoundTrip(b, 640*480*3/2) }

func BenchmarkSetInt(b *testing.B) {
	p, err := NewPipeline("vp8enc name=enc")
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	enc, err := p.Element("enc")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := enc.SetInt("target-bitrate", int64(100_000+i%1000)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPushRTPPacket measures the throughput of Push alone, into a
// pipeline that discards the data (the streaming thread keeps up or Push
// waits for room in the bounded queue).
func BenchmarkPushRTPPacket(b *testing.B) {
	p, err := NewPipeline("appsrc name=src format=time is-live=true block=true max-buffers=64 ! fakesink sync=false")
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	src, err := p.AppSrc("src")
	if err != nil {
		b.Fatal(err)
	}
	if err := p.SetState(StatePlaying); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 1200)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := src.Push(data, time.Duration(i), NoTime); err != nil {
			b.Fatal(err)
		}
	}
}
