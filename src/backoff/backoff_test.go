package backoff

import (
	"testing"
	"time"
)

func TestBackoffDoublesWithJitterUpToTheCap(t *testing.T) {
	for _, draw := range []struct {
		name string
		rand func(n int64) int64
	}{
		{"lowest draw", func(int64) int64 { return 0 }},
		{"highest draw", func(n int64) int64 { return n - 1 }},
	} {
		t.Run(draw.name, func(t *testing.T) {
			b := New(100*time.Millisecond, time.Second)
			b.rand = draw.rand
			ceilings := []time.Duration{100, 200, 400, 800, 1000, 1000, 1000}
			for i, ceiling := range ceilings {
				ceiling *= time.Millisecond
				d := b.Next()
				if d < ceiling/2 || d > ceiling {
					t.Fatalf("attempt %d: %v, want within [%v, %v]", i, d, ceiling/2, ceiling)
				}
			}
			b.Reset()
			if d := b.Next(); d > 100*time.Millisecond {
				t.Fatalf("after reset: %v", d)
			}
		})
	}
}

func TestBackoffJitterSpreads(t *testing.T) {
	b := New(time.Second, time.Second)
	seen := make(map[time.Duration]bool)
	for range 100 {
		d := b.Next()
		if d < 500*time.Millisecond || d > time.Second {
			t.Fatalf("delay %v outside [500ms, 1s]", d)
		}
		seen[d] = true
	}
	if len(seen) < 50 {
		t.Fatalf("only %d distinct delays in 100: no jitter", len(seen))
	}
}

func TestBackoffNeverOverflows(t *testing.T) {
	b := New(time.Nanosecond, time.Duration(1<<62))
	for i := range 200 {
		if d := b.Next(); d <= 0 || d > time.Duration(1<<62) {
			t.Fatalf("attempt %d: %v", i, d)
		}
	}
}
