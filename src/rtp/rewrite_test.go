package rtp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// TestRewriterWritesInPlace: the first packet keeps its sequence number and timestamp, takes the listener's SSRC and
// payload type, and keeps its marker bit and payload.
func TestRewriterWritesInPlace(t *testing.T) {
	pkt := unhex(t, fixedMarker+"0a0b")
	r, err := NewRewriter(0x11223344, 111)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Rewrite(pkt); err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, "80 ef 1234 00000064 11223344 0a0b"); !bytes.Equal(pkt, want) {
		t.Errorf("packet = %x, want %x", pkt, want)
	}
}

// rewriteStep is one event in a Rewriter scenario: a Switch call, or a packet in and what comes out.
type rewriteStep struct {
	doSwitch   bool
	switchStep uint32

	ssrc    uint32
	seq     uint16
	ts      uint32
	wantSeq uint16
	wantTS  uint32
	wantErr error
}

func pkt(ssrc uint32, seq uint16, ts uint32, wantSeq uint16, wantTS uint32) rewriteStep {
	return rewriteStep{ssrc: ssrc, seq: seq, ts: ts, wantSeq: wantSeq, wantTS: wantTS}
}

func switchTo(step uint32) rewriteStep { return rewriteStep{doSwitch: true, switchStep: step} }

func TestRewriter(t *testing.T) {
	const a, b = 0xaaaa, 0xbbbb
	tests := []struct {
		name  string
		steps []rewriteStep
	}{
		{"first source passes through", []rewriteStep{
			pkt(a, 100, 1000, 100, 1000), pkt(a, 101, 1000, 101, 1000), pkt(a, 102, 4000, 102, 4000),
		}},
		{"gaps and reordering are kept", []rewriteStep{
			pkt(a, 100, 1000, 100, 1000), pkt(a, 103, 7000, 103, 7000), pkt(a, 101, 4000, 101, 4000),
		}},
		{"a new SSRC follows the last packet by one frame", []rewriteStep{
			pkt(a, 100, 1000, 100, 1000), pkt(a, 101, 4000, 101, 4000),
			pkt(b, 5000, 90000, 102, 7000), pkt(b, 5001, 93000, 103, 10000),
		}},
		{"Switch after a keyframe wait uses the given step", []rewriteStep{
			pkt(a, 100, 1000, 100, 1000), pkt(a, 101, 4000, 101, 4000),
			switchTo(9000),
			pkt(a, 150, 150000, 102, 13000), pkt(a, 151, 153000, 103, 16000),
		}},
		{"Switch(0) uses the last frame step, not the switch jump", []rewriteStep{
			pkt(a, 100, 1000, 100, 1000), pkt(a, 101, 4000, 101, 4000),
			switchTo(90000),
			pkt(a, 500, 1, 102, 94000),
			switchTo(0),
			pkt(a, 900, 7, 103, 97000),
		}},
		{"a packet older than the switch is refused", []rewriteStep{
			pkt(a, 100, 1000, 100, 1000),
			pkt(b, 500, 50, 101, 1001),
			{ssrc: b, seq: 499, ts: 50, wantErr: ErrBeforeSwitch},
			pkt(b, 501, 3050, 102, 4001),
		}},
		{"a Switch before the first packet is spent on it", []rewriteStep{
			switchTo(5000), pkt(a, 100, 1000, 100, 1000), pkt(b, 7, 50, 101, 1001),
		}},
		{"no frame step seen yet: the timestamp advances by one", []rewriteStep{
			pkt(a, 100, 1000, 100, 1000), pkt(b, 7, 50, 101, 1001),
		}},
		{"output sequence numbers wrap", []rewriteStep{
			pkt(a, 65535, 0, 65535, 0), pkt(b, 10, 3000, 0, 1), pkt(b, 11, 3000, 1, 1),
		}},
		{"source wrap within a mapping", []rewriteStep{
			pkt(a, 65534, 4294967000, 65534, 4294967000),
			pkt(b, 65535, 4294967295, 65535, 4294967001),
			pkt(b, 0, 2704, 0, 2410), pkt(b, 65535, 4294967295, 65535, 4294967001),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRewriter(0x12345678, 100)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tt.steps {
				if s.doSwitch {
					r.Switch(s.switchStep)
					continue
				}
				p := unhex(t, "80 e0 0000 00000000 00000000 0a0b")
				binary.BigEndian.PutUint16(p[2:], s.seq)
				binary.BigEndian.PutUint32(p[4:], s.ts)
				binary.BigEndian.PutUint32(p[8:], s.ssrc)
				err := r.Rewrite(p)
				if !errors.Is(err, s.wantErr) {
					t.Fatalf("step %d: error = %v, want %v", i, err, s.wantErr)
				}
				if s.wantErr != nil {
					continue
				}
				var h Header
				if _, err := h.Unmarshal(p); err != nil {
					t.Fatal(err)
				}
				if h.SequenceNumber != s.wantSeq || h.Timestamp != s.wantTS {
					t.Errorf("step %d: (seq, ts) = (%d, %d), want (%d, %d)", i, h.SequenceNumber, h.Timestamp, s.wantSeq, s.wantTS)
				}
				if h.SSRC != 0x12345678 || h.PayloadType != 100 || !h.Marker {
					t.Errorf("step %d: SSRC %#x, PT %d, marker %v; want 0x12345678, 100, true", i, h.SSRC, h.PayloadType, h.Marker)
				}
			}
		})
	}
}

