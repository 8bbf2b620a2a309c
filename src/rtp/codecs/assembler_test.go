package codecs

import (
	"bytes"
	"errors"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
)

// step is one packet pushed into a FrameAssembler and what Push must answer.
type step struct {
	seq     uint16
	ts      uint32
	marker  bool
	payload string
	// wantFrame is the frame returned, "" for none; wantKey its keyframe flag.
	wantFrame string
	wantKey   bool
	wantErr   error
}

const (
	vp8Start    = "90 80 8000 "
	vp8Continue = "80 80 8000 "
	vp8Key      = "9015 00 9d012a b000 9000"
	vp8Inter    = "b104 00"
	annexB      = "00000001"
)

func TestFrameAssembler(t *testing.T) {
	tests := []struct {
		name    string
		codec   string
		maxSize int
		steps   []step
		// requireAt calls RequireKeyframe before the step of this index (0: never).
		requireAt int
	}{
		{
			name: "VP8: waits for a keyframe, then every frame flows", codec: "VP8",
			steps: []step{
				{seq: 1, ts: 100, marker: true, payload: vp8Start + vp8Inter},
				{seq: 2, ts: 200, payload: vp8Start + vp8Key},
				{seq: 3, ts: 200, marker: true, payload: vp8Continue + "aabb", wantFrame: vp8Key + "aabb", wantKey: true},
				{seq: 4, ts: 300, marker: true, payload: vp8Start + vp8Inter, wantFrame: vp8Inter},
			},
		},
		{
			name: "VP8: a gap is reported once, and frames wait for the next keyframe", codec: "VP8",
			steps: []step{
				{seq: 65535, ts: 100, marker: true, payload: vp8Start + vp8Key, wantFrame: vp8Key, wantKey: true},
				{seq: 1, ts: 300, payload: vp8Start + vp8Inter, wantErr: ErrFrameGap},
				{seq: 2, ts: 300, marker: true, payload: vp8Continue + "cc"},
				{seq: 3, ts: 400, marker: true, payload: vp8Start + vp8Inter},
				{seq: 4, ts: 500, marker: true, payload: vp8Start + vp8Key, wantFrame: vp8Key, wantKey: true},
			},
		},
		{
			name: "VP8: the rest of a frame whose start was lost is dropped quietly", codec: "VP8",
			steps: []step{
				{seq: 1, ts: 100, marker: true, payload: vp8Start + vp8Key, wantFrame: vp8Key, wantKey: true},
				{seq: 3, ts: 200, payload: vp8Continue + "01", wantErr: ErrFrameGap},
				{seq: 4, ts: 200, marker: true, payload: vp8Continue + "02"},
				{seq: 5, ts: 300, marker: true, payload: vp8Start + vp8Key, wantFrame: vp8Key, wantKey: true},
			},
		},
		{
			name: "VP8: duplicates and late packets are ignored", codec: "VP8",
			steps: []step{
				{seq: 10, ts: 100, payload: vp8Start + vp8Key},
				{seq: 10, ts: 100, payload: vp8Start + vp8Key},
				{seq: 11, ts: 100, marker: true, payload: vp8Continue + "dd", wantFrame: vp8Key + "dd", wantKey: true},
				{seq: 11, ts: 100, marker: true, payload: vp8Continue + "dd"},
				{seq: 9, ts: 100, payload: vp8Start + vp8Key},
				{seq: 12, ts: 200, marker: true, payload: vp8Start + vp8Inter, wantFrame: vp8Inter},
			},
		},
		{
			name: "VP8: a jump far back is a discontinuity", codec: "VP8",
			steps: []step{
				{seq: 5000, ts: 100, marker: true, payload: vp8Start + vp8Key, wantFrame: vp8Key, wantKey: true},
				{seq: 100, ts: 200, marker: true, payload: vp8Start + vp8Inter, wantErr: ErrFrameGap},
				{seq: 101, ts: 300, marker: true, payload: vp8Start + vp8Key, wantFrame: vp8Key, wantKey: true},
			},
		},
		{
			name: "VP8: a frame that does not begin with a start is broken", codec: "VP8",
			steps: []step{
				{seq: 1, ts: 100, marker: true, payload: vp8Start + vp8Key, wantFrame: vp8Key, wantKey: true},
				{seq: 2, ts: 200, payload: vp8Continue + "01", wantErr: ErrFrameBroken},
				{seq: 3, ts: 200, marker: true, payload: vp8Continue + "02"},
				{seq: 4, ts: 300, marker: true, payload: vp8Start + vp8Inter},
				{seq: 5, ts: 400, marker: true, payload: vp8Start + vp8Key, wantFrame: vp8Key, wantKey: true},
			},
		},
		{
			name: "VP8: a new timestamp before the marker breaks the frame; a keyframe there still counts", codec: "VP8",
			steps: []step{
				{seq: 1, ts: 100, payload: vp8Start + vp8Key},
				{seq: 2, ts: 200, marker: true, payload: vp8Start + vp8Key, wantFrame: vp8Key, wantKey: true, wantErr: ErrFrameBroken},
				{seq: 3, ts: 300, marker: true, payload: vp8Start + vp8Inter, wantFrame: vp8Inter},
			},
		},
		{
			name: "VP8: a second start inside a frame breaks it", codec: "VP8",
			steps: []step{
				{seq: 1, ts: 100, payload: vp8Start + vp8Key},
				{seq: 2, ts: 100, marker: true, payload: vp8Start + vp8Key, wantErr: ErrFrameBroken},
				{seq: 3, ts: 200, marker: true, payload: vp8Start + vp8Key, wantFrame: vp8Key, wantKey: true},
			},
		},
		{
			name: "VP8: a malformed descriptor breaks the frame", codec: "VP8",
			steps: []step{
				{seq: 1, ts: 100, payload: vp8Start + vp8Key},
				{seq: 2, ts: 100, payload: "90", wantErr: ErrFrameBroken},
				{seq: 3, ts: 100, marker: true, payload: vp8Continue + "01"},
				{seq: 4, ts: 200, marker: true, payload: vp8Start + vp8Key, wantFrame: vp8Key, wantKey: true},
			},
		},
		{
			name: "VP8: a key frame without its start code is broken", codec: "VP8",
			steps: []step{
				{seq: 1, ts: 100, marker: true, payload: vp8Start + "9015 00 000000 b000 9000", wantErr: ErrFrameBroken},
				{seq: 2, ts: 200, marker: true, payload: vp8Start + vp8Key, wantFrame: vp8Key, wantKey: true},
			},
		},
		{
			name: "VP8: a frame over the size limit is broken", codec: "VP8", maxSize: 12,
			steps: []step{
				{seq: 1, ts: 100, payload: vp8Start + vp8Key},
				{seq: 2, ts: 100, marker: true, payload: vp8Continue + "0102030405", wantErr: ErrFrameBroken},
				{seq: 3, ts: 200, marker: true, payload: vp8Start + vp8Key, wantFrame: vp8Key, wantKey: true},
			},
		},
		{
			name: "VP8: RequireKeyframe drops frames until the next keyframe", codec: "VP8", requireAt: 1,
			steps: []step{
				{seq: 1, ts: 100, marker: true, payload: vp8Start + vp8Key, wantFrame: vp8Key, wantKey: true},
				{seq: 2, ts: 200, marker: true, payload: vp8Start + vp8Inter},
				{seq: 3, ts: 300, marker: true, payload: vp8Start + vp8Key, wantFrame: vp8Key, wantKey: true},
			},
		},
		{
			name: "H264: STAP-A parameter sets and an FU-A IDR make an Annex B access unit", codec: "H264",
			steps: []step{
				{seq: 1, ts: 100, payload: "78 0005" + testSPS + "0004" + testPPS},
				{seq: 2, ts: 100, payload: "7c 85 0001"},
				{seq: 3, ts: 100, payload: "7c 05 0203"},
				{
					seq: 4, ts: 100, marker: true, payload: "7c 45 04",
					wantFrame: annexB + testSPS + annexB + testPPS + annexB + "65 0001020304", wantKey: true,
				},
				{seq: 5, ts: 200, marker: true, payload: "419a22", wantFrame: annexB + "419a22"},
			},
		},
		{
			name: "H264: an IDR without parameter sets gets the last ones", codec: "H264",
			steps: []step{
				{seq: 1, ts: 100, payload: "78 0005" + testSPS + "0004" + testPPS},
				{seq: 2, ts: 100, marker: true, payload: testIDR, wantFrame: annexB + testSPS + annexB + testPPS + annexB + testIDR, wantKey: true},
				{seq: 4, ts: 300, marker: true, payload: "419a22", wantErr: ErrFrameGap},
				{seq: 5, ts: 400, marker: true, payload: testIDR, wantFrame: annexB + testSPS + annexB + testPPS + annexB + testIDR, wantKey: true},
			},
		},
		{
			name: "H264: after a gap, a picture's later slice does not start a frame", codec: "H264",
			steps: []step{
				{seq: 1, ts: 100, payload: "78 0005" + testSPS + "0004" + testPPS},
				{seq: 2, ts: 100, marker: true, payload: testIDR, wantFrame: annexB + testSPS + annexB + testPPS + annexB + testIDR, wantKey: true},
				{seq: 4, ts: 200, payload: "65 4a", wantErr: ErrFrameGap},
				{seq: 5, ts: 200, marker: true, payload: "65 4b"},
				{seq: 6, ts: 300, marker: true, payload: "65 8c", wantFrame: annexB + testSPS + annexB + testPPS + annexB + "65 8c", wantKey: true},
			},
		},
		{
			name: "VP8: after a gap, the rest of the timestamp the gap fell in is skipped", codec: "VP8",
			steps: []step{
				{seq: 1, ts: 100, payload: vp8Start + vp8Key},
				{seq: 3, ts: 100, payload: vp8Start + vp8Key, wantErr: ErrFrameGap},
				{seq: 4, ts: 100, marker: true, payload: vp8Continue + "01"},
				{seq: 5, ts: 200, marker: true, payload: vp8Start + vp8Key, wantFrame: vp8Key, wantKey: true},
			},
		},
		{
			name: "H264: an IDR is no keyframe before any parameter set", codec: "H264",
			steps: []step{
				{seq: 1, ts: 100, marker: true, payload: testIDR},
				{seq: 2, ts: 200, payload: testSPS},
				{seq: 3, ts: 200, payload: testPPS},
				{seq: 4, ts: 200, marker: true, payload: testIDR, wantFrame: annexB + testSPS + annexB + testPPS + annexB + testIDR, wantKey: true},
			},
		},
		{
			name: "H264: a frame starting with a middle fragment is broken", codec: "H264",
			steps: []step{
				{seq: 1, ts: 100, marker: true, payload: "7c 45 04", wantErr: ErrFrameBroken},
				{seq: 2, ts: 200, payload: "78 0005" + testSPS + "0004" + testPPS},
				{seq: 3, ts: 200, marker: true, payload: testIDR, wantFrame: annexB + testSPS + annexB + testPPS + annexB + testIDR, wantKey: true},
			},
		},
		{
			name: "H264: two fragment starts in a row break the frame", codec: "H264",
			steps: []step{
				{seq: 1, ts: 100, payload: "7c 85 80"},
				{seq: 2, ts: 100, marker: true, payload: "7c 85 81", wantErr: ErrFrameBroken},
			},
		},
		{
			name: "H264: a fragment left open at the marker breaks the frame", codec: "H264",
			steps: []step{
				{seq: 1, ts: 100, payload: "78 0005" + testSPS + "0004" + testPPS},
				{seq: 2, ts: 100, marker: true, payload: "7c 85 00", wantErr: ErrFrameBroken},
			},
		},
		{
			name: "H264: a whole NAL unit inside an open fragment breaks the frame", codec: "H264",
			steps: []step{
				{seq: 1, ts: 100, payload: "7c 85 80"},
				{seq: 2, ts: 100, marker: true, payload: "419a", wantErr: ErrFrameBroken},
			},
		},
		{
			name: "H264: a truncated STAP-A breaks the frame", codec: "H264",
			steps: []step{
				{seq: 1, ts: 100, payload: testSPS},
				{seq: 2, ts: 100, marker: true, payload: "78 0009 68ce", wantErr: ErrFrameBroken},
			},
		},
		{
			name: "VP9: spatial layers above the base are skipped", codec: "VP9",
			steps: []step{
				{seq: 1, ts: 100, payload: "ac 05 00 00 0a0b"},
				{seq: 2, ts: 100, marker: true, payload: "ac 05 02 00 1a1b", wantFrame: "0a0b", wantKey: true},
				{seq: 3, ts: 200, payload: "e8 06 00 01 0c"},
				{seq: 4, ts: 200, payload: "e4 06 00 01 0d"},
				{seq: 5, ts: 200, marker: true, payload: "ec 06 02 01 1c", wantFrame: "0c0d"},
			},
		},
		{
			name: "VP9: a second layer frame start inside a picture breaks it", codec: "VP9",
			steps: []step{
				{seq: 1, ts: 100, payload: "ac 05 00 00 0a0b"},
				{seq: 2, ts: 100, marker: true, payload: "ac 05 00 00 0a0b", wantErr: ErrFrameBroken},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := NewFrameAssemblerWith(FrameAssemblerConfig{Codec: tt.codec, MaxFrameSize: tt.maxSize})
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tt.steps {
				if tt.requireAt == i && i > 0 {
					a.RequireKeyframe()
				}
				pkt := rtp.Packet{
					Header:  rtp.Header{SequenceNumber: s.seq, Timestamp: s.ts, Marker: s.marker},
					Payload: unhex(t, s.payload),
				}
				frame, ok, err := a.Push(&pkt)
				if !errors.Is(err, s.wantErr) || s.wantErr == nil && err != nil {
					t.Fatalf("step %d: error %v, want %v", i, err, s.wantErr)
				}
				if ok != (s.wantFrame != "") {
					t.Fatalf("step %d: frame returned %v, want %v", i, ok, s.wantFrame != "")
				}
				if !ok {
					continue
				}
				if want := unhex(t, s.wantFrame); !bytes.Equal(frame.Data, want) || frame.Keyframe != s.wantKey ||
					frame.Timestamp != s.ts {
					t.Fatalf("step %d: frame %x key %v ts %d, want %x key %v ts %d",
						i, frame.Data, frame.Keyframe, frame.Timestamp, want, s.wantKey, s.ts)
				}
				if a.WaitingForKeyframe() {
					t.Fatalf("step %d: still waiting for a keyframe after returning a frame", i)
				}
			}
		})
	}
}

