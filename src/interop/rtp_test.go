package interop

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	pionrtp "github.com/pion/rtp"
	pioncodecs "github.com/pion/rtp/codecs"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp/codecs"
)

// pionPacket builds a packet with pion's API: the reference encoder for these tests.
func pionPacket(t *testing.T, csrc []uint32, profile uint16, exts map[uint8][]byte, payload []byte, padding byte) []byte {
	t.Helper()
	p := pionrtp.Packet{
		Header: pionrtp.Header{
			Version: 2, Marker: true, PayloadType: 111, SequenceNumber: 65535, Timestamp: 0xfffffff0, SSRC: 0x1234abcd,
			CSRC: csrc, PaddingSize: padding, Padding: padding > 0,
		},
		Payload: payload,
	}
	ids := make([]uint8, 0, len(exts))
	for id := range exts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := p.Header.SetExtensionWithProfile(id, exts[id], profile); err != nil {
			t.Fatalf("pion SetExtension(%d): %v", id, err)
		}
	}
	buf, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return buf
}

// comparePackets fails unless our parse of buf and pion's agree on every field.
func comparePackets(t *testing.T, buf []byte) {
	t.Helper()
	var ours rtp.Packet
	if err := ours.Unmarshal(buf); err != nil {
		t.Fatalf("ours rejects %x: %v", buf, err)
	}
	var theirs pionrtp.Packet
	if err := theirs.Unmarshal(buf); err != nil {
		t.Fatalf("pion rejects %x: %v", buf, err)
	}
	if ours.Marker != theirs.Marker || ours.PayloadType != theirs.PayloadType ||
		ours.SequenceNumber != theirs.SequenceNumber || ours.Timestamp != theirs.Timestamp || ours.SSRC != theirs.SSRC ||
		ours.Padding != theirs.Padding || ours.Extension != theirs.Extension {
		t.Errorf("fixed header differs on %x:\n ours %+v\npion %+v", buf, ours.Header, theirs.Header)
	}
	if !slices.Equal(ours.CSRCs(), theirs.CSRC) && len(theirs.CSRC) > 0 {
		t.Errorf("CSRCs: ours %v, pion %v", ours.CSRCs(), theirs.CSRC)
	}
	if ours.Extension && ours.ExtensionProfile != theirs.ExtensionProfile {
		t.Errorf("profile: ours %#x, pion %#x", ours.ExtensionProfile, theirs.ExtensionProfile)
	}
	// pion reads elements of profiles 0xbede and 0x1000 only; RFC 8285 also allows appbits in 0x1001-0x100f.
	if ours.Extension && (ours.ExtensionProfile == rtp.ProfileOneByte || ours.ExtensionProfile == rtp.ProfileTwoByte) {
		var ourIDs []uint8
		for id := range ours.Extensions() {
			ourIDs = append(ourIDs, id)
			// Both return the first element when an id repeats.
			if v, _ := ours.ExtensionValue(id); !bytes.Equal(v, theirs.GetExtension(id)) {
				t.Errorf("extension %d: ours %x, pion %x", id, v, theirs.GetExtension(id))
			}
		}
		if pionIDs := theirs.GetExtensionIDs(); !slices.Equal(ourIDs, pionIDs) {
			t.Errorf("extension ids: ours %v, pion %v", ourIDs, pionIDs)
		}
	}
	if !bytes.Equal(ours.Payload, theirs.Payload) || ours.PaddingSize != theirs.PaddingSize {
		t.Errorf("payload/padding: ours %x/%d, pion %x/%d", ours.Payload, ours.PaddingSize, theirs.Payload, theirs.PaddingSize)
	}
}

