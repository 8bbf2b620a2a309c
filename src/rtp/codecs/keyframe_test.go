package codecs

import (
	"slices"
	"testing"
)

// TestCapturedKeyframes checks the detectors on real payloader output: a packet starts a keyframe only at a key
// frame's timestamp, the first packet of each key frame is detected, and (VP8, VP9) only that one.
func TestCapturedKeyframes(t *testing.T) {
	tests := []struct {
		name        string
		keyTS       []uint32
		onlyFirst   bool
		wantPackets int
	}{
		{name: "vp8", keyTS: []uint32{1917057982, 1917072981, 1917087981}, onlyFirst: true, wantPackets: 14},
		{name: "vp9", keyTS: []uint32{3876787553, 3876802552, 3876817552}, onlyFirst: true, wantPackets: 13},
		{name: "h264", keyTS: []uint32{882016677, 882031676, 882046676}, wantPackets: 38},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			detect, ok := KeyframeDetector(tt.name)
			if !ok {
				t.Fatalf("no detector for %s", tt.name)
			}
			pkts := capturedPackets(t, tt.name)
			if len(pkts) != tt.wantPackets {
				t.Fatalf("%d packets, want %d", len(pkts), tt.wantPackets)
			}
			var detected []uint32
			for i, p := range pkts {
				isKey := detect(p.Payload)
				isKeyTS := slices.Contains(tt.keyTS, p.Timestamp)
				firstOfFrame := i == 0 || pkts[i-1].Timestamp != p.Timestamp
				switch {
				case isKey && !isKeyTS:
					t.Errorf("seq %d (delta frame) detected as a keyframe start", p.SequenceNumber)
				case !isKey && isKeyTS && firstOfFrame:
					t.Errorf("seq %d (first packet of a key frame) not detected", p.SequenceNumber)
				case isKey && tt.onlyFirst && !firstOfFrame:
					t.Errorf("seq %d (inside a key frame) detected as its start", p.SequenceNumber)
				}
				if isKey && firstOfFrame {
					detected = append(detected, p.Timestamp)
				}
			}
			if !slices.Equal(detected, tt.keyTS) {
				t.Errorf("key frames found at %v, want %v", detected, tt.keyTS)
			}
		})
	}
}

func TestKeyframeDetector(t *testing.T) {
	for _, name := range []string{"VP8", "vp9", "H264", "h264", "AV1"} {
		if _, ok := KeyframeDetector(name); !ok {
			t.Errorf("KeyframeDetector(%q): none", name)
		}
	}
	for _, name := range []string{"opus", "rtx", "", "H265"} {
		if _, ok := KeyframeDetector(name); ok {
			t.Errorf("KeyframeDetector(%q): found one", name)
		}
	}
}
