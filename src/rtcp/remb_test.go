package rtcp

import (
	"math"
	"testing"
)

// TestREMBBitrate checks that the encoding rounds down to what 18 bits of mantissa can say.
func TestREMBBitrate(t *testing.T) {
	cases := []struct{ bitrate, want uint64 }{
		{0, 0},
		{1, 1},
		{1<<18 - 1, 1<<18 - 1},
		{1 << 18, 1 << 18},
		{1<<18 + 1, 1 << 18},
		{2_500_001, 2_500_000},
		{12_345_678, 12_345_664},
		{math.MaxUint64, (1<<18 - 1) << 46},
	}
	for _, c := range cases {
		wire, err := (&REMB{SenderSSRC: 1, Bitrate: c.bitrate}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		var got REMB
		if err := got.Unmarshal(wire); err != nil {
			t.Fatalf("bitrate %d: %v", c.bitrate, err)
		}
		if got.Bitrate != c.want {
			t.Errorf("bitrate %d encodes as %d, want %d", c.bitrate, got.Bitrate, c.want)
		}
	}
}
