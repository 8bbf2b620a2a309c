package codecs

import (
	"errors"
	"testing"
)

func TestOpusPacketUnmarshal(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		want        OpusPacket
		wantSamples int
		wantErr     error
	}{
		{name: "CELT FB 20 ms, one frame (opusenc)", in: "f8 b50e7d", want: OpusPacket{Config: 31, FrameCount: 1, FrameSamples: 960}, wantSamples: 960},
		{name: "DTX: TOC only", in: "f8", want: OpusPacket{Config: 31, FrameCount: 1, FrameSamples: 960}, wantSamples: 960},
		{name: "SILK NB 10 ms stereo", in: "04 00", want: OpusPacket{Stereo: true, FrameCount: 1, FrameSamples: 480}, wantSamples: 480},
		{name: "SILK WB 60 ms", in: "58 00", want: OpusPacket{Config: 11, FrameCount: 1, FrameSamples: 2880}, wantSamples: 2880},
		{name: "hybrid FB 10 ms", in: "70 00", want: OpusPacket{Config: 14, FrameCount: 1, FrameSamples: 480}, wantSamples: 480},
		{name: "CELT NB 2.5 ms", in: "80 00", want: OpusPacket{Config: 16, FrameCount: 1, FrameSamples: 120}, wantSamples: 120},
		{name: "two equal frames", in: "f9 aabb", want: OpusPacket{Config: 31, FrameCount: 2, FrameSamples: 960}, wantSamples: 1920},
		{name: "two frames of different sizes", in: "fa 01 aa bbcc", want: OpusPacket{Config: 31, FrameCount: 2, FrameSamples: 960}, wantSamples: 1920},
		{name: "code 3 CBR, 3 frames", in: "fb 03 aabbcc", want: OpusPacket{Config: 31, FrameCount: 3, FrameSamples: 960}, wantSamples: 2880},
		{name: "code 3 with padding", in: "fb 42 03 aabb 000000", want: OpusPacket{Config: 31, FrameCount: 2, FrameSamples: 960}, wantSamples: 1920},
		{name: "code 3 VBR", in: "fb 82 01 aa bbcc", want: OpusPacket{Config: 31, FrameCount: 2, FrameSamples: 960}, wantSamples: 1920},
		{name: "code 3, 48 frames of 2.5 ms", in: "83 30", want: OpusPacket{Config: 16, FrameCount: 48, FrameSamples: 120}, wantSamples: 5760},
		{name: "empty", in: "", wantErr: ErrShortPayload},
		{name: "code 1 with an odd size", in: "f9 aabbcc", wantErr: ErrOpusFrames},
		{name: "code 2 without frame length", in: "fa", wantErr: ErrShortPayload},
		{name: "code 2 with half a 2-byte length", in: "fa fc", wantErr: ErrShortPayload},
		{name: "code 2 first frame past the end", in: "fa 05 aa", wantErr: ErrOpusFrames},
		{name: "code 3 without frame count", in: "fb", wantErr: ErrShortPayload},
		{name: "code 3 with 0 frames", in: "fb 00", wantErr: ErrOpusFrames},
		{name: "code 3 above 120 ms", in: "fb 07 00000000000000", wantErr: ErrOpusFrames},
		{name: "code 3 CBR size not a multiple of the count", in: "fb 02 aabbcc", wantErr: ErrOpusFrames},
		{name: "code 3 padding length missing", in: "fb 41", wantErr: ErrShortPayload},
		{name: "code 3 padding chain cut", in: "fb 41 ff", wantErr: ErrShortPayload},
		{name: "code 3 padding past the end", in: "fb 41 05 aa", wantErr: ErrOpusFrames},
		{name: "code 3 VBR lengths past the end", in: "fb 82 05 aa", wantErr: ErrOpusFrames},
		{name: "code 3 VBR length missing", in: "fb 83 01", wantErr: ErrShortPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p OpusPacket
			err := p.Unmarshal(unhex(t, tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if p != tt.want || p.Samples() != tt.wantSamples {
				t.Errorf("Unmarshal = %+v (%d samples), want %+v (%d)", p, p.Samples(), tt.want, tt.wantSamples)
			}
		})
	}
}

func TestOpusFrameSizeLimits(t *testing.T) {
	// A single frame may hold 1275 bytes (RFC 6716 R2), code 1 frames too, and a 2-byte length reaches 1275.
	ok := map[string][]byte{
		"code 0, 1275 bytes":               append([]byte{0xf8}, make([]byte, 1275)...),
		"code 1, 2 x 1275 bytes":           append([]byte{0xf9}, make([]byte, 2550)...),
		"code 2, 2-byte length 1275 first": append(unhex(t, "fa ff ff"), make([]byte, 1275+10)...),
	}
	for name, in := range ok {
		var p OpusPacket
		if err := p.Unmarshal(in); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad := map[string][]byte{
		"code 0, 1276 bytes":                 append([]byte{0xf8}, make([]byte, 1276)...),
		"code 1, 2 x 1276 bytes":             append([]byte{0xf9}, make([]byte, 2552)...),
		"code 2, second frame of 1276 bytes": append(unhex(t, "fa 01"), make([]byte, 1+1276)...),
		"code 3 CBR, 2 x 1276 bytes":         append(unhex(t, "fb 02"), make([]byte, 2552)...),
	}
	for name, in := range bad {
		var p OpusPacket
		if err := p.Unmarshal(in); !errors.Is(err, ErrOpusFrames) {
			t.Errorf("%s: error = %v, want ErrOpusFrames", name, err)
		}
	}
}

func TestCapturedOpus(t *testing.T) {
	pkts := capturedPackets(t, "opus")
	for i, p := range pkts {
		var o OpusPacket
		if err := o.Unmarshal(p.Payload); err != nil {
			t.Fatalf("seq %d: %v", p.SequenceNumber, err)
		}
		// After the first packet (encoder pre-skip), each timestamp step is the previous packet's duration.
		if i >= 2 {
			var prev OpusPacket
			if err := prev.Unmarshal(pkts[i-1].Payload); err != nil {
				t.Fatal(err)
			}
			if step := p.Timestamp - pkts[i-1].Timestamp; step != uint32(prev.Samples()) {
				t.Errorf("seq %d: timestamp step %d, previous packet lasts %d samples", p.SequenceNumber, step, prev.Samples())
			}
		}
	}
}
