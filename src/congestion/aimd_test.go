package congestion

import (
	"math"
	"testing"
	"time"
)

func TestRateControl(t *testing.T) {
	type update struct {
		usage Usage
		acked float64
		at    time.Duration
	}
	tests := []struct {
		name    string
		start   float64
		updates []update
		want    float64
		tol     float64
	}{
		{"overuse backs off to 85 % of the acknowledged bitrate", 1e6,
			[]update{{UsageOver, 800e3, time.Second}}, 680e3, 1},
		{"overuse never raises the rate", 1e6,
			[]update{{UsageOver, 2e6, time.Second}}, 1e6, 1},
		{"far from capacity: 8 % a second", 1e6,
			// The first update leaves the hold state with the minimum increase of 1 kbit/s.
			[]update{{UsageNormal, 1e6, time.Second}, {UsageNormal, 1e6, 2 * time.Second}}, (1e6 + 1000) * 1.08, 1},
		{"the increase is capped by the acknowledged bitrate", 1e6,
			[]update{{UsageNormal, 500e3, time.Second}, {UsageNormal, 500e3, 2 * time.Second}}, 1e6, 1},
		{"underuse holds", 1e6,
			[]update{{UsageNormal, 1e6, time.Second}, {UsageUnder, 1e6, 2 * time.Second},
				{UsageUnder, 1e6, 3 * time.Second}}, 1e6 + 1000, 1},
		{"near a known capacity: additive", 1e6,
			[]update{{UsageOver, 1e6, time.Second}, {UsageNormal, 850e3, 1100 * ms},
				{UsageNormal, 850e3, 2100 * ms}},
			// 850 kbit/s at 30 fps is 3542-byte frames, three packets of 1181 bytes, one per 2*(200+100) ms.
			850e3 + 850e3/8/30/3*8/0.6, 1},
		{"clamped to the minimum", 100e3,
			[]update{{UsageOver, 10e3, time.Second}}, 50e3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newRateControl(50e3, tt.start, 5e6)
			for _, u := range tt.updates {
				c.update(u.usage, u.acked, u.at)
			}
			if math.Abs(c.current-tt.want) > tt.tol {
				t.Errorf("rate %.0f, want %.0f", c.current, tt.want)
			}
		})
	}
}

func TestRateControlReduceFurther(t *testing.T) {
	c := newRateControl(50e3, 1e6, 5e6)
	c.rtt = 50 * ms
	c.update(UsageOver, 1e6, time.Second)
	if c.timeToReduceFurther(time.Second+10*ms, 900e3) {
		t.Error("reduce again 10 ms after a decrease, within a round trip")
	}
	if !c.timeToReduceFurther(time.Second+10*ms, 400e3) {
		t.Error("not reducing again when the acknowledged bitrate fell below half the estimate")
	}
	if !c.timeToReduceFurther(time.Second+50*ms, 900e3) {
		t.Error("not reducing again after a round trip")
	}
	if !c.initialTimeToReduce(time.Second + initialReduceInterval) {
		t.Error("no initial reduction 200 ms after the last decrease")
	}
}

func TestLinkCapacity(t *testing.T) {
	var l linkCapacity
	if !math.IsInf(l.upperBound(), 1) || l.lowerBound() != 0 {
		t.Fatalf("bounds without an estimate: %v, %v", l.lowerBound(), l.upperBound())
	}
	for range 100 {
		l.update(500e3, linkAlphaOveruse)
	}
	// A steady capacity has the smallest deviation: sqrt(0.4 * 500) = 14 kbit/s.
	if math.Abs(l.estimate-500e3) > 1 || math.Abs(l.deviation()-math.Sqrt(0.4*500)*1000) > 1 {
		t.Errorf("estimate %.0f deviation %.0f", l.estimate, l.deviation())
	}
	if l.upperBound() <= 500e3 || l.lowerBound() >= 500e3 {
		t.Errorf("bounds %v, %v do not contain the estimate", l.lowerBound(), l.upperBound())
	}
	l.reset()
	if l.has {
		t.Error("reset kept the estimate")
	}
}
