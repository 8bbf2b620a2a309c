package codecs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func TestVP8PictureRewriter(t *testing.T) {
	type step struct {
		switchFirst bool
		in, want    string
		err         error
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"unchanged before any switch", []step{
			{in: "90 80 9e36 aa", want: "90 80 9e36 aa"},
			{in: "90 c0 9e37 05 bb", want: "90 c0 9e37 05 bb"},
			{in: "10 aa", want: "10 aa"},
		}},
		{"15-bit picture ID follows the newest written", []step{
			{in: "90 80 8010", want: "90 80 8010"},
			{in: "90 80 8012", want: "90 80 8012"},
			{in: "90 80 8011", want: "90 80 8011"}, // reordered: not the newest
			{switchFirst: true, in: "90 80 f000", want: "90 80 8013"},
			{in: "80 80 f000", want: "80 80 8013"}, // the same frame's next packet
			{in: "90 80 f001", want: "90 80 8014"},
		}},
		{"wraps at 2^15", []step{
			{in: "90 80 fffe", want: "90 80 fffe"},
			{switchFirst: true, in: "90 80 8100", want: "90 80 ffff"},
			{in: "90 80 8101", want: "90 80 8000"},
		}},
		{"7-bit picture ID wraps at 128", []step{
			{in: "90 80 7e", want: "90 80 7e"},
			{switchFirst: true, in: "90 80 05", want: "90 80 7f"},
			{in: "90 80 06", want: "90 80 00"},
		}},
		{"TL0PICIDX follows the newest written", []step{
			{in: "90 e0 8005 fe 20", want: "90 e0 8005 fe 20"},
			{in: "90 e0 8006 ff 40", want: "90 e0 8006 ff 40"},
			{switchFirst: true, in: "90 e0 8100 33 20", want: "90 e0 8007 00 20"},
			{in: "90 e0 8101 34 40", want: "90 e0 8008 01 40"},
		}},
		{"TL0PICIDX alone", []step{
			{in: "90 40 10", want: "90 40 10"},
			{switchFirst: true, in: "90 40 80", want: "90 40 11"},
		}},
		{"a packet without picture ID keeps the switch pending", []step{
			{in: "90 80 8010", want: "90 80 8010"},
			{switchFirst: true, in: "10 aa", want: "10 aa"},
			{in: "90 80 9000", want: "90 80 8011"},
		}},
		{"first switch before any picture ID keeps the source's numbering", []step{
			{switchFirst: true, in: "90 80 9000", want: "90 80 9000"},
			{in: "90 80 9001", want: "90 80 9001"},
		}},
		{"truncated descriptors are left as is", []step{
			{in: "", want: "", err: ErrShortPayload},
			{in: "90", want: "90", err: ErrShortPayload},
			{in: "90 80", want: "90 80", err: ErrShortPayload},
			{in: "90 80 80", want: "90 80 80", err: ErrShortPayload},
			{in: "90 c0 8001", want: "90 c0 8001", err: ErrShortPayload},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r VP8PictureRewriter
			for i, s := range tt.steps {
				if s.switchFirst {
					r.Switch()
				}
				b := unhex(t, s.in)
				if err := r.Rewrite(b); !errors.Is(err, s.err) {
					t.Fatalf("step %d: err %v, want %v", i, err, s.err)
				}
				if want := unhex(t, s.want); !bytes.Equal(b, want) {
					t.Fatalf("step %d: %x, want %x", i, b, want)
				}
			}
		})
	}
}

