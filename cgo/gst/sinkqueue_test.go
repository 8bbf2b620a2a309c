package gst

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// nextQueued waits for the next sample of q.
func nextQueued(ctx context.Context, t *testing.T, q *SampleQueue) Sample {
	t.Helper()
	waited := make(chan error, 1)
	for {
		s, ok, err := q.Pop()
		if err != nil {
			t.Fatalf("Pop: %v", err)
		}
		if ok {
			return s
		}
		go func() { waited <- q.Wait() }()
		select {
		case err := <-waited:
			if err != nil {
				t.Fatalf("Wait: %v", err)
			}
		case <-ctx.Done():
			t.Fatal("timed out waiting for a sample")
		}
	}
}

func TestSampleQueueDelivers(t *testing.T) {
	ctx := testContext(t)
	p := newTestPipeline(t, "appsrc name=src format=time is-live=true block=true max-buffers=4 caps="+rawCaps+
		" ! appsink name=sink sync=false")
	src := mustAppSrc(t, p, "src")
	q, err := p.AppSinkQueue("sink", 4)
	if err != nil {
		t.Fatal(err)
	}
	mustPlay(t, p)
	for i := range 5 {
		pts := time.Duration(i) * frameTime
		if err := src.Push(smoothFrame(i), pts, frameTime); err != nil {
			t.Fatal(err)
		}
		s := nextQueued(ctx, t, q)
		if s.PTS != pts || s.Duration != frameTime || !bytes.Equal(s.Data, smoothFrame(i)) ||
			!strings.Contains(s.Caps, "width=(int)160") {
			t.Fatalf("frame %d: PTS %v, duration %v, %d bytes, caps %q", i, s.PTS, s.Duration, len(s.Data), s.Caps)
		}
	}
	if q.Dropped() != 0 {
		t.Errorf("Dropped = %d", q.Dropped())
	}
}

func TestSampleQueueDropsOldestWhenFull(t *testing.T) {
	const pushed, capacity = 10, 3
	ctx := testContext(t)
	p := newTestPipeline(t, "appsrc name=src format=time is-live=true block=true max-buffers=4 ! appsink name=sink sync=false")
	src := mustAppSrc(t, p, "src")
	q, err := p.AppSinkQueue("sink", capacity)
	if err != nil {
		t.Fatal(err)
	}
	mustPlay(t, p)
	for i := range pushed {
		if err := src.Push([]byte{byte(i)}, time.Duration(i)*time.Millisecond, time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	// The samples reach the queue before EOS reaches the sink: nothing is in flight once EOS is seen.
	if err := src.EndOfStream(); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitEOS(ctx); err != nil {
		t.Fatal(err)
	}
	var kept []byte
	for {
		s, ok, err := q.Pop()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		kept = append(kept, s.Data[0])
	}
	if !bytes.Equal(kept, []byte{pushed - 3, pushed - 2, pushed - 1}) || q.Dropped() != pushed-capacity {
		t.Fatalf("kept %v, dropped %d; want the last %d, %d dropped", kept, q.Dropped(), capacity, pushed-capacity)
	}
}

func TestSampleQueueAfterClose(t *testing.T) {
	p, err := NewPipeline("appsrc name=src format=time is-live=true block=true max-buffers=4 ! appsink name=sink")
	if err != nil {
		t.Fatal(err)
	}
	q, err := p.AppSinkQueue("sink", 1)
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- q.Wait() }()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-waited:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Wait = %v, want ErrClosed", err)
		}
	case <-testContext(t).Done():
		t.Fatal("Close did not end Wait")
	}
	if _, _, err := q.Pop(); !errors.Is(err, ErrClosed) {
		t.Errorf("Pop after Close = %v, want ErrClosed", err)
	}
	if _, err := p.AppSinkQueue("sink", 1); err == nil {
		t.Error("an appsink attached twice")
	}
}

func TestSampleQueueAttachErrors(t *testing.T) {
	p := newTestPipeline(t, "appsrc name=src format=time is-live=true block=true max-buffers=4 ! appsink name=sink")
	if _, err := p.AppSinkQueue("sink", 0); err == nil {
		t.Error("capacity 0 accepted")
	}
	if _, err := p.AppSinkQueue("src", 1); err == nil {
		t.Error("an appsrc accepted as an appsink")
	}
	if _, err := p.AppSinkQueue("sink", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AppSink("sink", 1); err == nil {
		t.Error("an appsink with a queue attached again")
	}
}
