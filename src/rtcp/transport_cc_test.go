package rtcp

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestChunkEncoder checks the choice of chunks for sequences of status symbols.
func TestChunkEncoder(t *testing.T) {
	repeat := func(s uint8, n int) []uint8 {
		out := make([]uint8, n)
		for i := range out {
			out[i] = s
		}
		return out
	}
	cat := func(parts ...[]uint8) []uint8 {
		var out []uint8
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	cases := []struct {
		name    string
		symbols []uint8
		want    []uint16
	}{
		{"nothing", nil, nil},
		{"one received", []uint8{1}, []uint16{0x2001}},
		{"mixed short, two-bit vector", []uint8{1, 0, 2}, []uint16{0xd200}},
		{"fourteen mixed small, one-bit vector", cat(repeat(1, 13), []uint8{0}), []uint16{0xbffe}},
		{"long run of losses", repeat(0, 1000), []uint16{0x03e8}},
		{"run longer than a chunk", repeat(1, 8192), []uint16{0x3fff, 0x2001}},
		{"run then a different symbol", cat(repeat(1, 20), []uint8{0}), []uint16{0x2014, 0x0001}},
		{"large delta in the middle of small ones",
			cat(repeat(1, 9), []uint8{2}, repeat(1, 3)),
			[]uint16{0x2009, 0xe540}},
		{"fifteen mixed, one-bit then the rest", cat([]uint8{0}, repeat(1, 14)), []uint16{0x9fff, 0x2001}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc := chunkEncoder{out: []byte{}, write: true, allSame: true}
			for _, s := range c.symbols {
				enc.add(s)
			}
			enc.flush()
			var got []uint16
			for i := 0; i+1 < len(enc.out); i += 2 {
				got = append(got, uint16(enc.out[i])<<8|uint16(enc.out[i+1]))
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("chunks %04x, want %04x", got, c.want)
			}
			if enc.chunks != len(c.want) {
				t.Errorf("counted %d chunks, want %d", enc.chunks, len(c.want))
			}
			// Whatever the choice, the chunks must describe the symbols in order.
			var back []uint8
			for _, chunk := range got {
				for i := range chunkLen(chunk) {
					back = append(back, chunkSymbol(chunk, i))
				}
			}
			if len(back) < len(c.symbols) || !slices.Equal(back[:len(c.symbols)], c.symbols) {
				t.Errorf("chunks describe %v, want %v", back, c.symbols)
			}
		})
	}
}

// TestTransportCCRoundTrip encodes random feedback and decodes it: arrivals come back rounded to 250 µs, each within
// half a unit of the original, so rounding errors do not accumulate.
func TestTransportCCRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var got TransportCC
	for round := range 500 {
		base := uint16(rng.IntN(1 << 16))
		count := 1 + rng.IntN(300)
		start := time.Duration(rng.Int64N(int64(time.Hour)))
		at := start
		fb := TransportCC{SenderSSRC: 1, MediaSSRC: 2, BaseSequence: base, PacketCount: uint16(count),
			ReferenceTime: TransportCCReferenceTime(start), FeedbackCount: uint8(round)}
		lossRate := rng.Float64() * rng.Float64()
		for i := range count {
			// Mostly small steps, some reordering (negative), some long gaps.
			switch r := rng.IntN(100); {
			case r < 5:
				at -= time.Duration(rng.Int64N(int64(5 * time.Millisecond)))
			case r < 8:
				at += time.Duration(rng.Int64N(int64(2 * time.Second)))
			default:
				at += time.Duration(rng.Int64N(int64(3 * time.Millisecond)))
			}
			if rng.Float64() >= lossRate {
				fb.Arrivals = append(fb.Arrivals, PacketArrival{Sequence: base + uint16(i), Arrival: at})
			}
		}
		wire, err := fb.Marshal()
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if len(wire) != fb.MarshalSize() || len(wire)%4 != 0 {
			t.Fatalf("round %d: %d bytes, MarshalSize %d", round, len(wire), fb.MarshalSize())
		}
		if err := got.Unmarshal(wire); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if got.BaseSequence != base || int(got.PacketCount) != count || got.FeedbackCount != uint8(round) ||
			got.ReferenceTime != fb.ReferenceTime || len(got.Arrivals) != len(fb.Arrivals) {
			t.Fatalf("round %d: decoded %+v", round, got)
		}
		for i, a := range got.Arrivals {
			want := fb.Arrivals[i]
			if d := a.Arrival - want.Arrival; a.Sequence != want.Sequence || d < -TransportCCDeltaUnit/2 ||
				d > TransportCCDeltaUnit/2 {
				t.Fatalf("round %d arrival %d: %+v, want %+v", round, i, a, want)
			}
		}
	}
}

