package main

import (
	"testing"
	"time"
)

func TestAppendFrame(t *testing.T) {
	for _, tc := range []struct {
		name    string
		key     bool
		size    int
		packets int
	}{
		{"small interframe", false, 500, 1},
		{"interframe of a 1 Mbit/s 30 fps stream", false, 4166, 4},
		{"keyframe three times larger", true, 4166, 12},
		{"empty frame still sends a packet", false, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			queue := appendFrame(nil, tc.key, tc.size, 90)
			if len(queue) != tc.packets {
				t.Fatalf("%d packets, want %d", len(queue), tc.packets)
			}
			want := tc.size
			if tc.key {
				want *= keyframeScale
			}
			first := vp8Interframe
			if tc.key {
				first = vp8Keyframe
			}
			total := 0
			for i, v := range queue {
				total += v.filler
				size := len(v.prefix) + v.filler + stampSize
				if size > maxPayload || v.ts != 90 || v.marker != (i == len(queue)-1) ||
					(i == 0) != (string(v.prefix) == string(first)) {
					t.Errorf("packet %d: %d bytes, ts %d, marker %v, prefix %x", i, size, v.ts, v.marker, v.prefix)
				}
			}
			if total != want {
				t.Errorf("%d bytes of frame, want %d", total, want)
			}
		})
	}
}

func TestPacketGap(t *testing.T) {
	paced := mediaShape{videoBitrate: 1_000_000, fps: 30, pacing: 2.5}
	if got := paced.packetGap(1250); got != 4*time.Millisecond {
		t.Errorf("1,250 bytes at 2.5 Mbit/s: %s, want 4ms", got)
	}
	if got := (mediaShape{videoBitrate: 1_000_000, fps: 30}).packetGap(1250); got != 0 {
		t.Errorf("without pacing: %s, want 0", got)
	}
}
