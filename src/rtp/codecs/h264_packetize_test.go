package codecs

import (
	"bytes"
	"errors"
	"testing"
)

const (
	testSPS = "6742c01eab"
	testPPS = "68ce3c80"
	testIDR = "6588840011"
)

func TestH264Payloader(t *testing.T) {
	tests := []struct {
		name   string
		budget int
		aus    []string
		want   [][]string // payloads per access unit
	}{
		{
			name: "SPS, PPS and a small IDR in one STAP-A",
			aus:  []string{"00000001" + testSPS + "00000001" + testPPS + "00000001" + testIDR},
			want: [][]string{{"78 0005" + testSPS + "0004" + testPPS + "0005" + testIDR}},
		},
		{
			name: "a lone slice is a single NAL unit packet; AUD and filler data are dropped",
			aus:  []string{"00000001 0910 00000001 419a22 000001 0cffff"},
			want: [][]string{{"419a22"}},
		},
		{
			name: "3-byte start codes, trailing zeros; the STAP-A NRI is the highest of its units",
			aus:  []string{"000001 219a22 0000 000001 419a23 00"},
			want: [][]string{{"58 0003 219a22 0003 419a23"}},
		},
		{
			name: "an IDR without parameter sets gets the last ones; a non-IDR slice does not",
			aus: []string{
				"00000001" + testSPS + "00000001" + testPPS + "00000001" + testIDR,
				"00000001 419a22",
				"00000001 0910 00000001" + testIDR,
			},
			want: [][]string{
				{"78 0005" + testSPS + "0004" + testPPS + "0005" + testIDR},
				{"419a22"},
				{"78 0005" + testSPS + "0004" + testPPS + "0005" + testIDR},
			},
		},
		{
			name: "only the missing parameter set is added",
			aus: []string{
				"00000001" + testSPS + "00000001" + testPPS + "00000001" + testIDR,
				"00000001 68ce3c81 00000001" + testIDR,
			},
			want: [][]string{
				{"78 0005" + testSPS + "0004" + testPPS + "0005" + testIDR},
				{"78 0005" + testSPS + "0004 68ce3c81 0005" + testIDR},
			},
		},
		{
			name: "no PPS ever: the SPS alone is added",
			aus:  []string{"00000001" + testSPS + "00000001" + testIDR, "00000001" + testIDR},
			want: [][]string{{"78 0005" + testSPS + "0005" + testIDR}, {"78 0005" + testSPS + "0005" + testIDR}},
		},
		{
			// 17 bytes after the NAL header, 14 per fragment: 2 fragments of 9 and 8 bytes.
			name:   "parameter sets in a STAP-A, then the IDR in balanced FU-A fragments",
			budget: 16,
			aus:    []string{"00000001" + testSPS + "00000001" + testPPS + "00000001 65 000102030405060708090a0b0c0d0e0f10"},
			want: [][]string{{
				"78 0005" + testSPS + "0004" + testPPS,
				"7c 85 000102030405060708",
				"7c 45 090a0b0c0d0e0f10",
			}},
		},
		{
			name:   "a NAL unit exactly at the budget is sent whole",
			budget: 5,
			aus:    []string{"00000001 4101020304"},
			want:   [][]string{{"4101020304"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewH264PayloaderWith(H264PayloaderConfig{PayloadBudget: tt.budget})
			if err != nil {
				t.Fatal(err)
			}
			for i, au := range tt.aus {
				got, err := p.Payload(unhex(t, au))
				if err != nil {
					t.Fatalf("access unit %d: %v", i, err)
				}
				if len(got) != len(tt.want[i]) {
					t.Fatalf("access unit %d: %d payloads %x, want %d", i, len(got), got, len(tt.want[i]))
				}
				for k, payload := range got {
					if want := unhex(t, tt.want[i][k]); !bytes.Equal(payload, want) {
						t.Errorf("access unit %d payload %d = %x, want %x", i, k, payload, want)
					}
				}
			}
		})
	}
}

func TestH264PayloaderErrors(t *testing.T) {
	tests := []struct {
		name string
		au   string
		want error
	}{
		{"no start code", "419a22", ErrH264AnnexB},
		{"data before the first start code", "ff 00000001 419a22", ErrH264AnnexB},
		{"empty", "", ErrH264AnnexB},
		{"forbidden bit", "00000001 c19a", ErrH264ForbiddenBit},
		{"NAL unit type 0", "00000001 0011", ErrH264NALType},
		{"an aggregation type inside an access unit", "00000001 7800", ErrH264NALType},
		{"nothing left to send", "00000001 0910 00000001 0cff", ErrEmptyFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewH264Payloader().Payload(unhex(t, tt.au)); !errors.Is(err, tt.want) {
				t.Errorf("Payload = %v, want %v", err, tt.want)
			}
		})
	}
	for _, budget := range []int{-1, 2, 70000} {
		if _, err := NewH264PayloaderWith(H264PayloaderConfig{PayloadBudget: budget}); err == nil {
			t.Errorf("budget %d accepted", budget)
		}
	}
}

// TestH264PayloaderPacketsParse checks every payload against our H264 packet parser for NAL units around the
// budget: each within the budget, fragments in order with one start and one end.
func TestH264PayloaderPacketsParse(t *testing.T) {
	for _, budget := range []int{3, 50, 1200} {
		p, err := NewH264PayloaderWith(H264PayloaderConfig{PayloadBudget: budget})
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{2, budget - 1, budget, budget + 1, 3 * budget, 10_000} {
			if size < 2 {
				continue
			}
			nal := append([]byte{0x41}, bytes.Repeat([]byte{0x5a}, size-1)...)
			payloads, err := p.Payload(append([]byte{0, 0, 0, 1}, nal...))
			if err != nil {
				t.Fatal(err)
			}
			var rebuilt []byte
			for k, payload := range payloads {
				if len(payload) > budget {
					t.Fatalf("budget %d, NAL %d: payload of %d bytes", budget, size, len(payload))
				}
				var pkt H264Packet
				if err := pkt.Unmarshal(payload); err != nil {
					t.Fatalf("budget %d, NAL %d, payload %d: %v", budget, size, k, err)
				}
				if pkt.FragmentStart != (k == 0) || pkt.FragmentEnd != (k == len(payloads)-1) {
					t.Fatalf("budget %d, NAL %d, payload %d: %+v", budget, size, k, pkt)
				}
				if pkt.Type == H264FUA {
					if k == 0 {
						rebuilt = append(rebuilt, payload[0]&0xe0|payload[1]&0x1f)
					}
					rebuilt = append(rebuilt, payload[2:]...)
				} else {
					rebuilt = append(rebuilt, payload...)
				}
			}
			if !bytes.Equal(rebuilt, nal) {
				t.Fatalf("budget %d, NAL %d: data does not survive", budget, size)
			}
		}
	}
}
