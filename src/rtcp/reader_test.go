package rtcp

import (
	"errors"
	"reflect"
	"testing"
)

const (
	rrWire   = "81c90007 902f9e2e bc5e9a40 10fffffe 000146e1 00000111 09f36432 00024a79"
	sdesWire = "81ca0004 902f9e2e 01066162 63313233 00000000"
	pliWire  = "81ce0002 902f9e2e bc5e9a40"
	appWire  = "80cc0003 902f9e2e 6e616d65 64617461"
	xrWire   = "80cf0001 902f9e2e"
	tmmbrHex = "83cd0004 902f9e2e 00000000 bc5e9a40 04000000"
	afbWire  = "8fce0003 902f9e2e 00000000 41424344"
)

func TestValidate(t *testing.T) {
	cases := []struct {
		name  string
		wire  string
		mode  Mode
		error error // nil when valid
	}{
		{"compound RR SDES PLI", rrWire + sdesWire + pliWire, Compound, nil},
		{"compound with APP and XR", rrWire + sdesWire + appWire + xrWire, Compound, nil},
		{"reduced-size PLI", pliWire, ReducedSize, nil},
		{"PLI alone is not compound", pliWire, Compound, ErrNotCompound},
		{"SDES first is not compound", sdesWire + rrWire, Compound, ErrNotCompound},
		{"empty", "", ReducedSize, ErrTruncated},
		{"three bytes", "81c900", ReducedSize, ErrTruncated},
		{"trailing bytes after the last packet", rrWire + "00", Compound, ErrTruncated},
		{"trailing word of zeros", rrWire + "00000000", Compound, ErrVersion},
		{"second packet with version 1", rrWire + "41ce0002 902f9e2e bc5e9a40", Compound, ErrVersion},
		{"length past the datagram", rrWire + "81ce0003 902f9e2e bc5e9a40", Compound, ErrTruncated},
		{"padding on the first packet of a compound", "a1c90008" + rrWire[9:] + "00000004" + pliWire, Compound,
			ErrPadding},
		{"padding on a lone SR", "a1c90008" + rrWire[9:] + "00000004", Compound, ErrPadding},
		{"padding on a lone reduced-size packet", "a1ce0003 902f9e2e bc5e9a40 00000004", ReducedSize, nil},
		{"padding in the middle, as libwebrtc pads TWCC", rrWire + "a1ce0003 902f9e2e bc5e9a40 00000004" + pliWire,
			Compound, nil},
		{"padding on the last", rrWire + "a1ce0003 902f9e2e bc5e9a40 00000004", Compound, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Validate(fromHex(t, c.wire), c.mode)
			if c.error == nil && err != nil || c.error != nil && !errors.Is(err, c.error) {
				t.Errorf("Validate = %v, want %v", err, c.error)
			}
			r := NewReader(fromHex(t, c.wire), c.mode)
			if c.error != nil && (r.Next() || !errors.Is(r.Err(), c.error)) {
				t.Errorf("Reader on an invalid datagram: Err = %v, want %v and no packet", r.Err(), c.error)
			}
		})
	}
}

// TestReaderWalks walks a compound packet holding every kind, APP and unknown packets included.
func TestReaderWalks(t *testing.T) {
	var datagram []byte
	var wantKinds []Kind
	for _, fx := range fixtures {
		datagram = append(datagram, fromHex(t, fx.wire)...)
		wantKinds = append(wantKinds, fx.kind)
	}
	for _, other := range []string{appWire, xrWire, tmmbrHex, afbWire} {
		datagram = append(datagram, fromHex(t, other)...)
		wantKinds = append(wantKinds, KindUnknown)
	}
	r := NewReader(datagram, Compound)
	var kinds []Kind
	i := 0
	for r.Next() {
		kinds = append(kinds, r.Kind())
		if i < len(fixtures) {
			got := fixtures[i].empty()
			if err := got.Unmarshal(r.Packet()); err != nil {
				t.Errorf("packet %d (%s): %v", i, fixtures[i].name, err)
			}
			if h := r.Header(); h.Size() != len(r.Packet()) {
				t.Errorf("packet %d: header says %d bytes, packet has %d", i, h.Size(), len(r.Packet()))
			}
		}
		i++
	}
	if r.Err() != nil {
		t.Fatalf("Err = %v", r.Err())
	}
	if !reflect.DeepEqual(kinds, wantKinds) {
		t.Errorf("kinds %v, want %v", kinds, wantKinds)
	}
	if r.Next() || r.Packet() != nil {
		t.Error("Next after the end gave a packet")
	}

	r.Reset(fromHex(t, pliWire), ReducedSize)
	if !r.Next() || r.Kind() != KindPLI || r.Next() {
		t.Errorf("after Reset: want exactly one PLI, Err = %v", r.Err())
	}
}

func TestHeader(t *testing.T) {
	var h Header
	if err := h.Unmarshal(fromHex(t, "a5cd0102")); err != nil {
		t.Fatal(err)
	}
	want := Header{Padding: true, Count: 5, Type: TypeTransportFeedback, Length: 0x102}
	if h != want || h.Size() != 0x103*4 {
		t.Errorf("header %+v size %d, want %+v size %d", h, h.Size(), want, 0x103*4)
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindUnknown: "unknown", KindTransportCC: "TWCC", KindREMB: "REMB", 42: "Kind(42)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
	if k := KindOf([]byte{0x80}); k != KindUnknown {
		t.Errorf("KindOf(1 byte) = %v", k)
	}
	if k := KindOf(fromHex(t, "8fce0002 902f9e2e 00000000")); k != KindUnknown {
		t.Errorf("KindOf(AFB without FCI) = %v", k)
	}
}