func TestRTPParsesPionPackets(t *testing.T) {
	payload := []byte{0x90, 0x80, 0x9e, 0x36, 0x90, 0x15, 0x00}
	tests := []struct {
		name    string
		csrc    []uint32
		profile uint16
		exts    map[uint8][]byte
		padding byte
	}{
		{name: "plain"},
		{name: "CSRCs", csrc: []uint32{1, 2, 3}},
		{name: "padding", padding: 5},
		{
			name: "one-byte extensions as Chrome sends them", profile: pionrtp.ExtensionProfileOneByte,
			exts: map[uint8][]byte{2: {0x12, 0x34, 0x56}, 3: {0x01, 0x02}, 4: []byte("0"), 13: {0x01}},
		},
		{
			name: "two-byte extensions", profile: pionrtp.ExtensionProfileTwoByte,
			exts: map[uint8][]byte{1: {}, 16: bytes.Repeat([]byte{7}, 17), 255: {1, 2}},
		},
		{
			name: "everything", csrc: []uint32{0xffffffff}, profile: pionrtp.ExtensionProfileOneByte, padding: 1,
			exts: map[uint8][]byte{1: bytes.Repeat([]byte{9}, 16), 14: {0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := pionPacket(t, tt.csrc, tt.profile, tt.exts, payload, tt.padding)
			comparePackets(t, buf)

			// Our marshalling of what we parsed gives pion's bytes back (padding content aside: both write zeros).
			var ours rtp.Packet
			if err := ours.Unmarshal(buf); err != nil {
				t.Fatal(err)
			}
			out, err := ours.AppendBinary(nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, buf) {
				t.Errorf("re-marshalled\n ours %x\n pion %x", out, buf)
			}
		})
	}
}

func TestPionParsesRTPPackets(t *testing.T) {
	h := rtp.Header{Marker: true, PayloadType: 96, SequenceNumber: 1, Timestamp: 2, SSRC: 3, CSRCCount: 2}
	h.CSRC[0], h.CSRC[1] = 10, 11
	for _, e := range []struct {
		id    uint8
		value []byte
	}{{2, []byte{1, 2, 3}}, {3, []byte{4, 5}}, {5, []byte{1}}} {
		if err := h.SetExtension(e.id, e.value); err != nil {
			t.Fatal(err)
		}
	}
	oneByte, err := (&rtp.Packet{Header: h, Payload: []byte{0xaa}, PaddingSize: 3}).AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	comparePackets(t, oneByte)

	// An element that needs the two-byte form converts the block.
	if err := h.SetExtension(200, []byte("a mid longer than sixteen bytes")); err != nil {
		t.Fatal(err)
	}
	twoByte, err := (&rtp.Packet{Header: h, Payload: []byte{0xbb}}).AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	comparePackets(t, twoByte)
}

// TestRTPAgreesWithPionOnMutations flips bytes of valid packets: whenever both parsers accept the result, they must
// read the same fields.
func TestRTPAgreesWithPionOnMutations(t *testing.T) {
	seeds := [][]byte{
		pionPacket(t, []uint32{1, 2}, pionrtp.ExtensionProfileOneByte, map[uint8][]byte{1: {1}, 2: {2, 2, 2}}, []byte{1, 2, 3}, 0),
		pionPacket(t, nil, pionrtp.ExtensionProfileTwoByte, map[uint8][]byte{1: {}, 20: {5, 5}}, []byte{4}, 2),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	both := 0
	for range 20000 {
		buf := slices.Clone(seeds[rng.IntN(len(seeds))])
		for range 1 + rng.IntN(3) {
			buf[rng.IntN(len(buf))] ^= byte(1 << rng.IntN(8))
		}
		var ours rtp.Packet
		var theirs pionrtp.Packet
		if ours.Unmarshal(buf) != nil || theirs.Unmarshal(buf) != nil {
			continue
		}
		both++
		comparePackets(t, buf)
		if t.Failed() {
			t.Fatalf("first disagreement on %x", buf)
		}
	}
	if both < 1000 {
		t.Fatalf("only %d mutated packets were accepted by both parsers: the test checks too little", both)
	}
}

// capturedPayloads reads the GStreamer captures kept with the codecs package.
func capturedPayloads(t *testing.T, name string) [][]byte {
	t.Helper()
	data, err := os.ReadFile("../rtp/codecs/testdata/" + name + ".rtp")
	if err != nil {
		t.Fatal(err)
	}
	var payloads [][]byte
	for len(data) >= 4 {
		n := int(binary.BigEndian.Uint32(data))
		var p rtp.Packet
		if err := p.Unmarshal(data[4 : 4+n]); err != nil {
			t.Fatal(err)
		}
		payloads = append(payloads, p.Payload)
		data = data[4+n:]
	}
	return payloads
}

func TestVP8DescriptorAgreesWithPion(t *testing.T) {
	payloads := append(capturedPayloads(t, "vp8"),
		[]byte{0x90, 0xf0, 0x81, 0x23, 0x45, 0xa7, 0x00}, []byte{0x90, 0x80, 0x05, 0x00}, []byte{0x33, 0x00})
	for _, payload := range payloads {
		var ours codecs.VP8Descriptor
		n, err := ours.Unmarshal(payload)
		if err != nil {
			t.Fatalf("ours rejects %x: %v", payload, err)
		}
		var theirs pioncodecs.VP8Packet
		rest, err := theirs.Unmarshal(payload)
		if err != nil {
			t.Fatalf("pion rejects %x: %v", payload, err)
		}
		if !bytes.Equal(payload[n:], rest) ||
			ours.StartOfPartition != (theirs.S == 1) || ours.PartitionIndex != theirs.PID ||
			ours.NonReference != (theirs.N == 1) || ours.HasPictureID != (theirs.I == 1) ||
			ours.PictureID != theirs.PictureID || ours.TL0PICIDX != theirs.TL0PICIDX || ours.TID != theirs.TID ||
			ours.LayerSync != (theirs.Y == 1) || ours.KeyIdx != theirs.KEYIDX {
			t.Errorf("%x:\n ours %+v (%d bytes)\npion %+v", payload, ours, n, theirs)
		}
	}
}

func TestVP9DescriptorAgreesWithPion(t *testing.T) {
	payloads := append(capturedPayloads(t, "vp9"),
		[]byte{0xa8, 0x05, 0xb0, 0x07, 0x00}, []byte{0xf8, 0x05, 0x00, 0x0b, 0x04, 0x00}, []byte{0xb9, 0x05, 0x00, 0x00})
	for _, payload := range payloads {
		var ours codecs.VP9Descriptor
		n, err := ours.Unmarshal(payload)
		if err != nil {
			t.Fatalf("ours rejects %x: %v", payload, err)
		}
		var theirs pioncodecs.VP9Packet
		rest, err := theirs.Unmarshal(payload)
		if err != nil {
			t.Fatalf("pion rejects %x: %v", payload, err)
		}
		if !bytes.Equal(payload[n:], rest) ||
			ours.InterPicturePredicted != theirs.P || ours.StartOfFrame != theirs.B || ours.EndOfFrame != theirs.E ||
			ours.FlexibleMode != theirs.F || ours.NotReference != theirs.Z || ours.PictureID != theirs.PictureID ||
			ours.TID != theirs.TID || ours.SID != theirs.SID || ours.SwitchingUp != theirs.U ||
			ours.TL0PICIDX != theirs.TL0PICIDX || !slices.Equal(ours.PDiff[:ours.PDiffCount], theirs.PDiff) ||
			ours.HasScalabilityStructure && (ours.SpatialLayers != theirs.NS+1 ||
				ours.HasResolution && !slices.Equal(ours.Width[:ours.SpatialLayers], theirs.Width)) {
			t.Errorf("%x:\n ours %+v (%d bytes)\npion %+v", payload, ours, n, theirs)
		}
	}
}
