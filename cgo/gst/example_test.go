package gst_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/gst"
)

// An encoder tier as the transcoder builds it: raw frames in, scaled and
// encoded to VP8, packetised to RTP, out on a channel.
func Example() {
	p, err := gst.NewPipeline("appsrc name=src format=time is-live=true block=true max-buffers=4" +
		" caps=video/x-raw,format=I420,width=160,height=120,framerate=30/1" +
		" ! videoscale ! video/x-raw,width=80,height=60" +
		" ! vp8enc name=enc deadline=1 cpu-used=16 lag-in-frames=0" +
		" ! rtpvp8pay pt=96 mtu=1200 ! appsink name=sink sync=false")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	src, err := p.AppSrc("src")
	if err != nil {
		fmt.Println(err)
		return
	}
	sink, err := p.AppSink("sink", 64)
	if err != nil {
		fmt.Println(err)
		return
	}
	enc, err := p.Element("enc")
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := enc.SetInt("target-bitrate", 150_000); err != nil {
		fmt.Println(err)
		return
	}
	if err := p.SetState(gst.StatePlaying); err != nil {
		fmt.Println(err)
		return
	}
	frame := make([]byte, 160*120*3/2)
	for i := 0; i < 3; i++ {
		if err := src.Push(frame, time.Duration(i)*time.Second/30, time.Second/30); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := src.EndOfStream(); err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.WaitEOS(ctx); err != nil {
		fmt.Println(err)
		return
	}
	packet := <-sink.Samples()
	fmt.Println(strings.HasPrefix(packet.Caps, "application/x-rtp"), packet.Data[0]>>6, packet.Data[1]&0x7f)
	// Output: true 2 96
}
