package codecs

import (
	"testing"
)

// addSeeds seeds f with hand-made payloads and with the payloads of the captured packets of the given codec.
func addSeeds(f *testing.F, captured string, payloads ...string) {
	for _, p := range payloads {
		f.Add(unhex(f, p))
	}
	if captured == "" {
		return
	}
	for _, p := range capturedPackets(f, captured) {
		f.Add(p.Payload)
	}
}

func FuzzVP8(f *testing.F) {
	addSeeds(f, "vp8", "10 9015 00 9d012a b000 9000", "90 f0 8123 44 a7 b104 00", "90 80 05", "33")
	f.Fuzz(func(t *testing.T, payload []byte) {
		var d VP8Descriptor
		n, err := d.Unmarshal(payload)
		if err != nil {
			if VP8StartsKeyframe(payload) {
				t.Fatal("keyframe start without a descriptor")
			}
			return
		}
		if n < 1 || n > len(payload) || n > 6 {
			t.Fatalf("descriptor length %d of %d bytes", n, len(payload))
		}
		if d.PictureID > 0x7fff || !d.LongPictureID && d.PictureID > 0x7f || d.TID > 3 || d.KeyIdx > 31 {
			t.Fatalf("field out of range: %+v", d)
		}
		var h VP8FrameHeader
		headerErr := h.Unmarshal(payload[n:])
		want := d.StartsFrame() && headerErr == nil && h.KeyFrame
		if VP8StartsKeyframe(payload) != want {
			t.Fatalf("VP8StartsKeyframe disagrees with descriptor %+v and frame header %+v, %v", d, h, headerErr)
		}
	})
}

func FuzzVP9(f *testing.F) {
	addSeeds(f, "vp9", "a8 05 b0 07", "f8 05 00 0b 04", "0a 28 02 44 01 84 02 04", "d8 05 03 03 03 02")
	f.Fuzz(func(t *testing.T, payload []byte) {
		var d VP9Descriptor
		n, err := d.Unmarshal(payload)
		if err != nil {
			if VP9StartsKeyframe(payload) {
				t.Fatal("keyframe start without a descriptor")
			}
			return
		}
		if n < 1 || n > len(payload) {
			t.Fatalf("descriptor length %d of %d bytes", n, len(payload))
		}
		if d.PDiffCount > 3 || d.SpatialLayers > VP9MaxSpatialLayers || d.TID > 7 || d.SID > 7 {
			t.Fatalf("field out of range: %+v", d)
		}
		if VP9StartsKeyframe(payload) != (d.StartOfFrame && !d.InterPicturePredicted && d.SID == 0) {
			t.Fatalf("VP9StartsKeyframe disagrees with %+v", d)
		}
	})
}

func FuzzH264(f *testing.F) {
	addSeeds(f, "h264", "65 8884", "78 0002 6742 0002 68ce", "7c 85 88", "5c 81 9a", "78 0003 780001", "19 0000")
	f.Fuzz(func(t *testing.T, payload []byte) {
		var p H264Packet
		if err := p.Unmarshal(payload); err != nil {
			if H264StartsKeyframe(payload) {
				t.Fatal("keyframe start in an invalid payload")
			}
			return
		}
		if p.Carries(0) || p.Carries(H264STAPA) || p.Carries(H264FUA) {
			t.Fatalf("carries a NAL unit type that cannot be carried: %+v", p)
		}
		if p.Type != H264FUA && (!p.FragmentStart || !p.FragmentEnd) {
			t.Fatalf("unfragmented packet marked as a fragment: %+v", p)
		}
		if H264StartsKeyframe(payload) != p.StartsKeyframe() {
			t.Fatal("H264StartsKeyframe disagrees with H264Packet.StartsKeyframe")
		}
	})
}

func FuzzAV1(f *testing.F) {
	addSeeds(f, "", "18 0a0b", "10 32", "88 00", "c0 ff")
	f.Fuzz(func(t *testing.T, payload []byte) {
		var h AV1AggregationHeader
		err := h.Unmarshal(payload)
		if AV1StartsKeyframe(payload) != (err == nil && h.NewSequence) {
			t.Fatalf("AV1StartsKeyframe disagrees with %+v, %v", h, err)
		}
		if err == nil && (h.OBUCount > 3 || h.NewSequence && h.Continuation) {
			t.Fatalf("invalid header accepted: %+v", h)
		}
	})
}

func FuzzOpus(f *testing.F) {
	addSeeds(f, "opus", "fb 42 03 aabb 000000", "fb 82 01 aa bbcc", "fa 01 aa bbcc", "83 30", "f9 aabb")
	f.Fuzz(func(t *testing.T, payload []byte) {
		var p OpusPacket
		if err := p.Unmarshal(payload); err != nil {
			return
		}
		if p.FrameCount < 1 || p.FrameCount > 48 || p.Samples() > 5760 || p.Samples() < 120 {
			t.Fatalf("accepted %+v (%d samples)", p, p.Samples())
		}
	})
}
