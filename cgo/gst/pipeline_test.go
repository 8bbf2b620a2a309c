package gst

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNewPipelineErrors(t *testing.T) {
	tests := []struct {
		name, description, wantErr string
	}{
		{"empty", "", "empty pipeline description"},
		{"unknown element", "appsrc ! nosuchelement ! appsink", `no element "nosuchelement"`},
		{"syntax", "appsrc ! ! appsink", "parse pipeline"},
		{"unknown property", "appsrc nosuchproperty=1 ! appsink", "nosuchproperty"},
		{"NUL byte", "appsrc\x00 ! appsink", "NUL byte"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPipeline(tc.description)
			if err == nil {
				p.Close()
				t.Fatalf("NewPipeline(%q) succeeded", tc.description)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %q, want it to mention %q", err, tc.wantErr)
			}
		})
	}
}

func TestNewPipelineWithValidates(t *testing.T) {
	if _, err := NewPipelineWith(PipelineConfig{Description: "fakesink", ErrorQueue: -1}); err == nil {
		t.Fatal("negative ErrorQueue accepted")
	}
	if _, err := NewPipelineWith(PipelineConfig{Description: "fakesink", Name: "a\x00b"}); err == nil {
		t.Fatal("name with a NUL byte accepted")
	}
}

func TestSingleElementGetsAPipeline(t *testing.T) {
	p := newTestPipeline(t, "fakesink name=only")
	if _, err := p.Element("only"); err != nil {
		t.Fatalf("Element: %v", err)
	}
	if _, err := p.Element("missing"); err == nil || !strings.Contains(err.Error(), "no element named") {
		t.Fatalf("Element(missing) = %v, want a not-found error", err)
	}
}

func TestSetStateFailureCarriesBusError(t *testing.T) {
	p := newTestPipeline(t, "filesrc location=/nonexistent/gst-test-input ! fakesink")
	err := p.SetState(StatePlaying)
	var busErr *BusError
	if !errors.As(err, &busErr) {
		t.Fatalf("SetState = %v, want a *BusError", err)
	}
	if busErr.Severity != SeverityError || !strings.Contains(busErr.Debug, "No such file") {
		t.Fatalf("bus error %+v, want filesrc's not-found error", busErr)
	}

	if p.Err() == nil {
		t.Fatal("Err() is nil after a failed state change")
	}
	select {
	case got := <-p.Errors():
		if !errors.As(got, &busErr) || busErr.Source == "" {
			t.Fatalf("Errors delivered %v", got)
		}
	default:
		t.Fatal("Errors delivered nothing")
	}
}

func TestSetStateRejectsInvalidState(t *testing.T) {
	p := newTestPipeline(t, "fakesink")
	if err := p.SetState(State(9)); err == nil {
		t.Fatal("SetState(9) accepted")
	}
}

func TestWaitState(t *testing.T) {
	t.Run("completes", func(t *testing.T) {
		p := newTestPipeline(t, "appsrc format=time is-live=true leaky-type=downstream ! appsink async=false")
		mustPlay(t, p)
		if st, err := p.WaitState(testContext(t)); err != nil || st != StatePlaying {
			t.Fatalf("WaitState = %v, %v; want PLAYING", st, err)
		}
	})
	t.Run("honours the deadline while prerolling", func(t *testing.T) {
		// A live appsrc with no data never lets the sink preroll.
		p := newTestPipeline(t, "appsrc format=time is-live=true leaky-type=downstream ! fakesink")
		mustPlay(t, p)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		if _, err := p.WaitState(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("WaitState = %v, want the deadline", err)
		}
	})
	t.Run("follows a change made while it waits", func(t *testing.T) {
		// GStreamer wakes the waiter of a state change when another change is asked for, and its get_state then
		// reports a failure although nothing failed: WaitState must wait for the new target instead.
		p := newTestPipeline(t, "appsrc format=time is-live=true leaky-type=downstream ! fakesink")
		mustPlay(t, p)
		type result struct {
			st  State
			err error
		}
		done := make(chan result, 1)
		go func() {
			st, err := p.WaitState(testContext(t))
			done <- result{st, err}
		}()
		// Whether it lands before or during the wait, a live pipeline asked for PAUSED is there at once.
		if err := p.SetState(StatePaused); err != nil {
			t.Fatalf("SetState(PAUSED): %v", err)
		}
		if r := <-done; r.err != nil || r.st != StatePaused {
			t.Fatalf("WaitState = %v, %v; want PAUSED", r.st, r.err)
		}
	})
}

