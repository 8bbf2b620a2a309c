package rtcp

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// seedCorpus adds every fixture, padded and truncated variants, and the compound packet the tests build.
func seedCorpus(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, fx := range fixtures {
		wire := fromHex(f, fx.wire)
		padded := append(append([]byte(nil), wire...), 0, 0, 0, 4)
		padded[0] |= 0x20
		padded[3]++
		seeds = append(seeds, wire, padded, wire[:len(wire)-1])
	}
	seeds = append(seeds, buildCompound(f, nil), fromHex(f, rrWire+sdesWire+appWire+xrWire+tmmbrHex+afbWire), nil)
	return seeds
}

// fuzzPacket checks one parser: it never panics, and what it accepts encodes and decodes back to the same value.
func fuzzPacket(f *testing.F, empty func() Packet) {
	for _, seed := range seedCorpus(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		first := empty()
		if first.Unmarshal(data) != nil {
			return
		}
		wire, err := first.Marshal()
		if err != nil {
			// Only values a peer may send but we refuse to (sender SSRC 0, an SDES chunk without CNAME).
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("decoded %+v does not encode: %v", first, err)
			}
			return
		}
		if len(wire) != first.MarshalSize() {
			t.Fatalf("encoded %d bytes, MarshalSize %d", len(wire), first.MarshalSize())
		}
		if err := Validate(wire, ReducedSize); err != nil {
			t.Fatalf("encoded packet does not validate: %v", err)
		}
		second := empty()
		if err := second.Unmarshal(wire); err != nil {
			t.Fatalf("encoded %x does not decode: %v", wire, err)
		}
		if !reflect.DeepEqual(first, second) {
			t.Fatalf("decoded\n%+v\nre-decoded\n%+v", first, second)
		}
		again, err := second.Marshal()
		if err != nil || !bytes.Equal(wire, again) {
			t.Fatalf("encoding is not stable: %x then %x (%v)", wire, again, err)
		}
	})
}

func FuzzSenderReport(f *testing.F) { fuzzPacket(f, func() Packet { return &SenderReport{} }) }

func FuzzReceiverReport(f *testing.F) { fuzzPacket(f, func() Packet { return &ReceiverReport{} }) }

func FuzzSourceDescription(f *testing.F) {
	fuzzPacket(f, func() Packet { return &SourceDescription{} })
}

func FuzzGoodbye(f *testing.F) { fuzzPacket(f, func() Packet { return &Goodbye{} }) }

func FuzzNACK(f *testing.F) { fuzzPacket(f, func() Packet { return &NACK{} }) }

func FuzzTransportCC(f *testing.F) { fuzzPacket(f, func() Packet { return &TransportCC{} }) }

func FuzzPictureLossIndication(f *testing.F) {
	fuzzPacket(f, func() Packet { return &PictureLossIndication{} })
}

func FuzzFullIntraRequest(f *testing.F) { fuzzPacket(f, func() Packet { return &FullIntraRequest{} }) }

func FuzzREMB(f *testing.F) { fuzzPacket(f, func() Packet { return &REMB{} }) }

// FuzzReader checks the datagram walker: Validate and the Reader agree, every packet it yields lies inside the
// datagram and has the size its header announces, and decoding each one with its kind's parser never panics.
func FuzzReader(f *testing.F) {
	for _, seed := range seedCorpus(f) {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, reducedSize bool) {
		mode := Compound
		if reducedSize {
			mode = ReducedSize
		}
		valid := Validate(data, mode)
		r := NewReader(data, mode)
		var d decoder
		total := 0
		for r.Next() {
			p := r.Packet()
			if r.Header().Size() != len(p) {
				t.Fatalf("packet of %d bytes, header says %d", len(p), r.Header().Size())
			}
			total += len(p)
			d.decodeOne(r.Kind(), p)
		}
		if (r.Err() == nil) != (valid == nil) || valid != nil && r.Err().Error() != valid.Error() {
			t.Fatalf("Reader error %v, Validate %v", r.Err(), valid)
		}
		if valid == nil && total != len(data) {
			t.Fatalf("walked %d bytes of %d", total, len(data))
		}
		if valid != nil && total != 0 {
			t.Fatalf("walked %d bytes of an invalid datagram", total)
		}
	})
}

// FuzzHeader checks the header parser against the bytes it reads.
func FuzzHeader(f *testing.F) {
	for _, seed := range seedCorpus(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var h Header
		if h.Unmarshal(data) != nil {
			if len(data) >= headerLength && data[0]>>6 == version {
				t.Fatalf("refused a version 2 header %x", data[:headerLength])
			}
			return
		}
		again := appendHeader(nil, h.Count, h.Type, h.Size())
		if h.Padding {
			again[0] |= 0x20
		}
		if !bytes.Equal(again, data[:headerLength]) {
			t.Fatalf("header %+v encodes as %x, read from %x", h, again, data[:headerLength])
		}
	})
}
