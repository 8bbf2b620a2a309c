package rtcp

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestFixturesDecode(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			got := fx.empty()
			if err := got.Unmarshal(fromHex(t, fx.wire)); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !reflect.DeepEqual(got, fx.want) {
				t.Errorf("decoded\n%+v\nwant\n%+v", got, fx.want)
			}
			if k := KindOf(fromHex(t, fx.wire)); k != fx.kind {
				t.Errorf("KindOf = %v, want %v", k, fx.kind)
			}
		})
	}
}

func TestFixturesEncode(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			wire := fromHex(t, fx.wire)
			got, err := fx.want.Marshal()
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if !bytes.Equal(got, wire) {
				t.Errorf("encoded\n%x\nwant\n%x", got, wire)
			}
			if n := fx.want.MarshalSize(); n != len(wire) {
				t.Errorf("MarshalSize = %d, want %d", n, len(wire))
			}
			prefix := []byte{1, 2, 3}
			appended, err := fx.want.AppendTo(prefix)
			if err != nil {
				t.Fatalf("AppendTo: %v", err)
			}
			if !bytes.Equal(appended[:3], prefix) || !bytes.Equal(appended[3:], wire) {
				t.Errorf("AppendTo gave %x, want %x after the prefix", appended, wire)
			}
		})
	}
}

// TestUnmarshalReuses checks that decoding into a value that held a larger packet leaves nothing of it behind.
func TestUnmarshalReuses(t *testing.T) {
	for _, big := range fixtures {
		for _, small := range fixtures {
			if reflect.TypeOf(big.want) != reflect.TypeOf(small.want) {
				continue
			}
			got := big.empty()
			if err := got.Unmarshal(fromHex(t, big.wire)); err != nil {
				t.Fatal(err)
			}
			if err := got.Unmarshal(fromHex(t, small.wire)); err != nil {
				t.Fatal(err)
			}
			if !equalIgnoringNil(got, small.want) {
				t.Errorf("%s after %s:\n%+v\nwant\n%+v", small.name, big.name, got, small.want)
			}
		}
	}
}

// equalIgnoringNil compares two packets by their encoding, where a nil and an empty slice are the same.
func equalIgnoringNil(a, b Packet) bool {
	wa, errA := a.Marshal()
	wb, errB := b.Marshal()
	return errA == nil && errB == nil && bytes.Equal(wa, wb)
}

// TestPadding checks that a padded last packet decodes like the unpadded one.
func TestPadding(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			wire := fromHex(t, fx.wire)
			padded := append(append([]byte(nil), wire...), 0, 0, 0, 4)
			padded[0] |= 0x20
			padded[3] += 1
			got := fx.empty()
			if err := got.Unmarshal(padded); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !reflect.DeepEqual(got, fx.want) {
				t.Errorf("decoded\n%+v\nwant\n%+v", got, fx.want)
			}
			if err := Validate(padded, ReducedSize); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

// TestTruncated cuts every fixture at every length: each must fail with an error, never panic.
func TestTruncated(t *testing.T) {
	for _, fx := range fixtures {
		wire := fromHex(t, fx.wire)
		for n := range len(wire) {
			if err := fx.empty().Unmarshal(wire[:n]); err == nil {
				t.Errorf("%s cut to %d bytes: no error", fx.name, n)
			}
			if err := Validate(wire[:n], ReducedSize); err == nil {
				t.Errorf("%s cut to %d bytes: Validate gave no error", fx.name, n)
			}
		}
	}
}

// TestWrongType gives every fixture to every other type's Unmarshal.
func TestWrongType(t *testing.T) {
	for _, fx := range fixtures {
		for _, other := range fixtures {
			if reflect.TypeOf(fx.want) == reflect.TypeOf(other.want) {
				continue
			}
			err := other.empty().Unmarshal(fromHex(t, fx.wire))
			if !errors.Is(err, ErrWrongType) {
				t.Errorf("%T.Unmarshal(%s) = %v, want ErrWrongType", other.want, fx.name, err)
			}
		}
	}
}