func TestFrameAssemblerConfig(t *testing.T) {
	for _, cfg := range []FrameAssemblerConfig{{Codec: "AV1"}, {Codec: ""}, {Codec: "VP8", MaxFrameSize: -1}} {
		if _, err := NewFrameAssemblerWith(cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
	for _, codec := range []string{"vp8", "VP9", "h264"} {
		a, err := NewFrameAssembler(codec)
		if err != nil {
			t.Fatal(err)
		}
		if !a.WaitingForKeyframe() {
			t.Errorf("%s: a new assembler does not wait for a keyframe", codec)
		}
	}
}

// TestFrameAssemblerCaptured assembles what GStreamer's payloaders sent: every frame comes out whole, the
// keyframes at their timestamps, and nothing is reported.
func TestFrameAssemblerCaptured(t *testing.T) {
	tests := []struct {
		name       string
		keyTS      []uint32
		wantFrames int
	}{
		{name: "vp8", keyTS: []uint32{1917057982, 1917072981, 1917087981}, wantFrames: 12},
		{name: "vp9", keyTS: []uint32{3876787553, 3876802552, 3876817552}, wantFrames: 12},
		{name: "h264", keyTS: []uint32{882016677, 882031676, 882046676}, wantFrames: 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := NewFrameAssembler(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			var keys []uint32
			frames := 0
			for _, pkt := range capturedPackets(t, tt.name) {
				frame, ok, err := a.Push(&pkt)
				if err != nil {
					t.Fatalf("packet %d: %v", pkt.SequenceNumber, err)
				}
				if !ok {
					continue
				}
				frames++
				if frame.Keyframe {
					keys = append(keys, frame.Timestamp)
				}
			}
			if frames != tt.wantFrames || len(keys) != len(tt.keyTS) {
				t.Fatalf("%d frames, keyframes at %v; want %d frames, keyframes at %v", frames, keys, tt.wantFrames, tt.keyTS)
			}
			for i := range keys {
				if keys[i] != tt.keyTS[i] {
					t.Fatalf("keyframes at %v, want %v", keys, tt.keyTS)
				}
			}
			if s := a.Stats(); s.Gaps+s.Broken+s.DroppedFrames+s.DroppedPackets != 0 || s.Frames != uint64(frames) {
				t.Errorf("stats %+v", s)
			}
		})
	}
}
