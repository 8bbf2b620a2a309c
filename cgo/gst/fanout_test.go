package gst

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fanoutSource is a pipeline whose appsrc feeds an appsink with a Fanout attached.
func fanoutSource(t *testing.T) (*Pipeline, *AppSrc, *Fanout) {
	t.Helper()
	p := newTestPipeline(t, "appsrc name=src format=time is-live=true block=true max-buffers=4 caps="+rawCaps+
		" ! appsink name=sink sync=false")
	src := mustAppSrc(t, p, "src")
	f, err := p.AppSinkFanout("sink")
	if err != nil {
		t.Fatalf("AppSinkFanout: %v", err)
	}
	mustPlay(t, p)
	return p, src, f
}

// fanoutTarget is a pipeline fed by a non-blocking appsrc, read through an AppSink.
func fanoutTarget(t *testing.T, queue int, middle string) (*Pipeline, *AppSrc, *AppSink) {
	t.Helper()
	desc := "appsrc name=src format=time is-live=true block=false leaky-type=downstream max-buffers=" +
		strconv.Itoa(queue)
	if middle != "" {
		desc += " ! " + middle
	}
	p := newTestPipeline(t, desc+" ! appsink name=sink sync=false")
	src := mustAppSrc(t, p, "src")
	sink := mustAppSink(t, p, "sink", 64)
	mustPlay(t, p)
	return p, src, sink
}

func TestFanoutDeliversToEveryTarget(t *testing.T) {
	ctx := testContext(t)
	_, src, f := fanoutSource(t)
	var targets []*AppSink
	for range 2 {
		_, tsrc, sink := fanoutTarget(t, 8, "")
		if err := f.Add(tsrc, 0); err != nil {
			t.Fatalf("Add: %v", err)
		}
		targets = append(targets, sink)
	}
	const frames = 10
	for i := range frames {
		pts := time.Duration(i) * frameTime
		before := Now()
		if err := src.Push(smoothFrame(i), pts, frameTime); err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
		for k, sink := range targets {
			s := nextSampleFrom(ctx, t, sink)
			if s.PTS != pts || !bytes.Equal(s.Data, smoothFrame(i)) {
				t.Fatalf("target %d, frame %d: PTS %v, %d bytes; want PTS %v and the frame pushed", k, i, s.PTS,
					len(s.Data), pts)
			}
			if !strings.Contains(s.Caps, "width=(int)160") {
				t.Fatalf("target %d: caps %q, want the source's", k, s.Caps)
			}
		}
		when, ok := f.Arrival(pts)
		if !ok || when < before || when > Now() {
			t.Fatalf("Arrival(%v) = %v, %v; pushed at %v", pts, when, ok, before)
		}
	}
	st, err := f.Stats()
	if err != nil || st != (FanoutStats{Buffers: frames}) {
		t.Fatalf("Stats = %+v, %v; want %d buffers", st, err, frames)
	}
	if _, ok := f.Arrival(time.Hour); ok {
		t.Error("Arrival of a buffer never pushed")
	}
}

func nextSampleFrom(ctx context.Context, t *testing.T, sink *AppSink) Sample {
	t.Helper()
	select {
	case s, ok := <-sink.Samples():
		if !ok {
			t.Fatal("samples channel closed")
		}
		return s
	case <-ctx.Done():
		t.Fatal("timed out waiting for a sample")
	}
	return Sample{}
}