func TestRewriterSourceSequenceNumber(t *testing.T) {
	r, err := NewRewriter(1, 96)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.SourceSequenceNumber(0); ok {
		t.Error("mapped a number before any packet")
	}
	rewrite := func(ssrc uint32, seq uint16) {
		t.Helper()
		p := unhex(t, fixedPlain)
		putSSRC(p, ssrc)
		putSequenceNumber(p, seq)
		if err := r.Rewrite(p); err != nil {
			t.Fatal(err)
		}
	}
	rewrite(0xa, 100)   // out 100
	rewrite(0xa, 101)   // out 101
	rewrite(0xb, 65534) // out 102
	rewrite(0xb, 0)     // out 104 (65535 lost)
	tests := []struct {
		out    uint16
		want   uint16
		wantOK bool
	}{
		{out: 102, want: 65534, wantOK: true},
		{out: 103, want: 65535, wantOK: true},
		{out: 104, want: 0, wantOK: true},
		{out: 101, wantOK: false}, // the previous source's
		{out: 105, wantOK: false}, // not written yet
	}
	for _, tt := range tests {
		got, ok := r.SourceSequenceNumber(tt.out)
		if ok != tt.wantOK || ok && got != tt.want {
			t.Errorf("SourceSequenceNumber(%d) = %d, %v; want %d, %v", tt.out, got, ok, tt.want, tt.wantOK)
		}
	}
	r.Switch(0)
	if _, ok := r.SourceSequenceNumber(104); ok {
		t.Error("mapped a number after Switch, before the new source's first packet")
	}
}

func TestRewriterArguments(t *testing.T) {
	if _, err := NewRewriter(1, 128); !errors.Is(err, ErrPayloadType) {
		t.Errorf("NewRewriter(PT 128) error = %v, want ErrPayloadType", err)
	}
	r, err := NewRewriter(1, 96)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Rewrite(make([]byte, 5)); !errors.Is(err, ErrHeaderTooShort) {
		t.Errorf("Rewrite(5 bytes) error = %v, want ErrHeaderTooShort", err)
	}
	if err := r.Rewrite(unhex(t, "40 60 1234 00000064 deadbeef")); !errors.Is(err, ErrVersion) {
		t.Errorf("Rewrite(version 1) error = %v, want ErrVersion", err)
	}
}

// TestRewriterPad: paddings between frames take the next numbers, the source's later packets follow them, late
// packets keep their numbers, and no padding goes inside a frame.
func TestRewriterPad(t *testing.T) {
	const a = 0xaaaa
	r, err := NewRewriter(1, 96)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := r.Pad(); ok {
		t.Fatal("padded before any packet")
	}
	write := func(seq uint16, ts uint32, marker bool) (uint16, error) {
		t.Helper()
		p := unhex(t, fixedPlain)
		putSSRC(p, a)
		putSequenceNumber(p, seq)
		putTimestamp(p, ts)
		if marker {
			p[1] |= 0x80
		}
		err := r.Rewrite(p)
		return binary.BigEndian.Uint16(p[2:]), err
	}
	mustWrite := func(seq uint16, ts uint32, marker bool, want uint16) {
		t.Helper()
		got, err := write(seq, ts, marker)
		if err != nil || got != want {
			t.Fatalf("packet %d written as %d (%v), want %d", seq, got, err, want)
		}
	}
	pad := func(want uint16, wantTS uint32) {
		t.Helper()
		seq, ts, ok := r.Pad()
		if !ok || seq != want || ts != wantTS {
			t.Fatalf("Pad() = %d, %d, %v; want %d, %d, true", seq, ts, ok, want, wantTS)
		}
	}
	mustWrite(100, 3000, false, 100)
	if _, _, ok := r.Pad(); ok {
		t.Fatal("padded inside a frame")
	}
	mustWrite(102, 3000, true, 102) // 101 late
	pad(103, 3000)
	pad(104, 3000)
	mustWrite(103, 6000, true, 105)
	mustWrite(101, 3000, false, 101) // the late packet keeps its place before the paddings
	pad(106, 6000)
	mustWrite(104, 9000, true, 107)
	for out, want := range map[uint16]struct {
		src uint16
		ok  bool
	}{100: {100, true}, 101: {101, true}, 102: {102, true}, 103: {}, 104: {}, 105: {103, true}, 106: {},
		107: {104, true}} {
		src, ok := r.SourceSequenceNumber(out)
		if ok != want.ok || ok && src != want.src {
			t.Errorf("SourceSequenceNumber(%d) = %d, %v; want %d, %v", out, src, ok, want.src, want.ok)
		}
	}
	// Past maxPadBoundaries paddings, the packets before the oldest one forgotten are too old to place.
	seq, ts := uint16(105), uint32(12000)
	for range maxPadBoundaries {
		out, err := write(seq, ts, true)
		if err != nil {
			t.Fatal(err)
		}
		pad(out+1, ts)
		seq, ts = seq+1, ts+3000
	}
	if _, err := write(101, 3000, false); !errors.Is(err, ErrBeforeSwitch) {
		t.Fatalf("a packet from before the forgotten paddings: error %v, want ErrBeforeSwitch", err)
	}
	if _, ok := r.SourceSequenceNumber(101); ok {
		t.Error("mapped a number from before the forgotten paddings")
	}
	// A new source starts after the paddings.
	r.Switch(3000)
	last, _, _ := r.Pad()
	p := unhex(t, fixedPlain)
	putSSRC(p, 0xbbbb)
	if err := r.Rewrite(p); err != nil || binary.BigEndian.Uint16(p[2:]) != last+1 {
		t.Fatalf("the new source's first packet is %d (%v), want %d", binary.BigEndian.Uint16(p[2:]), err, last+1)
	}
}