func TestBusErrorEndsWaitEOS(t *testing.T) {
	// Audio caps into videoconvert: negotiation fails when data flows.
	p := newTestPipeline(t, "appsrc name=src format=time is-live=true leaky-type=downstream"+
		" caps=audio/x-raw,format=S16LE,rate=8000,channels=1,layout=interleaved ! videoconvert ! appsink name=sink")
	src := mustAppSrc(t, p, "src")
	mustPlay(t, p)
	if err := src.Push(make([]byte, 320), 0, 20*time.Millisecond); err != nil {
		t.Fatalf("Push: %v", err)
	}
	err := p.WaitEOS(testContext(t))
	var busErr *BusError
	if !errors.As(err, &busErr) || busErr.Severity != SeverityError {
		t.Fatalf("WaitEOS = %v, want the bus error", err)
	}
	if !strings.Contains(busErr.Debug, "not-negotiated") {
		t.Fatalf("bus error debug %q, want the not-negotiated reason", busErr.Debug)
	}
}

func TestBusWarningIsDelivered(t *testing.T) {
	// A live source straight into a synchronised sink makes the sink warn
	// about missing queues when latency is configured.
	p := newTestPipeline(t, "appsrc name=src format=time is-live=true leaky-type=downstream ! appsink name=sink")
	src := mustAppSrc(t, p, "src")
	mustAppSink(t, p, "sink", 1)
	mustPlay(t, p)
	if err := src.Push([]byte{1}, 0, NoTime); err != nil {
		t.Fatalf("Push: %v", err)
	}
	select {
	case err := <-p.Errors():
		var busErr *BusError
		if !errors.As(err, &busErr) || busErr.Severity != SeverityWarning || busErr.Source != "sink" {
			t.Fatalf("got %v, want a warning from sink", err)
		}
	case <-testContext(t).Done():
		t.Fatal("no warning delivered")
	}
	if p.Err() != nil {
		t.Fatalf("a warning was recorded as an error: %v", p.Err())
	}
}

func TestEndOfStream(t *testing.T) {
	ctx := testContext(t)
	p := newTestPipeline(t, "appsrc name=src format=time is-live=true block=true max-buffers=4 ! queue ! appsink name=sink sync=false")
	src := mustAppSrc(t, p, "src")
	sink := mustAppSink(t, p, "sink", 8)
	mustPlay(t, p)
	for i := 0; i < 3; i++ {
		if err := src.Push([]byte{byte(i)}, time.Duration(i)*time.Millisecond, time.Millisecond); err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
	}
	samples := drainAfterEOS(ctx, t, p, src, sink)
	if len(samples) != 3 {
		t.Fatalf("got %d samples before EOS, want 3", len(samples))
	}
	for i, s := range samples {
		if s.Data[0] != byte(i) || s.PTS != time.Duration(i)*time.Millisecond || s.Duration != time.Millisecond {
			t.Errorf("sample %d = %+v", i, s)
		}
	}
	select {
	case <-p.EOS():
	default:
		t.Fatal("EOS channel not closed after WaitEOS")
	}
	if err := src.Push([]byte{9}, NoTime, NoTime); !errors.Is(err, ErrEOS) {
		t.Fatalf("Push after EOS = %v, want ErrEOS", err)
	}
}

