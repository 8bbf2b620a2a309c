package rtp

import (
	"testing"
)

// chromeVideo is a VP8 packet as Chrome sends it: one-byte extensions abs-send-time (2), transport-wide-cc (3),
// mid (4) and video-orientation (5), then a VP8 descriptor and payload.
const chromeVideo = "90 60 1234 00000064 deadbeef bede 0003 22 123456 31 0102 40 30 50 01 00 00 00" +
	"90 80 9e36 9015 00 9d012a b000 9000"

func BenchmarkHeaderUnmarshal(b *testing.B) {
	pkt := unhex(b, chromeVideo)
	var h Header
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Unmarshal(pkt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPacketUnmarshalAndReadExtensions(b *testing.B) {
	pkt := unhex(b, chromeVideo)
	var p Packet
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Unmarshal(pkt); err != nil {
			b.Fatal(err)
		}
		v, _ := p.ExtensionValue(2)
		if _, err := ParseAbsSendTime(v); err != nil {
			b.Fatal(err)
		}
		v, _ = p.ExtensionValue(3)
		if _, err := ParseTransportCC(v); err != nil {
			b.Fatal(err)
		}
		if _, ok := p.ExtensionValue(4); !ok {
			b.Fatal("no mid")
		}
		v, _ = p.ExtensionValue(5)
		if _, err := ParseVideoOrientation(v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRewriterRewrite(b *testing.B) {
	pkt := unhex(b, chromeVideo)
	r, err := NewRewriter(0x12345678, 100)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var seq uint16
	for b.Loop() {
		seq++
		// The packet is rewritten in place, so restore the source's fields first, as a new packet would have them.
		putSSRC(pkt, 0xdeadbeef)
		putSequenceNumber(pkt, seq)
		putTimestamp(pkt, uint32(seq)*3000)
		if err := r.Rewrite(pkt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnwrapRTX(b *testing.B) {
	rtx, err := AppendRTX(nil, unhex(b, chromeVideo), 0xcafebabe, 97, 1)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, len(rtx))
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, rtx) // unwrapping is destructive: start from the RTX packet each time
		if _, err := UnwrapRTX(buf, 0xdeadbeef, 96); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendRTX(b *testing.B) {
	orig := unhex(b, chromeVideo)
	dst := make([]byte, 0, 1500)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := AppendRTX(dst, orig, 0xcafebabe, 97, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSequenceUnwrapper(b *testing.B) {
	u := NewSequenceUnwrapper()
	b.ReportAllocs()
	var seq uint16
	for b.Loop() {
		seq++
		u.Unwrap(seq)
	}
}

func BenchmarkPacketMarshalTo(b *testing.B) {
	var p Packet
	if err := p.Unmarshal(unhex(b, chromeVideo)); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 1500)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.MarshalTo(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHotPathDoesNotAllocate pins the 0-allocation promise of the per-packet functions.
func TestHotPathDoesNotAllocate(t *testing.T) {
	pkt := unhex(t, chromeVideo)
	var p Packet
	r, err := NewRewriter(1, 100)
	if err != nil {
		t.Fatal(err)
	}
	u := NewSequenceUnwrapper()
	rtxBuf := make([]byte, 0, 1500)
	tests := map[string]func(){
		"Packet.Unmarshal": func() { _ = p.Unmarshal(pkt) },
		"ExtensionValue":   func() { _, _ = p.ExtensionValue(5) },
		"Extensions": func() {
			for range p.Extensions() {
			}
		},
		"Rewriter.Rewrite": func() { _ = r.Rewrite(pkt) },
		"Unwrap":           func() { u.Unwrap(7) },
		"AppendRTX":        func() { _, _ = AppendRTX(rtxBuf, pkt, 1, 97, 1) },
		"UnwrapRTX":        func() { _, _ = UnwrapRTX(pkt, 1, 96) },
	}
	for name, fn := range tests {
		if allocs := testing.AllocsPerRun(100, fn); allocs != 0 {
			t.Errorf("%s: %v allocations per run, want 0", name, allocs)
		}
	}
}

func BenchmarkStampTransportCC(b *testing.B) {
	pkt := unhex(b, chromeVideo)
	b.ReportAllocs()
	var seq uint16
	for b.Loop() {
		seq++
		if err := StampTransportCC(pkt, 3, seq); err != nil {
			b.Fatal(err)
		}
	}
}
