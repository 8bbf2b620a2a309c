package interop

import (
	"bytes"
	"math/rand/v2"
	"testing"

	pionrtp "github.com/pion/rtp"
	pioncodecs "github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp/codecs"
)

// Frames of a synthetic stream, shaped like an encoder's: VP8 frames with a real frame tag (key frames with their
// start code and size), H264 access units in Annex B form whose slices carry a plausible first slice header bit.
const (
	vp8KeyHeader   = "\x90\x15\x00\x9d\x01\x2a\xb0\x00\x90\x00"
	vp8InterHeader = "\xb1\x04\x00"
	h264SPS        = "\x67\x42\xc0\x1e\xab"
	h264PPS        = "\x68\xce\x3c\x80"
)

// noZeros returns n random bytes without zeros, so that H264 NAL units hold no start code emulation.
func noZeros(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(1 + rng.IntN(255))
	}
	return b
}

// syntheticVP8 returns frames, a key frame every 10, of up to 4,000 bytes.
func syntheticVP8(rng *rand.Rand, n int) (frames [][]byte, keys []bool) {
	for i := range n {
		header := vp8InterHeader
		if i%10 == 0 {
			header = vp8KeyHeader
		}
		frames = append(frames, append([]byte(header), noZeros(rng, rng.IntN(4000))...))
		keys = append(keys, i%10 == 0)
	}
	return frames, keys
}

// syntheticH264 returns access units as NAL unit lists, a keyframe (SPS, PPS, IDR) every 10, otherwise one to
// three slices.
func syntheticH264(rng *rand.Rand, n int) (units [][][]byte, keys []bool) {
	for i := range n {
		var nals [][]byte
		if i%10 == 0 {
			idr := append([]byte{0x65}, noZeros(rng, 1+rng.IntN(6000))...)
			idr[1] |= 0x80
			nals = [][]byte{[]byte(h264SPS), []byte(h264PPS), idr}
		} else {
			for k := range 1 + rng.IntN(3) {
				slice := append([]byte{0x41}, noZeros(rng, 1+rng.IntN(1500))...)
				if k == 0 {
					slice[1] |= 0x80
				} else {
					slice[1] = max(slice[1]&0x7f, 1)
				}
				nals = append(nals, slice)
			}
		}
		units = append(units, nals)
		keys = append(keys, i%10 == 0)
	}
	return units, keys
}

// annexB joins NAL units with 4-byte start codes, the form both depacketizers write.
func annexB(nals [][]byte) []byte {
	var b []byte
	for _, nal := range nals {
		b = append(append(b, 0, 0, 0, 1), nal...)
	}
	return b
}

// toPionPackets wraps payloads into pion RTP packets, one frame per timestamp, the marker on each frame's last.
func toPionPackets(frames [][][]byte) []*pionrtp.Packet {
	var out []*pionrtp.Packet
	seq := uint16(65500)
	for i, payloads := range frames {
		for k, payload := range payloads {
			out = append(out, &pionrtp.Packet{
				Header: pionrtp.Header{
					Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: uint32(3000 * (i + 1)), SSRC: 1,
					Marker: k == len(payloads)-1,
				},
				Payload: bytes.Clone(payload),
			})
			seq++
		}
	}
	return out
}

// pionSamples runs packets through pion's sample builder with the given depacketizer and returns the samples.
func pionSamples(t *testing.T, depacketizer pionrtp.Depacketizer, pkts []*pionrtp.Packet) [][]byte {
	t.Helper()
	sb := samplebuilder.New(64, depacketizer, 90000)
	var out [][]byte
	for _, p := range pkts {
		sb.Push(p)
		for s := sb.Pop(); s != nil; s = sb.Pop() {
			out = append(out, s.Data)
		}
	}
	sb.Flush()
	for s := sb.Pop(); s != nil; s = sb.Pop() {
		out = append(out, s.Data)
	}
	return out
}

// ourFrames runs pion's packets through our FrameAssembler and returns the frames and their keyframe flags.
func ourFrames(t *testing.T, codec string, pkts []*pionrtp.Packet) (frames [][]byte, keys []bool) {
	t.Helper()
	a, err := codecs.NewFrameAssembler(codec)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pkts {
		buf, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		var ours rtp.Packet
		if err := ours.Unmarshal(buf); err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		frame, ok, err := a.Push(&ours)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if ok {
			frames = append(frames, bytes.Clone(frame.Data))
			keys = append(keys, frame.Keyframe)
		}
	}
	return frames, keys
}