func TestPushValidation(t *testing.T) {
	p := newTestPipeline(t, "appsrc name=src format=time is-live=true leaky-type=downstream ! fakesink")
	src := mustAppSrc(t, p, "src")
	mustPlay(t, p)
	tests := []struct {
		name          string
		data          []byte
		pts, duration time.Duration
		ok            bool
	}{
		{"empty", nil, 0, 0, false},
		{"negative pts", []byte{1}, -2, 0, false},
		{"negative duration", []byte{1}, 0, -time.Second, false},
		{"unknown times", []byte{1}, NoTime, NoTime, true},
		{"timestamped", []byte{1, 2}, time.Second, time.Millisecond, true},
	}
	for _, tc := range tests {
		if err := src.Push(tc.data, tc.pts, tc.duration); (err == nil) != tc.ok {
			t.Errorf("%s: Push = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestPushToAStoppedPipelineIsFlushing(t *testing.T) {
	p := newTestPipeline(t, "appsrc name=src format=time is-live=true leaky-type=downstream ! fakesink")
	src := mustAppSrc(t, p, "src")
	mustPlay(t, p)
	if err := p.SetState(StateNull); err != nil {
		t.Fatalf("SetState(NULL): %v", err)
	}
	if err := src.Push([]byte{1}, 0, 0); !errors.Is(err, ErrFlushing) {
		t.Fatalf("Push to a stopped pipeline = %v, want ErrFlushing", err)
	}
}

func TestCloseReleasesEverything(t *testing.T) {
	p, err := NewPipeline("appsrc name=src format=time is-live=true leaky-type=downstream ! appsink name=sink vp8enc name=enc")
	if err != nil {
		t.Fatal(err)
	}
	src := mustAppSrc(t, p, "src")
	sink := mustAppSink(t, p, "sink", 1)
	enc := mustElement(t, p, "enc")
	mustPlay(t, p)
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, ok := <-sink.Samples(); ok {
		t.Fatal("Samples not closed")
	}
	if _, ok := <-p.Errors(); ok {
		t.Fatal("Errors not closed")
	}
	calls := map[string]error{
		"SetState":     p.SetState(StatePlaying),
		"Push":         src.Push([]byte{1}, 0, 0),
		"SetCaps":      src.SetCaps("video/x-raw"),
		"EndOfStream":  src.EndOfStream(),
		"SetInt":       enc.SetInt("target-bitrate", 1),
		"ForceKeyUnit": enc.ForceKeyUnit(),
		"WaitEOS":      p.WaitEOS(context.Background()),
	}
	_, calls["Element"] = p.Element("other")
	_, calls["WaitState"] = p.WaitState(context.Background())
	for name, err := range calls {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}

func TestCloseUnblocksABlockedPush(t *testing.T) {
	// The sink waits on the clock for a buffer an hour ahead, the queue fills,
	// and the blocking appsrc makes Push wait.
	p, err := NewPipeline("appsrc name=src format=time is-live=true block=true max-buffers=1" +
		" ! queue max-size-buffers=1 ! fakesink sync=true")
	if err != nil {
		t.Fatal(err)
	}
	src := mustAppSrc(t, p, "src")
	mustPlay(t, p)
	pushed := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			if err := src.Push([]byte{1}, time.Hour+time.Duration(i), time.Nanosecond); err != nil {
				pushed <- err
				return
			}
		}
	}()
	// Close only once the pusher is stuck: the queue and appsrc are full.
	ctx := testContext(t)
	for {
		level, err := src.PropertyUint("current-level-buffers")
		if err != nil {
			t.Fatal(err)
		}
		if level >= 1 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("appsrc never filled up")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-pushed:
		if !errors.Is(err, ErrFlushing) && !errors.Is(err, ErrClosed) {
			t.Fatalf("blocked Push returned %v, want ErrFlushing or ErrClosed", err)
		}
	case <-ctx.Done():
		t.Fatal("Close did not unblock Push")
	}
}
