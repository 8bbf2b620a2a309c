package transcode

import (
	"testing"
	"time"
)

func TestKeyframeThrottle(t *testing.T) {
	const interval = 500 * time.Millisecond
	at := func(ms int) time.Time { return time.Unix(1000, 0).Add(time.Duration(ms) * time.Millisecond) }
	type event struct {
		ms      int
		op      string // "request", "take", "made"
		want    bool   // take: a keyframe now; request: coalesced
		comment string
	}
	tests := []struct {
		name   string
		events []event
	}{
		{
			name: "the first request is served on the next frame",
			events: []event{
				{ms: 0, op: "take", want: false, comment: "nothing asked"},
				{ms: 10, op: "request"},
				{ms: 20, op: "take", want: true},
				{ms: 30, op: "take", want: false, comment: "served once"},
			},
		},
		{
			name: "requests inside the interval are coalesced and served when it ends",
			events: []event{
				{ms: 0, op: "request"},
				{ms: 0, op: "take", want: true},
				{ms: 100, op: "request"},
				{ms: 150, op: "request", want: true},
				{ms: 200, op: "take", want: false},
				{ms: 499, op: "take", want: false},
				{ms: 500, op: "take", want: true},
				{ms: 533, op: "take", want: false},
			},
		},
		{
			name: "the encoder's own keyframe answers earlier requests and starts the interval",
			events: []event{
				{ms: 0, op: "request"},
				{ms: 10, op: "made"},
				{ms: 20, op: "take", want: false},
				{ms: 30, op: "request"},
				{ms: 400, op: "take", want: false},
				{ms: 510, op: "take", want: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newKeyframeThrottle(interval)
			for i, e := range tt.events {
				switch e.op {
				case "request":
					if got := k.request(); got != e.want {
						t.Fatalf("event %d: request coalesced %v, want %v", i, got, e.want)
					}
				case "take":
					if got := k.take(at(e.ms)); got != e.want {
						t.Fatalf("event %d (%s): take at %d ms = %v, want %v", i, e.comment, e.ms, got, e.want)
					}
				case "made":
					k.made(at(e.ms))
				}
			}
		})
	}
}

func TestRequestLimiter(t *testing.T) {
	r := requestLimiter{interval: time.Second}
	start := time.Unix(1000, 0)
	for _, c := range []struct {
		after time.Duration
		want  bool
	}{{0, true}, {100 * time.Millisecond, false}, {999 * time.Millisecond, false}, {time.Second, true}, {1500 * time.Millisecond, false}, {3 * time.Second, true}} {
		if got := r.allow(start.Add(c.after)); got != c.want {
			t.Errorf("allow at +%v = %v, want %v", c.after, got, c.want)
		}
	}
}

func TestFrameRateLimiter(t *testing.T) {
	tests := []struct {
		name     string
		rate     int
		input    time.Duration // input frame interval
		jitter   []time.Duration
		frames   int
		wantKept int
	}{
		{name: "30 to 30 keeps everything", rate: 30, input: time.Second / 30, frames: 300, wantKept: 300},
		{name: "30 to 15 keeps one in two", rate: 15, input: time.Second / 30, frames: 300, wantKept: 150},
		{name: "30 to 25 keeps five in six", rate: 25, input: time.Second / 30, frames: 300, wantKept: 250},
		{name: "20 to 30 keeps everything", rate: 30, input: time.Second / 20, frames: 200, wantKept: 200},
		{
			name: "capture jitter does not cost frames", rate: 30, input: time.Second / 30, frames: 300, wantKept: 300,
			jitter: []time.Duration{0, 3 * time.Millisecond, -4 * time.Millisecond, 2 * time.Millisecond},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFrameRateLimiter(tt.rate)
			kept := 0
			for i := range tt.frames {
				pts := time.Duration(i) * tt.input
				if len(tt.jitter) > 0 {
					pts += tt.jitter[i%len(tt.jitter)]
				}
				if f.keep(pts) {
					kept++
				}
			}
			if kept < tt.wantKept-1 || kept > tt.wantKept+1 {
				t.Errorf("kept %d of %d frames, want %d", kept, tt.frames, tt.wantKept)
			}
		})
	}
}

func TestFrameRateLimiterAfterPause(t *testing.T) {
	f := newFrameRateLimiter(15)
	const in = time.Second / 30
	for i := range 10 {
		f.keep(time.Duration(i) * in)
	}
	// Five seconds without frames, then 30 fps again: still one in two, no burst.
	kept := 0
	for i := range 30 {
		if f.keep(5*time.Second + time.Duration(i)*in) {
			kept++
		}
	}
	if kept != 15 {
		t.Errorf("kept %d of 30 frames after a pause, want 15", kept)
	}
}
