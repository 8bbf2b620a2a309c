package main

import (
	"bytes"
	"testing"
)

func TestStampRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prefix  []byte
		pub, id uint32
	}{
		{"empty payload", nil, 0, 1},
		{"after a VP8 keyframe header", vp8Keyframe, 7, 1 << 31},
		{"after filler", bytes.Repeat([]byte{0xff}, 1000), 49, 123456},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload := appendStamp(append([]byte(nil), tc.prefix...), tc.pub, tc.id)
			pub, id, ok := readStamp(payload)
			if !ok || pub != tc.pub || id != tc.id {
				t.Errorf("readStamp = %d, %d, %v; want %d, %d, true", pub, id, ok, tc.pub, tc.id)
			}
		})
	}
}

func TestReadStampRefusesOthers(t *testing.T) {
	stamped := appendStamp(nil, 1, 2)
	for _, tc := range []struct {
		name    string
		payload []byte
	}{
		{"empty", nil},
		{"shorter than a stamp", stamped[1:]},
		{"wrong magic", append([]byte{0}, stamped[1:]...)},
		{"stamp not at the end", append(append([]byte(nil), stamped...), 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, ok := readStamp(tc.payload); ok {
				t.Errorf("readStamp(%x) found a stamp", tc.payload)
			}
		})
	}
}

func TestSendClock(t *testing.T) {
	c := newSendClock()
	if _, ok := c.get(5); ok {
		t.Error("an unknown packet has a send time")
	}
	c.set(5, 1234)
	if at, ok := c.get(5); !ok || at != 1234 {
		t.Errorf("get(5) = %d, %v; want 1234, true", at, ok)
	}
	c.set(5+sendClockSize, 99) // the slot of a packet one clock turn later
	if at, _ := c.get(5); at != 99 {
		t.Errorf("after a turn get(5) = %d, want the newer 99", at)
	}
}

func FuzzReadStamp(f *testing.F) {
	f.Add(appendStamp(nil, 3, 4))
	f.Add(appendStamp(append([]byte(nil), vp8Interframe...), 0, 0))
	f.Add([]byte{0x4d, 0x4c, 0x44})
	f.Fuzz(func(t *testing.T, payload []byte) {
		pub, id, ok := readStamp(payload)
		if !ok {
			return
		}
		again := appendStamp(append([]byte(nil), payload[:len(payload)-stampSize]...), pub, id)
		if !bytes.Equal(again, payload) {
			t.Errorf("the stamp read from %x writes back as %x", payload, again)
		}
	})
}
