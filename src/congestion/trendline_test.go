package congestion

import (
	"math"
	"testing"
	"time"
)

func TestTrendline(t *testing.T) {
	tests := []struct {
		name string
		// extra is the one-way delay variation of group i: arrivalDelta - sendDelta.
		extra     func(i int) time.Duration
		want      Usage
		wantAfter int // the verdict is reached within this many groups, and kept to the end
	}{
		{"constant delay", func(int) time.Duration { return 0 }, UsageNormal, 1},
		{"growing queue", func(int) time.Duration { return 2 * ms }, UsageOver, 25},
		{"draining queue", func(int) time.Duration { return -2 * ms }, UsageUnder, 25},
		{"jitter without trend", func(i int) time.Duration { return time.Duration(3*(i%2*2-1)) * ms }, UsageNormal, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTrendline()
			arrival := time.Second
			reached := -1
			for i := range 100 {
				arrival += 20*ms + tt.extra(i)
				u := tr.update(20*ms, 20*ms+tt.extra(i), arrival)
				switch {
				case u == tt.want && reached < 0:
					reached = i
				case u != tt.want && tt.want != UsageOver:
					// Over is sticky only while the trend keeps above the threshold; the others must hold.
					reached = -1
				}
			}
			if reached < 0 || reached >= tt.wantAfter {
				t.Errorf("%v reached at group %d, want within %d", tt.want, reached, tt.wantAfter)
			}
		})
	}
}

func TestOveruseDetectorThreshold(t *testing.T) {
	d := newOveruseDetector()
	now := time.Second
	// A trend well inside the threshold pulls it down, to the minimum at most.
	for range 200 {
		now += 50 * ms
		d.detect(0.001, 0.001, 20*ms, now, 100)
	}
	if d.threshold != minThreshold {
		t.Errorf("threshold after a flat trend = %.2f, want %.1f", d.threshold, minThreshold)
	}
	// A trend a little above pushes it up, slowly.
	for range 200 {
		now += 50 * ms
		d.detect(0.06, 0.06, 20*ms, now, 100) // modified trend 0.06*60*4 = 14.4 ms
	}
	if d.threshold < 10 || d.threshold > 14.4 {
		t.Errorf("threshold after a trend of 14.4 = %.2f, want between 10 and 14.4", d.threshold)
	}
	// A spike far above (a capacity drop) is not adapted to.
	before := d.threshold
	now += 50 * ms
	d.detect(10, 10, 20*ms, now, 100)
	if d.threshold != before {
		t.Errorf("threshold moved from %.2f to %.2f on a spike", before, d.threshold)
	}
	if math.IsNaN(d.threshold) || d.threshold > maxThreshold {
		t.Errorf("threshold %v out of bounds", d.threshold)
	}
}

func TestOveruseNeedsTimeAndTwoGroups(t *testing.T) {
	d := newOveruseDetector()
	// One group above the threshold is not overuse; a second one, 10 ms of send time later, is.
	if u := d.detect(1, 0, 8*ms, time.Second, 100); u != UsageNormal {
		t.Fatalf("first group: %v", u)
	}
	if u := d.detect(1, 1, 8*ms, time.Second+8*ms, 100); u != UsageOver {
		t.Fatalf("second group (12 ms over): %v", u)
	}
	if u := d.detect(0, 1, 8*ms, time.Second+16*ms, 100); u != UsageNormal {
		t.Fatalf("back under the threshold: %v", u)
	}
}

func TestUsageString(t *testing.T) {
	for u, want := range map[Usage]string{UsageNormal: "normal", UsageUnder: "underusing", UsageOver: "overusing"} {
		if got := u.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", u, got, want)
		}
	}
}
