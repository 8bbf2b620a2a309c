package codecs

import (
	"bytes"
	"errors"
	"testing"
)

func TestVP8Payloader(t *testing.T) {
	tests := []struct {
		name   string
		cfg    VP8PayloaderConfig
		frames []string
		want   [][]string // payloads per frame
	}{
		{
			name:   "one small frame",
			frames: []string{"9015 00 9d012a b000 9000"},
			want:   [][]string{{"90 80 8000 9015 00 9d012a b000 9000"}},
		},
		{
			name:   "picture ids follow each other and wrap after 0x7fff",
			cfg:    VP8PayloaderConfig{PictureID: 0x7ffe},
			frames: []string{"b104 00", "b104 01", "b104 02"},
			want:   [][]string{{"90 80 fffe b104 00"}, {"90 80 ffff b104 01"}, {"90 80 8000 b104 02"}},
		},
		{
			name:   "TL0PICIDX counts frames and wraps",
			cfg:    VP8PayloaderConfig{WithTL0PICIDX: true, TL0PICIDX: 0xff, PictureID: 0x1234},
			frames: []string{"b104 00", "b104 01"},
			want:   [][]string{{"90 c0 9234 ff b104 00"}, {"90 c0 9235 00 b104 01"}},
		},
		{
			// 13 bytes of data with 6 per packet: 3 packets of 5, 4 and 4 bytes, S only on the first.
			name:   "balanced fragments, start bit on the first only",
			cfg:    VP8PayloaderConfig{PayloadBudget: 10, PictureID: 7},
			frames: []string{"00010203 04050607 08090a0b 0c"},
			want:   [][]string{{"90 80 8007 0001020304", "80 80 8007 05060708", "80 80 8007 090a0b0c"}},
		},
		{
			name:   "a frame that fills the budget exactly stays in one packet",
			cfg:    VP8PayloaderConfig{PayloadBudget: 8},
			frames: []string{"01020304"},
			want:   [][]string{{"90 80 8000 01020304"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewVP8PayloaderWith(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			budget := tt.cfg.PayloadBudget
			if budget == 0 {
				budget = DefaultPayloadBudget
			}
			for i, frame := range tt.frames {
				got, err := p.Payload(unhex(t, frame))
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if len(got) != len(tt.want[i]) {
					t.Fatalf("frame %d: %d payloads %x, want %d", i, len(got), got, len(tt.want[i]))
				}
				for k, payload := range got {
					if want := unhex(t, tt.want[i][k]); !bytes.Equal(payload, want) {
						t.Errorf("frame %d payload %d = %x, want %x", i, k, payload, want)
					}
					if len(payload) > budget {
						t.Errorf("frame %d payload %d: %d bytes over the budget", i, k, len(payload))
					}
				}
			}
		})
	}
}

// TestVP8PayloaderDescriptorsParse checks the payloads against our descriptor parser: every payload within the
// budget, one start per frame, the same picture id on every packet of a frame.
func TestVP8PayloaderDescriptorsParse(t *testing.T) {
	for _, budget := range []int{6, 100, 1200} {
		p, err := NewVP8PayloaderWith(VP8PayloaderConfig{PayloadBudget: budget, WithTL0PICIDX: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{1, 2, budget - 5, budget - 4, budget, 5000} {
			if size < 1 {
				continue
			}
			frame := bytes.Repeat([]byte{0xab}, size)
			want := p.PictureID()
			payloads, err := p.Payload(frame)
			if err != nil {
				t.Fatal(err)
			}
			var rebuilt []byte
			for k, payload := range payloads {
				if len(payload) > budget {
					t.Fatalf("budget %d, frame %d: payload of %d bytes", budget, size, len(payload))
				}
				var d VP8Descriptor
				n, err := d.Unmarshal(payload)
				if err != nil {
					t.Fatal(err)
				}
				if d.StartsFrame() != (k == 0) || !d.LongPictureID || d.PictureID != want || !d.HasTL0PICIDX {
					t.Fatalf("budget %d, frame %d, payload %d: descriptor %+v", budget, size, k, d)
				}
				rebuilt = append(rebuilt, payload[n:]...)
			}
			if !bytes.Equal(rebuilt, frame) {
				t.Fatalf("budget %d, frame %d: data does not survive", budget, size)
			}
		}
	}
}

func TestVP8PayloaderErrors(t *testing.T) {
	for _, cfg := range []VP8PayloaderConfig{
		{PayloadBudget: 4},
		{PayloadBudget: 5, WithTL0PICIDX: true},
		{PayloadBudget: -1},
		{PayloadBudget: 70000},
		{PictureID: 0x8000},
	} {
		if _, err := NewVP8PayloaderWith(cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
	p := NewVP8Payloader()
	if _, err := p.Payload(nil); !errors.Is(err, ErrEmptyFrame) {
		t.Errorf("empty frame: %v, want ErrEmptyFrame", err)
	}
	if p.PictureID() != 0 {
		t.Errorf("a refused frame used picture id %d", p.PictureID())
	}
}
