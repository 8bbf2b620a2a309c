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
		op      string // "request", "take", "made", "wait"
		want    bool   // take: a keyframe now; request: coalesced
		waitMS  int    // wait: the time left
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
				{ms: 100, op: "wait", waitMS: 0, comment: "nothing pending"},
				{ms: 100, op: "request"},
				{ms: 150, op: "request", want: true},
				{ms: 200, op: "wait", waitMS: 300},
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
				case "wait":
					if got := k.wait(at(e.ms)); got != time.Duration(e.waitMS)*time.Millisecond {
						t.Fatalf("event %d: wait at %d ms = %v, want %d ms", i, e.ms, got, e.waitMS)
					}
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