func TestTransportCCRefuses(t *testing.T) {
	base := TransportCC{SenderSSRC: 1, BaseSequence: 100, PacketCount: 10, ReferenceTime: 10}
	ref := 10 * TransportCCReferenceUnit
	cases := []struct {
		name     string
		arrivals []PacketArrival
		error    error
	}{
		{"out of order", []PacketArrival{{102, ref}, {101, ref}}, ErrInvalid},
		{"duplicate", []PacketArrival{{101, ref}, {101, ref}}, ErrInvalid},
		{"before the base", []PacketArrival{{99, ref}}, ErrInvalid},
		{"after the range", []PacketArrival{{110, ref}}, ErrInvalid},
		{"gap too long for a delta", []PacketArrival{{100, ref}, {101, ref + 8200*time.Millisecond}}, ErrTooLarge},
		{"first arrival long before the reference", []PacketArrival{{100, ref - 9*time.Second}}, ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fb := base
			fb.Arrivals = c.arrivals
			b, err := fb.AppendTo([]byte{7})
			if !errors.Is(err, c.error) || len(b) != 1 {
				t.Errorf("AppendTo = %x, %v, want %v and the buffer unchanged", b, err, c.error)
			}
			if n := fb.MarshalSize(); n != 0 {
				t.Errorf("MarshalSize = %d, want 0", n)
			}
		})
	}
}

// TestTransportCCLimits covers the widest feedback: 65535 packets, all lost but the last, across a run longer than
// a chunk; and a reference time past 24 bits, of which only the low bits travel.
func TestTransportCCLimits(t *testing.T) {
	ref := uint32(1<<24 + 5)
	at := time.Duration(ref)*TransportCCReferenceUnit + time.Millisecond
	fb := TransportCC{SenderSSRC: 1, BaseSequence: 1, PacketCount: 65535, ReferenceTime: ref,
		Arrivals: []PacketArrival{{Sequence: 65535, Arrival: at}}}
	wire, err := fb.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var got TransportCC
	if err := got.Unmarshal(wire); err != nil {
		t.Fatal(err)
	}
	want := []PacketArrival{{Sequence: 65535, Arrival: 5*TransportCCReferenceUnit + time.Millisecond}}
	if got.ReferenceTime != 5 || !reflect.DeepEqual(got.Arrivals, want) {
		t.Errorf("reference %d arrivals %+v, want 5 and %+v", got.ReferenceTime, got.Arrivals, want)
	}
}

func TestTransportCCReferenceTime(t *testing.T) {
	for _, c := range []struct {
		first time.Duration
		want  uint32
	}{{-time.Second, 0}, {0, 0}, {63 * time.Millisecond, 0}, {64 * time.Millisecond, 1}, {time.Hour, 56250}} {
		if got := TransportCCReferenceTime(c.first); got != c.want {
			t.Errorf("TransportCCReferenceTime(%v) = %d, want %d", c.first, got, c.want)
		}
	}
}

func TestTransportCCAppendsWithoutAllocating(t *testing.T) {
	fb := TransportCC{SenderSSRC: 1, MediaSSRC: 2, BaseSequence: 7, PacketCount: 100}
	for i := range 100 {
		if i%9 != 0 {
			fb.Arrivals = append(fb.Arrivals, PacketArrival{Sequence: 7 + uint16(i), Arrival: time.Duration(i) * time.Millisecond})
		}
	}
	buf := make([]byte, 0, 1500)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := fb.AppendTo(buf[:0]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per feedback built, want 0", allocs)
	}
}
