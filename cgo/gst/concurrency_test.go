package gst

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// TestConcurrentUseThenClose drives one encoder pipeline from several
// goroutines at once, as the transcoder will, and closes it under their feet:
// every call must either work or report ErrClosed/ErrFlushing, and the race
// detector must stay quiet.
func TestConcurrentUseThenClose(t *testing.T) {
	p, err := NewPipeline(encoderDescription(videoCodecs[0].encoder, ""))
	if err != nil {
		t.Fatal(err)
	}
	src := mustAppSrc(t, p, "src")
	sink := mustAppSink(t, p, "sink", 2)
	enc := mustElement(t, p, "enc")
	mustPlay(t, p)

	stopped := func(err error) bool { return errors.Is(err, ErrClosed) || errors.Is(err, ErrFlushing) }
	received := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { // producer
		defer wg.Done()
		frame := smoothFrame(0)
		for i := 0; ; i++ {
			if err := src.Push(frame, time.Duration(i)*frameTime, frameTime); err != nil {
				if !stopped(err) {
					t.Errorf("Push: %v", err)
				}
				return
			}
		}
	}()
	go func() { // controller: bitrate changes and keyframe requests
		defer wg.Done()
		for i := 0; ; i++ {
			err := enc.SetInt("target-bitrate", int64(100_000+i%10*50_000))
			if err == nil {
				err = enc.ForceKeyUnit()
			}
			if err != nil {
				if !stopped(err) {
					t.Errorf("control: %v", err)
				}
				return
			}
		}
	}()
	go func() { // consumer, until Close closes the channel
		defer wg.Done()
		n := 0
		for range sink.Samples() {
			if n++; n == 10 {
				close(received)
			}
		}
	}()
	ctx := testContext(t)
	select {
	case <-received:
	case <-ctx.Done():
		t.Fatal("no samples while driven concurrently")
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-ctx.Done():
		t.Fatal("goroutines still running after Close")
	}
}
