package congestion

import (
	"errors"
	"testing"
	"time"
)

var (
	_ Estimate = (*REMBEstimate)(nil)
	_ Estimate = (*SendSide)(nil)
)

func TestREMBEstimate(t *testing.T) {
	r := NewREMBEstimate()
	if _, ok := r.Bitrate(time.Second); ok {
		t.Error("an estimate before any REMB")
	}
	r.OnREMB(750_000, 0) // a REMB at the clock's origin counts too
	tests := []struct {
		at     time.Duration
		want   uint64
		wantOK bool
	}{
		{0, 750_000, true},
		{DefaultREMBMaxAge, 750_000, true},
		{DefaultREMBMaxAge + 1, 0, false},
	}
	for _, tt := range tests {
		if got, ok := r.Bitrate(tt.at); got != tt.want || ok != tt.wantOK {
			t.Errorf("Bitrate(%v) = %d, %v; want %d, %v", tt.at, got, ok, tt.want, tt.wantOK)
		}
	}
	r.OnReceiverReport(64)
	if r.Loss() != 0.25 {
		t.Errorf("Loss = %v, want 0.25 (64/256)", r.Loss())
	}

	short, err := NewREMBEstimateWith(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	short.OnREMB(1, 10*time.Second)
	if _, ok := short.Bitrate(11*time.Second + 1); ok {
		t.Error("a REMB older than the max age counts")
	}
	if _, err := NewREMBEstimateWith(0); !errors.Is(err, ErrBadConfig) {
		t.Errorf("max age 0: error %v, want ErrBadConfig", err)
	}
}