func TestFanoutAddRemove(t *testing.T) {
	ctx := testContext(t)
	_, src, f := fanoutSource(t)
	_, tsrc, sink := fanoutTarget(t, 8, "")
	if err := f.Add(tsrc, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Add(tsrc, 0); err == nil {
		t.Error("a target added twice")
	}
	if err := src.Push(smoothFrame(0), 0, frameTime); err != nil {
		t.Fatal(err)
	}
	nextSampleFrom(ctx, t, sink)
	if err := f.Remove(tsrc); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if err := f.Remove(tsrc); err == nil {
		t.Error("a target removed twice")
	}
	// A second target added after the first left gets the next frame; the removed one gets nothing.
	_, other, otherSink := fanoutTarget(t, 8, "")
	if err := f.Add(other, 0); err != nil {
		t.Fatal(err)
	}
	if err := src.Push(smoothFrame(1), frameTime, frameTime); err != nil {
		t.Fatal(err)
	}
	nextSampleFrom(ctx, t, otherSink)
	select {
	case s := <-sink.Samples():
		t.Fatalf("a removed target got a frame at %v", s.PTS)
	default:
	}
}

func TestFanoutRefusesTargetsThatCouldBlock(t *testing.T) {
	_, _, f := fanoutSource(t)
	for _, desc := range []string{
		"appsrc name=src format=time is-live=true block=true max-buffers=1 ! fakesink",
		"appsrc name=src format=time is-live=true block=false leaky-type=none max-bytes=1000 ! fakesink",
	} {
		p := newTestPipeline(t, desc)
		src, err := p.AppSrc("src")
		if err != nil {
			// The second appsrc is already refused by AppSrc itself: unbounded without blocking.
			continue
		}
		if err := f.Add(src, 0); err == nil || !strings.Contains(err.Error(), "could block") {
			t.Errorf("Add(%q) = %v, want a refusal", desc, err)
		}
	}
	if err := f.Add(nil, 0); err == nil {
		t.Error("Add(nil) accepted")
	}
}

// TestFanoutTargetClosedFirst closes a target's pipeline before removing it: pushes to it are refused and
// counted, and the other targets are not affected.
func TestFanoutTargetClosedFirst(t *testing.T) {
	ctx := testContext(t)
	_, src, f := fanoutSource(t)
	closed, closedSrc, _ := fanoutTarget(t, 8, "")
	_, liveSrc, liveSink := fanoutTarget(t, 8, "")
	for _, s := range []*AppSrc{closedSrc, liveSrc} {
		if err := f.Add(s, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := closed.Close(); err != nil {
		t.Fatal(err)
	}
	if err := src.Push(smoothFrame(0), 0, frameTime); err != nil {
		t.Fatal(err)
	}
	nextSampleFrom(ctx, t, liveSink)
	if st, err := f.Stats(); err != nil || st.Refused != 1 {
		t.Fatalf("Stats = %+v, %v; want 1 refused push", st, err)
	}
	if err := f.Remove(closedSrc); err != nil {
		t.Fatalf("Remove of a closed target: %v", err)
	}
}

// TestFanoutSlowTargetGetsTheFreshest feeds a target slower than the source: every frame is either delivered or
// replaced by a newer one (counted; the count may include a frame the target took between the fan-out's look at
// its queue and the push), and the last frame is always delivered.
func TestFanoutSlowTargetGetsTheFreshest(t *testing.T) {
	ctx := testContext(t)
	_, src, f := fanoutSource(t)
	_, tsrc, sink := fanoutTarget(t, 1, "identity sleep-time=20000")
	if err := f.Add(tsrc, 0); err != nil {
		t.Fatal(err)
	}
	const frames = 20
	for i := range frames {
		if err := src.Push(smoothFrame(i), time.Duration(i)*frameTime, frameTime); err != nil {
			t.Fatal(err)
		}
	}
	last := time.Duration(frames-1) * frameTime
	delivered := 0
	for {
		s := nextSampleFrom(ctx, t, sink)
		delivered++
		if s.PTS == last {
			break
		}
	}
	st, err := f.Stats()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d frames delivered, %d replaced", delivered, st.Replaced)
	if st.Buffers != frames || uint64(delivered)+st.Replaced < frames || st.Replaced == 0 {
		t.Fatalf("%d delivered and stats %+v for %d frames", delivered, st, frames)
	}
}

func TestFanoutOnClosedPipeline(t *testing.T) {
	p, _, f := fanoutSource(t)
	_, tsrc, _ := fanoutTarget(t, 8, "")
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Add(tsrc, 0); err != ErrClosed {
		t.Errorf("Add after Close = %v, want ErrClosed", err)
	}
	if _, err := f.Stats(); err != ErrClosed {
		t.Errorf("Stats after Close = %v, want ErrClosed", err)
	}
	if _, err := p.AppSink("sink", 1); err == nil {
		t.Error("an appsink with a fan-out attached was attached again")
	}
}

func TestAppSrcForceKeyUnitYieldsKeyframeOnNextFrame(t *testing.T) {
	const frames, forced = 12, 6
	for _, c := range videoCodecs {
		t.Run(c.name, func(t *testing.T) {
			ctx := testContext(t)
			p := newTestPipeline(t, encoderDescription(c.encoder, ""))
			src := mustAppSrc(t, p, "src")
			input := make([][]byte, frames)
			for i := range input {
				input[i] = smoothFrame(i)
			}
			out := encodeLockstep(ctx, t, p, input, func(i int) {
				if i == forced {
					if err := src.ForceKeyUnit(); err != nil {
						t.Fatalf("ForceKeyUnit: %v", err)
					}
				}
			})
			for i, s := range out {
				want := i == 0 || i == forced
				if s.Keyframe != want || bitstreamKeyframe(c.bitstream, s.Data) != want {
					t.Errorf("frame %d: keyframe %v, want %v", i, s.Keyframe, want)
				}
			}
		})
	}
}

// fanoutCycle runs one life of a decoder-like source feeding an encoder through a fan-out, read through a
// SampleQueue: build both, add, push, encode, remove, close. Every other cycle closes the source first, leaving
// the target registered.
func fanoutCycle(ctx context.Context, i int, frame []byte) error {
	source, err := NewPipeline("appsrc name=src format=time is-live=true block=true max-buffers=4 caps=" + rawCaps +
		" ! appsink name=sink sync=false")
	if err != nil {
		return err
	}
	defer source.Close()
	target, err := NewPipeline("appsrc name=src format=time is-live=true block=false leaky-type=downstream" +
		" max-buffers=1 ! " + videoCodecs[0].encoder + " ! appsink name=sink sync=false")
	if err != nil {
		return err
	}
	defer target.Close()
	src, err := source.AppSrc("src")
	if err != nil {
		return err
	}
	f, err := source.AppSinkFanout("sink")
	if err != nil {
		return err
	}
	tsrc, err := target.AppSrc("src")
	if err != nil {
		return err
	}
	queue, err := target.AppSinkQueue("sink", 4)
	if err != nil {
		return err
	}
	if err := f.Add(tsrc, 0); err != nil {
		return err
	}
	for _, p := range []*Pipeline{target, source} {
		if err := p.SetState(StatePlaying); err != nil {
			return err
		}
	}
	if err := src.Push(frame, 0, frameTime); err != nil {
		return err
	}
	for {
		_, ok, err := queue.Pop()
		if err != nil || ok {
			if err != nil {
				return err
			}
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := queue.Wait(); err != nil {
			return err
		}
	}
	if i%2 == 0 {
		if err := f.Remove(tsrc); err != nil {
			return err
		}
		if err := target.Close(); err != nil {
			return err
		}
		return source.Close()
	}
	if err := source.Close(); err != nil {
		return err
	}
	return target.Close()
}

// TestFanoutCyclesKeepMemoryFlat checks that the fan-out's references to its targets are all released, whichever
// pipeline closes first.
func TestFanoutCyclesKeepMemoryFlat(t *testing.T) {
	cycles, warmup := 300, 50
	if testing.Short() {
		cycles, warmup = 40, 10
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	frame := smoothFrame(0)
	for i := range warmup {
		if err := fanoutCycle(ctx, i, frame); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
	}
	before := measureMemory(t)
	for i := range cycles - warmup {
		if err := fanoutCycle(ctx, i, frame); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
	}
	after := measureMemory(t)
	const kib = 1 << 10
	t.Logf("%d cycles: C heap %.1f -> %.1f KiB, Go heap %.1f -> %.1f KiB", cycles-warmup,
		float64(before.cHeap)/kib, float64(after.cHeap)/kib, float64(before.goHeap)/kib, float64(after.goHeap)/kib)
	if sanitizer == "asan" {
		t.Log("built with -asan: C memory is checked by LeakSanitizer at exit")
		return
	}
	// A leaked encoder pipeline (the target) costs far more than this bound per cycle.
	if after.cHeap > before.cHeap+512*kib {
		t.Errorf("C heap grew by %d KiB over %d cycles", (after.cHeap-before.cHeap)/kib, cycles-warmup)
	}
	if after.goHeap > before.goHeap+1<<20 {
		t.Errorf("Go heap grew by %d KiB over %d cycles", (after.goHeap-before.goHeap)/kib, cycles-warmup)
	}
}

// TestFanoutThinning feeds targets that take at most some rate: the long-run rate holds, jittered timestamps at
// the target's own rate lose nothing, and the target's caps and buffer durations carry its rate.
func TestFanoutThinning(t *testing.T) {
	tests := []struct {
		name     string
		rate     int
		input    time.Duration // source frame interval
		jitter   []time.Duration
		frames   int
		wantKept int
	}{
		{name: "30 to 30 keeps everything", rate: 30, input: time.Second / 30, frames: 90, wantKept: 90},
		{name: "30 to 15 keeps one in two", rate: 15, input: time.Second / 30, frames: 90, wantKept: 45},
		{name: "30 to 25 keeps five in six", rate: 25, input: time.Second / 30, frames: 90, wantKept: 75},
		{name: "20 to 30 keeps everything", rate: 30, input: time.Second / 20, frames: 60, wantKept: 60},
		{
			name: "jitter at the same rate costs nothing", rate: 30, input: time.Second / 30, frames: 90, wantKept: 90,
			jitter: []time.Duration{0, 3 * time.Millisecond, -4 * time.Millisecond, 2 * time.Millisecond},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			_, src, f := fanoutSource(t)
			_, tsrc, sink := fanoutTarget(t, 99, "")
			if err := f.Add(tsrc, tt.rate); err != nil {
				t.Fatal(err)
			}
			frame := smoothFrame(0)
			for i := range tt.frames {
				pts := time.Duration(i)*tt.input + 10*time.Millisecond
				if len(tt.jitter) > 0 {
					pts += tt.jitter[i%len(tt.jitter)]
				}
				if err := src.Push(frame, pts, NoTime); err != nil {
					t.Fatal(err)
				}
			}
			for {
				st, err := f.Stats()
				if err != nil {
					t.Fatal(err)
				}
				if st.Buffers == uint64(tt.frames) {
					kept := tt.frames - int(st.Thinned)
					if kept < tt.wantKept-1 || kept > tt.wantKept+1 || st.Replaced+st.Refused != 0 {
						t.Fatalf("kept %d of %d, want %d (stats %+v)", kept, tt.frames, tt.wantKept, st)
					}
					break
				}
				select {
				case <-ctx.Done():
					t.Fatalf("the fan-out saw %d buffers of %d", st.Buffers, tt.frames)
				case <-time.After(5 * time.Millisecond):
				}
			}
			s := nextSampleFrom(ctx, t, sink)
			if want := "framerate=(fraction)" + strconv.Itoa(tt.rate) + "/1"; !strings.Contains(s.Caps, want) {
				t.Errorf("target caps %q, want %s", s.Caps, want)
			}
			if want := time.Second / time.Duration(tt.rate); s.Duration != want {
				t.Errorf("target buffer duration %v, want %v (one interval at its rate)", s.Duration, want)
			}
		})
	}
}
