package media

import (
	"slices"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
)

func TestReorderBuffer(t *testing.T) {
	ms := time.Millisecond
	type arrival struct {
		seq int64
		at  time.Duration
	}
	tests := []struct {
		name     string
		arrivals []arrival
		want     []uint16
	}{
		{"in order goes straight through", []arrival{{10, 0}, {11, ms}, {12, 2 * ms}}, []uint16{10, 11, 12}},
		{"a late packet is put back in its place", []arrival{{10, 0}, {12, ms}, {13, 2 * ms}, {11, 30 * ms}},
			[]uint16{10, 11, 12, 13}},
		{"a gap is given up after reorderWait", []arrival{{10, 0}, {12, ms}, {13, 2 * ms}, {14, 300 * ms},
			{11, 310 * ms}}, []uint16{10, 12, 13, 14}},
		{"duplicates are dropped", []arrival{{10, 0}, {12, ms}, {12, 2 * ms}, {11, 3 * ms}, {11, 4 * ms}},
			[]uint16{10, 11, 12}},
		{"a jump past the slots flushes what is held", []arrival{{10, 0}, {12, ms}, {12 + reorderSlots + 5, 2 * ms}},
			[]uint16{10, 12, 12 + reorderSlots + 5}},
		{"negative unwrapped numbers", []arrival{{-3, 0}, {-1, ms}, {-2, 2 * ms}, {0, 3 * ms}},
			[]uint16{0xfffd, 0xfffe, 0xffff, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []uint16
			b := newReorderBuffer(func(p *rtp.Packet) { got = append(got, p.SequenceNumber) })
			for _, a := range tt.arrivals {
				raw := rtpPacket(1, 96, uint16(a.seq), 0, []byte{1, 2, 3})
				var p rtp.Packet
				if err := p.Unmarshal(raw); err != nil {
					t.Fatal(err)
				}
				b.add(a.seq, raw, &p, a.at)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("pushed %v, want %v", got, tt.want)
			}
		})
	}
}
