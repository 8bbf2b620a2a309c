package rtp

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// seedPackets returns the hand-made packets of the tests and the real ones captured from GStreamer payloaders
// (codecs/testdata: each packet preceded by its 4-byte big-endian length).
func seedPackets(tb testing.TB) [][]byte {
	tb.Helper()
	seeds := [][]byte{
		unhex(tb, fixedPlain+"0102"),
		unhex(tb, fixedMarker),
		unhex(tb, fixedWithXCC2+oneByteExtHdr+oneByteExtBody+"0a0b"),
		unhex(tb, fixedWithX+twoByteExtHdr+twoByteExtBody+"0a"),
		unhex(tb, fixedWithX+"abcd 0001 01020304"),
		unhex(tb, fixedWithPad+"01 02 00 00 03"),
		unhex(tb, fixedWithX+"bede 0001 f0 30 cc 00"),
		unhex(tb, "a0 61 0005 00000064 cafebabe 1234 0a0b 0002"),
	}
	files, err := filepath.Glob("codecs/testdata/*.rtp")
	if err != nil {
		tb.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		for len(data) >= 4 {
			n := int(binary.BigEndian.Uint32(data))
			if n > len(data)-4 {
				tb.Fatalf("%s: truncated record", name)
			}
			seeds = append(seeds, data[4:4+n])
			data = data[4+n:]
		}
	}
	return seeds
}

func FuzzPacketUnmarshal(f *testing.F) {
	for _, s := range seedPackets(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Packet
		if err := p.Unmarshal(data); err != nil {
			return
		}
		// Marshalling reproduces the packet, except the content of the padding before its count byte.
		out, err := p.AppendBinary(nil)
		if err != nil {
			t.Fatalf("a parsed packet does not marshal: %v", err)
		}
		end := len(data) - int(p.PaddingSize)
		if len(out) != len(data) || !bytes.Equal(out[:end], data[:end]) || out[len(out)-1] != data[len(data)-1] {
			t.Fatalf("round trip\n in %x\nout %x", data, out)
		}
		for id := range p.Extensions() {
			if _, ok := p.ExtensionValue(id); !ok {
				t.Fatalf("element %d iterated but not found", id)
			}
		}
		// Setting an element on a parsed header never touches the packet and always marshals to a parsable header.
		before := slices.Clone(data)
		h := p.Header
		if err := h.SetExtension(data[len(data)-1]|1, data[:min(len(data), 20)]); err == nil {
			hdr, err := h.AppendBinary(nil)
			if err != nil {
				t.Fatal(err)
			}
			var back Header
			if _, err := back.Unmarshal(hdr); err != nil {
				t.Fatalf("SetExtension made an unparsable header: %v", err)
			}
		}
		if !bytes.Equal(before, data) {
			t.Fatal("SetExtension wrote into the parsed packet")
		}
	})
}

func FuzzUnwrapRTX(f *testing.F) {
	for _, s := range seedPackets(f) {
		f.Add(s, uint32(0xdeadbeef), uint8(96))
	}
	f.Fuzz(func(t *testing.T, data []byte, ssrc uint32, pt uint8) {
		var rtx Packet
		parsed := rtx.Unmarshal(data) == nil
		orig, err := UnwrapRTX(slices.Clone(data), ssrc, pt)
		if err != nil {
			return
		}
		if !parsed {
			t.Fatal("unwrapped a packet that does not parse")
		}
		var p Packet
		if err := p.Unmarshal(orig); err != nil {
			t.Fatalf("unwrapped packet does not parse: %v", err)
		}
		if p.SSRC != ssrc || p.PayloadType != pt || p.SequenceNumber != binary.BigEndian.Uint16(rtx.Payload) ||
			!bytes.Equal(p.Payload, rtx.Payload[2:]) {
			t.Fatalf("unwrapped %+v from %+v", p, rtx)
		}
		// Wrapping the original again gives the RTX packet back, less its padding.
		again, err := AppendRTX(nil, orig, rtx.SSRC, rtx.PayloadType, rtx.SequenceNumber)
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Clone(data[:len(data)-int(rtx.PaddingSize)])
		want[0] &^= 0x20
		if !bytes.Equal(again, want) {
			t.Fatalf("re-wrapped\n got %x\nwant %x", again, want)
		}
	})
}

func FuzzExtensionValues(f *testing.F) {
	for _, s := range [][]byte{{}, {0x9e}, {0x12, 0x34}, {0x04, 0x00, 0x00}, {0x0d}, {1, 2, 3, 4}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if v, err := ParseAbsSendTime(data); err == nil {
			out := make([]byte, 3)
			if err := PutAbsSendTime(out, v); err != nil || !bytes.Equal(out, data) {
				t.Fatalf("abs-send-time round trip: %x -> %d -> %x, %v", data, v, out, err)
			}
		}
		if v, err := ParseTransportCC(data); err == nil {
			out := make([]byte, 2)
			if err := PutTransportCC(out, v); err != nil || !bytes.Equal(out, data) {
				t.Fatalf("transport-cc round trip: %x -> %d -> %x, %v", data, v, out, err)
			}
		}
		if o, err := ParseVideoOrientation(data); err == nil {
			b, err := o.Marshal()
			if err != nil || b != data[0]&0x0f {
				t.Fatalf("video orientation round trip: %x -> %+v -> %x, %v", data, o, b, err)
			}
		}
		if level, _, err := ParseAudioLevel(data); err == nil && level > 127 {
			t.Fatalf("audio level %d above 127", level)
		}
	})
}

func FuzzStampTransportCC(f *testing.F) {
	for _, s := range seedPackets(f) {
		f.Add(s, uint8(3), uint16(0xfedc))
	}
	f.Fuzz(func(t *testing.T, data []byte, id uint8, seq uint16) {
		pkt := slices.Clone(data)
		if err := StampTransportCC(pkt, id, seq); err != nil {
			if !bytes.Equal(pkt, data) {
				t.Fatalf("a failed stamp (%v) changed the packet", err)
			}
			return
		}
		var h Header
		if _, err := h.Unmarshal(pkt); err != nil {
			t.Fatalf("a stamped packet no longer parses: %v", err)
		}
		if got, ok := h.TransportCC(id); !ok || got != seq {
			t.Fatalf("stamped %d with id %d, read back %d, %v", seq, id, got, ok)
		}
	})
}
