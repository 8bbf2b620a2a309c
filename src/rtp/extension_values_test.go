package rtp

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestAbsSendTime(t *testing.T) {
	tests := []struct {
		name    string
		value   []byte
		want    uint32
		wantErr error
	}{
		{"zero", []byte{0, 0, 0}, 0, nil},
		{"one second is 1<<18", []byte{0x04, 0x00, 0x00}, 1 << 18, nil},
		{"maximum", []byte{0xff, 0xff, 0xff}, 1<<24 - 1, nil},
		{"two bytes", []byte{0, 0}, 0, ErrExtensionValue},
		{"four bytes", []byte{0, 0, 0, 0}, 0, ErrExtensionValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAbsSendTime(tt.value)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("ParseAbsSendTime = %d, %v; want %d, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}

	v := make([]byte, 3)
	if err := PutAbsSendTime(v, 0x123456); err != nil {
		t.Fatal(err)
	}
	if got, _ := ParseAbsSendTime(v); got != 0x123456 {
		t.Errorf("round trip = %#x, want 0x123456", got)
	}
	if err := PutAbsSendTime(v, 1<<24); !errors.Is(err, ErrExtensionValue) {
		t.Errorf("PutAbsSendTime of 25 bits: error = %v, want ErrExtensionValue", err)
	}
	if err := PutAbsSendTime(v[:2], 1); !errors.Is(err, ErrExtensionValue) {
		t.Errorf("PutAbsSendTime into 2 bytes: error = %v, want ErrExtensionValue", err)
	}
}

func TestAbsSendTimeFromDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want uint32
	}{
		{0, 0},
		{time.Second, 1 << 18},
		{1500 * time.Millisecond, 3 << 17},
		{64 * time.Second, 0},
		{65 * time.Second, 1 << 18},
		{-time.Second, 63 << 18},
	}
	for _, tt := range tests {
		if got := AbsSendTime(tt.d); got != tt.want {
			t.Errorf("AbsSendTime(%v) = %#x, want %#x", tt.d, got, tt.want)
		}
	}
}

func TestTransportCC(t *testing.T) {
	v := []byte{0x12, 0x34}
	if got, err := ParseTransportCC(v); err != nil || got != 0x1234 {
		t.Errorf("ParseTransportCC = %#x, %v; want 0x1234", got, err)
	}
	if err := PutTransportCC(v, 0xabcd); err != nil || v[0] != 0xab || v[1] != 0xcd {
		t.Errorf("PutTransportCC = %x, %v", v, err)
	}
	for _, bad := range [][]byte{nil, {1}, {1, 2, 3}} {
		if _, err := ParseTransportCC(bad); !errors.Is(err, ErrExtensionValue) {
			t.Errorf("ParseTransportCC(%x) error = %v, want ErrExtensionValue", bad, err)
		}
		if err := PutTransportCC(bad, 1); !errors.Is(err, ErrExtensionValue) {
			t.Errorf("PutTransportCC(%x) error = %v, want ErrExtensionValue", bad, err)
		}
	}
}

func TestVideoOrientation(t *testing.T) {
	tests := []struct {
		b    byte
		want VideoOrientation
	}{
		{0x00, VideoOrientation{}},
		{0x01, VideoOrientation{Rotation: 90}},
		{0x02, VideoOrientation{Rotation: 180}},
		{0x03, VideoOrientation{Rotation: 270}},
		{0x08, VideoOrientation{BackCamera: true}},
		{0x0d, VideoOrientation{BackCamera: true, Flip: true, Rotation: 90}},
	}
	for _, tt := range tests {
		got, err := ParseVideoOrientation([]byte{tt.b})
		if err != nil || got != tt.want {
			t.Errorf("ParseVideoOrientation(%#x) = %+v, %v; want %+v", tt.b, got, err, tt.want)
		}
		if b, err := tt.want.Marshal(); err != nil || b != tt.b {
			t.Errorf("%+v.Marshal() = %#x, %v; want %#x", tt.want, b, err, tt.b)
		}
	}
	if _, err := ParseVideoOrientation([]byte{0, 0}); !errors.Is(err, ErrExtensionValue) {
		t.Errorf("2-byte value: error = %v, want ErrExtensionValue", err)
	}
	for _, r := range []uint16{45, 360} {
		if _, err := (VideoOrientation{Rotation: r}).Marshal(); !errors.Is(err, ErrExtensionValue) {
			t.Errorf("Rotation %d: error = %v, want ErrExtensionValue", r, err)
		}
	}
}

func TestAudioLevel(t *testing.T) {
	tests := []struct {
		value     []byte
		wantLevel uint8
		wantVoice bool
		wantErr   error
	}{
		{[]byte{0x00}, 0, false, nil},
		{[]byte{0x7f}, 127, false, nil},
		{[]byte{0x9e}, 30, true, nil},
		{nil, 0, false, ErrExtensionValue},
		{[]byte{1, 2}, 0, false, ErrExtensionValue},
	}
	for _, tt := range tests {
		level, voice, err := ParseAudioLevel(tt.value)
		if level != tt.wantLevel || voice != tt.wantVoice || !errors.Is(err, tt.wantErr) {
			t.Errorf("ParseAudioLevel(%x) = %d, %v, %v; want %d, %v, %v", tt.value, level, voice, err,
				tt.wantLevel, tt.wantVoice, tt.wantErr)
		}
	}
}

func TestHeaderTransportCC(t *testing.T) {
	tests := []struct {
		name   string
		pkt    string
		id     uint8
		want   uint16
		wantOK bool
	}{
		{"chrome video, id 3", chromeVideo, 3, 0x0102, true},
		{"absent id", chromeVideo, 9, 0, false},
		{"element of 3 bytes", chromeVideo, 2, 0, false},
		{"no extension", fixedPlain, 3, 0, false},
		{"two-byte form", fixedWithX + "1000 0001 07 02 abcd", 7, 0xabcd, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Header
			if _, err := h.Unmarshal(unhex(t, tt.pkt)); err != nil {
				t.Fatal(err)
			}
			if got, ok := h.TransportCC(tt.id); got != tt.want || ok != tt.wantOK {
				t.Errorf("TransportCC(%d) = %#x, %v; want %#x, %v", tt.id, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestStampTransportCC(t *testing.T) {
	tests := []struct {
		name    string
		pkt     string
		id      uint8
		wantErr error
	}{
		{"chrome video, id 3", chromeVideo, 3, nil},
		{"two-byte form", fixedWithX + "1000 0001 07 02 abcd", 7, nil},
		{"absent id", chromeVideo, 9, ErrExtensionNotFound},
		{"no extension", fixedPlain, 3, ErrExtensionNotFound},
		{"element of 3 bytes", chromeVideo, 2, ErrExtensionValue},
		{"not RTP", "40 60 1234 00000064 deadbeef", 3, ErrVersion},
		{"truncated", "90 60", 3, ErrHeaderTooShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkt := unhex(t, tt.pkt)
			before := bytes.Clone(pkt)
			err := StampTransportCC(pkt, tt.id, 0xfedc)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("StampTransportCC error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if !bytes.Equal(pkt, before) {
					t.Errorf("a failed stamp changed the packet:\n got %x\nwant %x", pkt, before)
				}
				return
			}
			var h Header
			if _, err := h.Unmarshal(pkt); err != nil {
				t.Fatal(err)
			}
			if got, ok := h.TransportCC(tt.id); !ok || got != 0xfedc {
				t.Errorf("after stamping, TransportCC = %#x, %v; want 0xfedc", got, ok)
			}
			// Only the two bytes of the value changed.
			diff := 0
			for i := range pkt {
				if pkt[i] != before[i] {
					diff++
				}
			}
			if diff > 2 {
				t.Errorf("stamping changed %d bytes, want at most 2", diff)
			}
		})
	}
}