// TestVP8PayloaderWithPionReceiver sends our VP8 payloads to pion: its descriptor parser agrees with ours on every
// packet, and its sample builder rebuilds every frame.
func TestVP8PayloaderWithPionReceiver(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	frames, _ := syntheticVP8(rng, 100)
	p, err := codecs.NewVP8PayloaderWith(codecs.VP8PayloaderConfig{PictureID: 0x7ff0, WithTL0PICIDX: true})
	if err != nil {
		t.Fatal(err)
	}
	var payloads [][][]byte
	for i, frame := range frames {
		id := p.PictureID()
		out, err := p.Payload(frame)
		if err != nil {
			t.Fatal(err)
		}
		var copies [][]byte
		for k, payload := range out {
			var theirs pioncodecs.VP8Packet
			if _, err := theirs.Unmarshal(payload); err != nil {
				t.Fatalf("frame %d payload %d: pion: %v", i, k, err)
			}
			if theirs.S != boolBit(k == 0) || theirs.PID != 0 || theirs.I != 1 || theirs.PictureID != id ||
				theirs.L != 1 || theirs.TL0PICIDX != uint8(i) || len(payload) > codecs.DefaultPayloadBudget {
				t.Fatalf("frame %d payload %d: pion reads %+v", i, k, theirs)
			}
			copies = append(copies, bytes.Clone(payload))
		}
		payloads = append(payloads, copies)
	}
	samples := pionSamples(t, &pioncodecs.VP8Packet{}, toPionPackets(payloads))
	// The sample builder holds the last frame back until a later one shows it complete.
	if len(samples) < len(frames)-1 {
		t.Fatalf("pion rebuilt %d frames of %d", len(samples), len(frames))
	}
	for i, s := range samples {
		if !bytes.Equal(s, frames[i]) {
			t.Fatalf("frame %d differs after pion's sample builder", i)
		}
	}
}

// TestVP8PionPayloaderToAssembler sends pion's VP8 payloads to our assembler.
func TestVP8PionPayloaderToAssembler(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	frames, keys := syntheticVP8(rng, 100)
	p := &pioncodecs.VP8Payloader{EnablePictureID: true}
	var payloads [][][]byte
	for _, frame := range frames {
		payloads = append(payloads, p.Payload(1200, frame))
	}
	got, gotKeys := ourFrames(t, "VP8", toPionPackets(payloads))
	if len(got) != len(frames) {
		t.Fatalf("assembled %d frames of %d", len(got), len(frames))
	}
	for i := range got {
		if !bytes.Equal(got[i], frames[i]) || gotKeys[i] != keys[i] {
			t.Fatalf("frame %d differs (keyframe %v, want %v)", i, gotKeys[i], keys[i])
		}
	}
}

// TestH264PayloaderWithPionReceiver sends our H264 payloads to pion: its sample builder rebuilds each access
// unit, in Annex B form, with the parameter sets our payloader put ahead of every IDR that lacked them.
func TestH264PayloaderWithPionReceiver(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	units, keys := syntheticH264(rng, 100)
	p := codecs.NewH264Payloader()
	var payloads [][][]byte
	for i, nals := range units {
		input := nals
		if keys[i] && i%20 == 10 {
			input = nals[2:] // an IDR without its parameter sets: the payloader adds the last ones
		}
		out, err := p.Payload(annexB(input))
		if err != nil {
			t.Fatal(err)
		}
		var copies [][]byte
		for _, payload := range out {
			copies = append(copies, bytes.Clone(payload))
		}
		payloads = append(payloads, copies)
	}
	samples := pionSamples(t, &pioncodecs.H264Packet{}, toPionPackets(payloads))
	if len(samples) < len(units)-1 {
		t.Fatalf("pion rebuilt %d access units of %d", len(samples), len(units))
	}
	for i, s := range samples {
		if !bytes.Equal(s, annexB(units[i])) {
			t.Fatalf("access unit %d differs after pion's sample builder", i)
		}
	}
}

// TestH264PionPayloaderToAssembler sends pion's H264 payloads to our assembler. pion keeps SPS and PPS back and
// sends them in a STAP-A ahead of the next NAL unit, the IDR: the access unit comes out the same.
func TestH264PionPayloaderToAssembler(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	units, keys := syntheticH264(rng, 100)
	p := &pioncodecs.H264Payloader{}
	var payloads [][][]byte
	for _, nals := range units {
		payloads = append(payloads, p.Payload(1200, annexB(nals)))
	}
	got, gotKeys := ourFrames(t, "H264", toPionPackets(payloads))
	if len(got) != len(units) {
		t.Fatalf("assembled %d access units of %d", len(got), len(units))
	}
	for i := range got {
		if !bytes.Equal(got[i], annexB(units[i])) || gotKeys[i] != keys[i] {
			t.Fatalf("access unit %d differs (keyframe %v, want %v)", i, gotKeys[i], keys[i])
		}
	}
}

func boolBit(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
