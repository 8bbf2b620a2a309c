package rtcp

import (
	"reflect"
	"testing"
)

func TestNACKPairsFromSequences(t *testing.T) {
	cases := []struct {
		name string
		lost []uint16
		want []NACKPair
	}{
		{"none", nil, nil},
		{"one", []uint16{7}, []NACKPair{{PacketID: 7}}},
		{"a pair's full range", []uint16{10, 11, 26}, []NACKPair{{PacketID: 10, LostBitmask: 0x8001}}},
		{"just past a pair", []uint16{10, 27}, []NACKPair{{PacketID: 10}, {PacketID: 27}}},
		{"across the wrap", []uint16{65534, 65535, 0, 2}, []NACKPair{{PacketID: 65534, LostBitmask: 0b1011}}},
		{"duplicates", []uint16{5, 5, 6, 6}, []NACKPair{{PacketID: 5, LostBitmask: 1}}},
		{"unsorted still reported", []uint16{20, 3, 4}, []NACKPair{{PacketID: 20}, {PacketID: 3, LostBitmask: 1}}},
		{"a long run", seqRange(100, 40), []NACKPair{
			{PacketID: 100, LostBitmask: 0xffff}, {PacketID: 117, LostBitmask: 0xffff},
			{PacketID: 134, LostBitmask: 0x001f}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := NACKPairsFromSequences(nil, c.lost)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("pairs %+v, want %+v", got, c.want)
			}
		})
	}
}

func seqRange(first uint16, n int) []uint16 {
	var s []uint16
	for i := range n {
		s = append(s, first+uint16(i))
	}
	return s
}

// TestNACKRoundTrip builds a NACK from lost sequence numbers and reads the same numbers back.
func TestNACKRoundTrip(t *testing.T) {
	lost := []uint16{65530, 65531, 65535, 3, 40, 41, 56, 57, 1000}
	n := NACK{SenderSSRC: 1, MediaSSRC: 2, Pairs: NACKPairsFromSequences(nil, lost)}
	wire, err := n.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var got NACK
	if err := got.Unmarshal(wire); err != nil {
		t.Fatal(err)
	}
	if back := got.AppendLost(nil); !reflect.DeepEqual(back, lost) {
		t.Errorf("lost %v, want %v", back, lost)
	}
}

func TestNACKAppendsWithoutAllocating(t *testing.T) {
	lost := seqRange(500, 100)
	pairs := make([]NACKPair, 0, 16)
	buf := make([]byte, 0, 1500)
	allocs := testing.AllocsPerRun(100, func() {
		n := NACK{SenderSSRC: 1, MediaSSRC: 2, Pairs: NACKPairsFromSequences(pairs[:0], lost)}
		if _, err := n.AppendTo(buf[:0]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per NACK built, want 0", allocs)
	}
}
