package congestion

import (
	"math"
	"testing"
	"time"
)

func TestLossControl(t *testing.T) {
	type report struct {
		lost, received, recovered int
		at                        time.Duration
	}
	tests := []struct {
		name     string
		reports  []report
		wantCap  float64
		wantFrac float64
	}{
		{"too few packets to judge", []report{{5, 10, 0, time.Second}}, 0, 0},
		{"low loss, no cap", []report{{1, 99, 0, time.Second}}, 0, 0.01},
		{"high loss halves the loss off the target", []report{{20, 80, 0, time.Second}}, 1e6 * 0.9, 0.2},
		{"a second decrease waits 300 ms and a round trip",
			[]report{{20, 80, 0, time.Second}, {20, 80, 0, time.Second + 100*ms}}, 1e6 * 0.9, 0.2},
		{"then decreases again", []report{{20, 80, 0, time.Second}, {20, 80, 0, time.Second + 400*ms}},
			1e6 * 0.9 * 0.9, 0.2},
		{"moderate loss holds", []report{{20, 80, 0, time.Second}, {5, 95, 0, 2 * time.Second}}, 1e6 * 0.9, 0.05},
		{"low loss grows the cap 8 % a second", []report{{20, 80, 0, time.Second}, {0, 100, 0, 2 * time.Second}},
			1e6*0.9*1.08 + 1000, 0},
		{"recovered packets take their loss back", []report{{20, 80, 0, time.Second},
			{0, 100, 20, 2 * time.Second}}, 1e6*0.9*1.08 + 1000, 0},
		{"the floor holds", []report{{90, 10, 0, time.Second}, {90, 10, 0, 2 * time.Second},
			{90, 10, 0, 3 * time.Second}, {90, 10, 0, 4 * time.Second}}, 300e3, 0.9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l lossControl
			for _, r := range tt.reports {
				l.add(r.lost, r.received, r.recovered)
				l.update(r.at, 1e6, 2e6, 300e3, 0)
			}
			if math.Abs(l.cap-tt.wantCap) > 1 || math.Abs(l.fraction-tt.wantFrac) > 1e-9 {
				t.Errorf("cap %.0f loss %.3f, want %.0f and %.3f", l.cap, l.fraction, tt.wantCap, tt.wantFrac)
			}
		})
	}
}

func TestLossCapLiftedAboveDelayBased(t *testing.T) {
	var l lossControl
	l.add(20, 80, 0)
	l.update(time.Second, 1e6, 1e6, 0, 0)
	for i := range 10 {
		l.add(0, 100, 0)
		l.update(time.Duration(2+i)*time.Second, 1e6, 1e6, 0, 0)
	}
	if l.cap != 0 {
		t.Errorf("cap %.0f still set after growing past the delay-based estimate", l.cap)
	}
	l.cap = 500e3
	l.raise(800e3)
	if l.cap != 800e3 {
		t.Errorf("raise to 800k gave %.0f", l.cap)
	}
}
