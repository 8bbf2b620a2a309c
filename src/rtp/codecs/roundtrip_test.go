package codecs

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
)

// testFrame is one encoded frame of a synthetic stream and the bytes the assembler must give back for it.
type testFrame struct {
	input, want []byte
	keyframe    bool
}

// randomBytes returns n bytes without zeros, so that H264 NAL units hold no start code emulation.
func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(1 + rng.IntN(255))
	}
	return b
}

// vp8Stream makes VP8 frames, a keyframe every keyEvery, of sizes up to maxSize.
func vp8Stream(t testing.TB, rng *rand.Rand, frames, keyEvery, maxSize int) []testFrame {
	out := make([]testFrame, frames)
	for i := range out {
		key := i%keyEvery == 0
		header := unhex(t, vp8Inter)
		if key {
			header = unhex(t, vp8Key)
		}
		data := append(header, randomBytes(rng, rng.IntN(maxSize))...)
		out[i] = testFrame{input: data, want: data, keyframe: key}
	}
	return out
}

// h264Stream makes H264 access units, a keyframe every keyEvery: every other keyframe carries its SPS and PPS,
// which the payloader must add to the others; delta access units hold one to three slices. As in a real stream,
// only the first slice of a picture has first_mb_in_slice 0 (the first bit of its slice header set).
func h264Stream(t testing.TB, rng *rand.Rand, frames, keyEvery, maxSize int) []testFrame {
	sps, pps := unhex(t, testSPS), unhex(t, testPPS)
	annexB := func(nals ...[]byte) []byte {
		var b []byte
		for _, nal := range nals {
			b = append(append(b, 0, 0, 0, 1), nal...)
		}
		return b
	}
	out := make([]testFrame, frames)
	for i := range out {
		if i%keyEvery == 0 {
			idr := append([]byte{0x65}, randomBytes(rng, 1+rng.IntN(maxSize))...)
			idr[1] |= 0x80
			f := testFrame{input: annexB(idr), want: annexB(sps, pps, idr), keyframe: true}
			if i%(2*keyEvery) == 0 {
				f.input = f.want
			}
			out[i] = f
			continue
		}
		var slices [][]byte
		for k := range 1 + rng.IntN(3) {
			slice := append([]byte{0x41}, randomBytes(rng, 1+rng.IntN(maxSize/3+1))...)
			if k == 0 {
				slice[1] |= 0x80
			} else {
				slice[1] = max(slice[1]&0x7f, 1)
			}
			slices = append(slices, slice)
		}
		out[i] = testFrame{input: annexB(slices...), want: annexB(slices...)}
	}
	return out
}

// payloader is what both payloaders offer.
type payloader interface {
	Payload(frame []byte) ([][]byte, error)
}

// sentPacket is one RTP packet of a synthetic stream, with the frame it belongs to.
type sentPacket struct {
	pkt   rtp.Packet
	frame int
}

// packetizeStream payloads every frame into RTP packets: consecutive sequence numbers from seq (wrapping), one
// timestamp per frame 3000 ticks apart, the marker on each frame's last packet.
func packetizeStream(t *testing.T, p payloader, frames []testFrame, seq uint16) []sentPacket {
	t.Helper()
	var out []sentPacket
	for i, f := range frames {
		payloads, err := p.Payload(f.input)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		for k, payload := range payloads {
			out = append(out, sentPacket{
				pkt: rtp.Packet{
					Header:  rtp.Header{SequenceNumber: seq, Timestamp: uint32(1000 + 3000*i), Marker: k == len(payloads)-1},
					Payload: bytes.Clone(payload),
				},
				frame: i,
			})
			seq++
		}
	}
	return out
}

func TestPayloadAssembleRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, codec := range []string{"VP8", "H264"} {
		for _, budget := range []int{20, 300, DefaultPayloadBudget} {
			t.Run(fmt.Sprintf("%s budget %d", codec, budget), func(t *testing.T) {
				p, frames := newTestStream(t, rng, codec, budget)
				a, err := NewFrameAssembler(codec)
				if err != nil {
					t.Fatal(err)
				}
				next := 0
				for _, sp := range packetizeStream(t, p, frames, 65000) {
					if len(sp.pkt.Payload) > budget {
						t.Fatalf("payload of %d bytes over the budget", len(sp.pkt.Payload))
					}
					frame, ok, err := a.Push(&sp.pkt)
					if err != nil {
						t.Fatalf("frame %d: %v", sp.frame, err)
					}
					if !ok {
						continue
					}
					if sp.frame != next {
						t.Fatalf("frame %d returned, want %d", sp.frame, next)
					}
					if !bytes.Equal(frame.Data, frames[next].want) || frame.Keyframe != frames[next].keyframe {
						t.Fatalf("frame %d differs (keyframe %v)", next, frame.Keyframe)
					}
					next++
				}
				if next != len(frames) {
					t.Fatalf("%d frames of %d came back", next, len(frames))
				}
			})
		}
	}
}

// TestPayloadAssembleLossy drops packets at random: every frame returned is whole, and after a loss only a
// keyframe resumes the stream.
func TestPayloadAssembleLossy(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for _, codec := range []string{"VP8", "H264"} {
		t.Run(codec, func(t *testing.T) {
			p, frames := newTestStream(t, rng, codec, 200)
			a, err := NewFrameAssembler(codec)
			if err != nil {
				t.Fatal(err)
			}
			lost := make(map[int]bool) // frames with a lost packet
			last, returned, reported := -1, 0, 0
			for _, sp := range packetizeStream(t, p, frames, 0) {
				if rng.IntN(20) == 0 {
					lost[sp.frame] = true
					continue
				}
				frame, ok, err := a.Push(&sp.pkt)
				if err != nil {
					reported++
				}
				if !ok {
					continue
				}
				// A keyframe that lost only its parameter sets comes back whole: the assembler adds the last ones.
				if !bytes.Equal(frame.Data, frames[sp.frame].want) {
					t.Fatalf("frame %d returned damaged", sp.frame)
				}
				if sp.frame != last+1 && !frame.Keyframe {
					t.Fatalf("frame %d follows frame %d without being a keyframe", sp.frame, last)
				}
				last = sp.frame
				returned++
			}
			if len(lost) == 0 || reported == 0 || returned == 0 || returned+len(lost) > len(frames) {
				t.Fatalf("%d frames with losses, %d incidents reported, %d frames of %d returned",
					len(lost), reported, returned, len(frames))
			}
		})
	}
}

// newTestStream returns a payloader with the budget and a stream of 200 frames for the codec.
func newTestStream(t *testing.T, rng *rand.Rand, codec string, budget int) (payloader, []testFrame) {
	t.Helper()
	if codec == "VP8" {
		p, err := NewVP8PayloaderWith(VP8PayloaderConfig{PayloadBudget: budget, PictureID: 0x7f00})
		if err != nil {
			t.Fatal(err)
		}
		return p, vp8Stream(t, rng, 200, 10, 3000)
	}
	p, err := NewH264PayloaderWith(H264PayloaderConfig{PayloadBudget: budget})
	if err != nil {
		t.Fatal(err)
	}
	return p, h264Stream(t, rng, 200, 10, 3000)
}
