package media

import (
	"bytes"
	"testing"
)

func TestHistory(t *testing.T) {
	h := newHistory(16, 64)
	put := func(seq uint16, b byte) {
		buf := h.buffer()
		for i := range 10 {
			buf[i] = b
		}
		h.keep(seq, 10)
	}
	put(65530, 1)
	put(65535, 2)
	put(3, 3) // wrapped
	tests := []struct {
		seq  uint16
		ok   bool
		fill byte
	}{
		{65530, true, 1}, {65535, true, 2}, {3, true, 3}, {4, false, 0}, {65531, false, 0},
	}
	for _, tt := range tests {
		pkt, slot, ok := h.get(tt.seq)
		if ok != tt.ok {
			t.Fatalf("get(%d) ok = %v, want %v", tt.seq, ok, tt.ok)
		}
		if ok && (!bytes.Equal(pkt, bytes.Repeat([]byte{tt.fill}, 10)) || slot.seq != tt.seq) {
			t.Fatalf("get(%d) = %v", tt.seq, pkt)
		}
	}
	// 65530 + 16 (10 after the wrap) lands in the same slot: the old packet is gone.
	put(65530+16-65536, 4)
	if _, _, ok := h.get(65530); ok {
		t.Fatal("a packet a ring's length older is still there")
	}
	if pkt, _, ok := h.get(65530 + 16 - 65536); !ok || pkt[0] != 4 {
		t.Fatal("the new packet is not there")
	}
}

func TestHistoryBuffersDoNotAlias(t *testing.T) {
	h := newHistory(16, 64)
	for seq := range uint16(40) {
		buf := h.buffer()
		buf[0] = byte(seq)
		h.keep(seq, 1)
	}
	for seq := uint16(24); seq < 40; seq++ {
		pkt, _, ok := h.get(seq)
		if !ok || pkt[0] != byte(seq) {
			t.Fatalf("seq %d: %v %v", seq, pkt, ok)
		}
	}
}
