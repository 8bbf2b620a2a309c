package codecs

import (
	"bytes"
	"errors"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
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

func FuzzVP8PayloadRoundTrip(f *testing.F) {
	f.Add([]byte{}, uint16(0), uint16(0))
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, uint16(6), uint16(0x7fff))
	f.Add(bytes.Repeat([]byte{0xaa}, 3000), uint16(1200), uint16(5))
	f.Fuzz(func(t *testing.T, data []byte, budget, pictureID uint16) {
		p, err := NewVP8PayloaderWith(VP8PayloaderConfig{PayloadBudget: int(budget), PictureID: pictureID})
		if err != nil {
			return
		}
		frame := append(unhex(t, vp8Key), data...)
		payloads, err := p.Payload(frame)
		if err != nil {
			t.Fatal(err)
		}
		limit := int(budget)
		if limit == 0 {
			limit = DefaultPayloadBudget
		}
		got := assembleOne(t, "VP8", payloads, limit)
		if !bytes.Equal(got, frame) {
			t.Fatalf("frame of %d bytes came back as %d bytes", len(frame), len(got))
		}
	})
}

func FuzzH264PayloadRoundTrip(f *testing.F) {
	f.Add(unhex(f, "00000001"+testSPS+"00000001"+testPPS+"00000001"+testIDR), uint16(0))
	f.Add(unhex(f, "000001 0910 000001 4180 0000 000001 4101 00000001 0cff"), uint16(3))
	f.Add(append(unhex(f, "00000001 6580"), bytes.Repeat([]byte{0x11}, 5000)...), uint16(100))
	f.Fuzz(func(t *testing.T, au []byte, budget uint16) {
		p, err := NewH264PayloaderWith(H264PayloaderConfig{PayloadBudget: int(budget)})
		if err != nil {
			return
		}
		payloads, err := p.Payload(au)
		if err != nil {
			return
		}
		var want []byte
		for _, nal := range p.nals {
			want = append(append(want, annexBStartCode[:]...), nal...)
		}
		if !(&h264Depacketizer{}).startsFrame(payloads[0]) {
			return // the encoder's access unit itself begins with a picture's later slice
		}
		limit := int(budget)
		if limit == 0 {
			limit = DefaultPayloadBudget
		}
		if got := assembleOne(t, "H264", payloads, limit); got != nil && !bytes.Equal(got, want) {
			t.Fatalf("access unit %x came back as %x", want, got)
		}
	})
}

// assembleOne checks the payloads of one frame against the budget, sends them through a FrameAssembler as one
// frame's packets and returns the frame, or nil when it is not a keyframe (a new assembler waits for one). A
// payloader's output must never be reported as lost or broken.
func assembleOne(t *testing.T, codec string, payloads [][]byte, budget int) []byte {
	t.Helper()
	a, err := NewFrameAssembler(codec)
	if err != nil {
		t.Fatal(err)
	}
	for i, payload := range payloads {
		if len(payload) > budget {
			t.Fatalf("payload %d: %d bytes over the budget %d", i, len(payload), budget)
		}
		pkt := rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(i), Marker: i == len(payloads)-1}, Payload: payload}
		frame, ok, err := a.Push(&pkt)
		if err != nil {
			t.Fatalf("payload %d: %v", i, err)
		}
		if ok != (i == len(payloads)-1 && !a.WaitingForKeyframe()) {
			t.Fatalf("payload %d of %d: frame returned %v", i, len(payloads), ok)
		}
		if ok {
			return bytes.Clone(frame.Data)
		}
	}
	return nil
}

// FuzzFrameAssembler pushes arbitrary packets: each record is a sequence number step (signed), flags (bit 0 the
// marker, bit 1 a new timestamp), a payload length and the payload.
func FuzzFrameAssembler(f *testing.F) {
	for i, codec := range []string{"vp8", "vp9", "h264"} {
		var stream []byte
		var lastTS uint32
		for k, p := range capturedPackets(f, codec) {
			flags := byte(0)
			if p.Marker {
				flags |= 1
			}
			if k > 0 && p.Timestamp != lastTS {
				flags |= 2
			}
			lastTS = p.Timestamp
			n := min(len(p.Payload), 255)
			stream = append(append(stream, 1, flags, byte(n)), p.Payload[:n]...)
		}
		f.Add(byte(i), stream)
	}
	f.Fuzz(func(t *testing.T, codecSel byte, stream []byte) {
		codec := []string{"VP8", "VP9", "H264"}[int(codecSel)%3]
		a, err := NewFrameAssembler(codec)
		if err != nil {
			t.Fatal(err)
		}
		var seq uint16
		var ts uint32
		needKey := true
		for len(stream) >= 3 {
			step, flags, n := int8(stream[0]), stream[1], min(int(stream[2]), len(stream)-3)
			payload := stream[3 : 3+n]
			stream = stream[3+n:]
			seq += uint16(step)
			if flags&2 != 0 {
				ts += 3000
			}
			pkt := rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: ts, Marker: flags&1 != 0}, Payload: payload}
			frame, ok, err := a.Push(&pkt)
			if err != nil && !errors.Is(err, ErrFrameGap) && !errors.Is(err, ErrFrameBroken) {
				t.Fatalf("unexpected error %v", err)
			}
			if err != nil && !ok {
				needKey = true
				if !a.WaitingForKeyframe() {
					t.Fatal("an incident reported, and no keyframe awaited")
				}
			}
			if !ok {
				continue
			}
			if len(frame.Data) == 0 || a.WaitingForKeyframe() || frame.Timestamp != ts {
				t.Fatalf("frame %x (ts %d) returned, waiting %v", frame.Data, frame.Timestamp, a.WaitingForKeyframe())
			}
			if needKey && !frame.Keyframe {
				t.Fatal("a frame that is not a keyframe returned while one was awaited")
			}
			needKey = false
			if codec == "VP8" {
				var h VP8FrameHeader
				if err := h.Unmarshal(frame.Data); err != nil || h.KeyFrame != frame.Keyframe {
					t.Fatalf("VP8 frame header %+v, %v; keyframe flag %v", h, err, frame.Keyframe)
				}
			}
		}
	})
}