// TestVP8PictureRewriterCapturedSwitch switches a captured stream (GStreamer's rtpvp8pay, 15-bit picture IDs) to a
// copy of itself numbered from another base, across the wrap: the picture IDs written go on one by one.
func TestVP8PictureRewriterCapturedSwitch(t *testing.T) {
	pkts := capturedPackets(t, "vp8")
	if len(pkts) < 10 {
		t.Fatalf("%d packets captured", len(pkts))
	}
	var r VP8PictureRewriter
	var written []uint16
	rewrite := func(payload []byte, shift uint16, switchFirst bool) {
		t.Helper()
		b := bytes.Clone(payload)
		var d VP8Descriptor
		if _, err := d.Unmarshal(b); err != nil || !d.LongPictureID {
			t.Fatalf("captured descriptor %+v: %v", d, err)
		}
		binary.BigEndian.PutUint16(b[2:], 0x8000|(d.PictureID+shift)&0x7fff)
		if switchFirst {
			r.Switch()
		}
		if err := r.Rewrite(b); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		if len(written) == 0 || written[len(written)-1] != d.PictureID {
			written = append(written, d.PictureID)
		}
		if !bytes.Equal(b[4:], payload[4:]) {
			t.Fatal("the rewriter changed the VP8 data")
		}
	}
	half := len(pkts) / 2
	for { // the second source starts on a frame's first packet
		var d VP8Descriptor
		if _, err := d.Unmarshal(pkts[half].Payload); err == nil && d.StartsFrame() {
			break
		}
		half++
	}
	for _, p := range pkts[:half] {
		rewrite(p.Payload, 0, false)
	}
	for i, p := range pkts[half:] {
		rewrite(p.Payload, 0x7fff-20, i == 0) // the second source's IDs wrap through 0x7fff
	}
	for i := 1; i < len(written); i++ {
		if written[i] != (written[i-1]+1)&0x7fff {
			t.Fatalf("picture IDs written %v: not consecutive at %d", written, i)
		}
	}
}

// FuzzVP8PictureRewriter: no panic, the length is kept, and nothing but the picture ID and TL0PICIDX changes.
func FuzzVP8PictureRewriter(f *testing.F) {
	for _, seed := range []string{"90 80 9e36 aa", "90 e0 8005 fe 20", "90 80 05", "90 40 10", "10 aa", "90 c0 80",
		""} {
		f.Add(unhex(f, seed), true)
	}
	f.Fuzz(func(t *testing.T, payload []byte, switchFirst bool) {
		var r VP8PictureRewriter
		prime := unhex(t, "90 c0 8123 45")
		if err := r.Rewrite(prime); err != nil {
			t.Fatal(err)
		}
		if switchFirst {
			r.Switch()
		}
		b := bytes.Clone(payload)
		err := r.Rewrite(b)
		if len(b) != len(payload) {
			t.Fatal("length changed")
		}
		var in, out VP8Descriptor
		nIn, errIn := in.Unmarshal(payload)
		nOut, errOut := out.Unmarshal(b)
		if (errIn == nil) != (errOut == nil) || nIn != nOut {
			t.Fatalf("descriptor %x became %x", payload, b)
		}
		if errIn != nil {
			return
		}
		if err != nil {
			t.Fatalf("Rewrite failed on a descriptor that parses: %v", err)
		}
		in.PictureID, in.TL0PICIDX = out.PictureID, out.TL0PICIDX
		if in != out || !bytes.Equal(b[nIn:], payload[nIn:]) {
			t.Fatalf("%x became %x: more than the picture ID and TL0PICIDX changed", payload, b)
		}
		if switchFirst && out.HasPictureID && out.LongPictureID && out.PictureID != 0x124 {
			t.Fatalf("picture ID after the switch %#x, want 0x124", out.PictureID)
		}
	})
}

func BenchmarkVP8PictureRewriter(b *testing.B) {
	var r VP8PictureRewriter
	payload := unhex(b, "90 e0 8123 45 20 9d 01 2a")
	r.Switch()
	b.ReportAllocs()
	for range b.N {
		binary.BigEndian.PutUint16(payload[2:], 0x8000|(binary.BigEndian.Uint16(payload[2:])+1)&0x7fff)
		_ = r.Rewrite(payload)
	}
}
