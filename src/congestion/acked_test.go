package congestion

import (
	"math"
	"testing"
	"time"
)

func TestAckedBitrate(t *testing.T) {
	tests := []struct {
		name  string
		feed  func(a *ackedBitrate)
		want  float64
		delta float64
	}{
		{"nothing", func(*ackedBitrate) {}, 0, 0},
		{"too short a span", func(a *ackedBitrate) {
			for i := range 5 {
				a.add(time.Duration(i)*10*ms, 1000)
			}
		}, 0, 0},
		{"1000 bytes every 10 ms is 800 kbit/s", func(a *ackedBitrate) {
			for i := range 100 {
				a.add(time.Duration(i)*10*ms, 1000)
			}
		}, 800e3, 1},
		{"the window keeps the last half second", func(a *ackedBitrate) {
			for i := range 100 {
				a.add(time.Duration(i)*10*ms, 1000) // 800 kbit/s for 1 s
			}
			for i := range 60 {
				a.add(time.Second+time.Duration(i)*10*ms, 250) // then 200 kbit/s for 600 ms
			}
		}, 200e3, 1},
		{"an earlier arrival counts as the latest", func(a *ackedBitrate) {
			for i := range 50 {
				a.add(time.Duration(i)*10*ms, 1000)
			}
			a.add(0, 1000)
		}, float64(50*1000) * 8 / 0.49, 1},
		{"more packets than the ring shorten the window", func(a *ackedBitrate) {
			for i := range 2000 {
				a.add(time.Duration(i)*ms/2, 100) // 1.6 Mbit/s
			}
		}, 1.6e6, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a ackedBitrate
			tt.feed(&a)
			if got := a.rate(); math.Abs(got-tt.want) > tt.delta {
				t.Errorf("rate %.0f, want %.0f", got, tt.want)
			}
		})
	}
}
