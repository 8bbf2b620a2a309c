package media

import (
	"errors"
	"testing"
	"time"
)

func TestNewPlaneRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"unknown video codec", Config{VideoCodecs: []string{"vp8", "theora"}}},
		{"video codec twice", Config{VideoCodecs: []string{"vp8", "VP8"}}},
		{"min bitrate above max", Config{MinVideoBitrate: 2_000_000, MaxVideoBitrate: 1_000_000}},
		{"negative interval", Config{KeyframeInterval: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newPlane(tt.cfg, &fakeFactory{}, &fakeNotifier{})
			if !errors.Is(err, ErrBadConfig) || p != nil {
				t.Fatalf("newPlane = %v, %v; want ErrBadConfig", p, err)
			}
		})
	}
}
