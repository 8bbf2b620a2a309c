package transcode

import (
	"slices"
	"strings"
	"testing"
)

func TestParseTiers(t *testing.T) {
	tests := []struct {
		in      string
		want    []Tier
		wantErr string // a piece of the error message
	}{
		{
			in: DefaultTiers,
			want: []Tier{
				{Width: 640, Height: 480, FrameRate: 30, Bitrate: 1_200_000},
				{Width: 480, Height: 360, FrameRate: 25, Bitrate: 600_000},
				{Width: 320, Height: 240, FrameRate: 15, Bitrate: 250_000},
			},
		},
		{in: "1280x720@30:2M", want: []Tier{{Width: 1280, Height: 720, FrameRate: 30, Bitrate: 2_000_000}}},
		{in: " 640x360@30:800000 , 320x180@15:200k", want: []Tier{
			{Width: 640, Height: 360, FrameRate: 30, Bitrate: 800_000},
			{Width: 320, Height: 180, FrameRate: 15, Bitrate: 200_000},
		}},
		{in: "", wantErr: "empty tier list"},
		{in: "640x480@30:1200k,", wantErr: `tier 2: tier "": want WIDTHxHEIGHT@FPS:BITRATE`},
		{in: "640x480", wantErr: "want WIDTHxHEIGHT@FPS:BITRATE"},
		{in: "640x480@30", wantErr: "no bitrate"},
		{in: "640*480@30:1M", wantErr: "is not WIDTHxHEIGHT"},
		{in: "640x480@30:1.2M", wantErr: `bitrate: want a number of bits per second`},
		{in: "640x480@30:1200kbps", wantErr: `bitrate: want a number of bits per second`},
		{in: "640x-480@30:1M", wantErr: `height "-480" is not a positive whole number`},
		{in: "0640x480@30:1M", wantErr: `width "0640"`},
		{in: "641x480@30:1M", wantErr: "not even"},
		{in: "8x8@30:1M", wantErr: "outside 16-3840"},
		{in: "7680x4320@30:1M", wantErr: "outside 16-3840"},
		{in: "640x480@0:1M", wantErr: `frame rate "0"`},
		{in: "640x480@120:1M", wantErr: "frame rate 120 outside 1-60"},
		{in: "640x480@30:10k", wantErr: "bitrate 10000 outside 30k-20M"},
		{in: "640x480@30:50M", wantErr: "outside 30k-20M"},
		{in: "320x240@15:250k,640x480@30:1200k", wantErr: "tier 2 (640x480@30:1200k) after 320x240@15:250k: not smaller"},
		{in: "640x480@30:1200k,640x480@15:600k", wantErr: "not smaller"},
		{in: "640x480@30:1200k,480x640@15:600k", wantErr: "not smaller"},
		{in: "640x480@15:1200k,480x360@30:600k", wantErr: "higher frame rate"},
		{in: "640x480@30:600k,480x360@25:600k", wantErr: "bitrate not below"},
		{in: strings.Repeat("640x480@30:1M,", 8) + "640x480@30:1M", wantErr: "9 tiers, at most 8"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTiers(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseTiers(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ParseTiers(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestTierStringRoundTrip(t *testing.T) {
	for _, s := range []string{"640x480@30:1200k", "1280x720@30:2M", "320x240@15:250001", "16x16@1:30k"} {
		tier, err := ParseTier(s)
		if err != nil {
			t.Fatal(err)
		}
		if tier.String() != s {
			t.Errorf("ParseTier(%q).String() = %q", s, tier.String())
		}
	}
}

func TestParseCodec(t *testing.T) {
	for in, want := range map[string]Codec{"vp8": VP8, "VP9": VP9, "h264": H264} {
		if got, err := ParseCodec(in); err != nil || got != want {
			t.Errorf("ParseCodec(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "av1", "h265"} {
		if _, err := ParseCodec(in); err == nil {
			t.Errorf("ParseCodec(%q) accepted", in)
		}
	}
	if VP9.Encodable() || !VP8.Encodable() || !H264.Encodable() {
		t.Error("Encodable is wrong")
	}
	if _, err := ParseH264Encoder("x265"); err == nil {
		t.Error(`ParseH264Encoder("x265") accepted`)
	}
}

func TestI420Size(t *testing.T) {
	for _, c := range []struct{ w, h, want int }{
		{640, 480, 640 * 480 * 3 / 2},
		{160, 120, 160 * 120 * 3 / 2},
		{322, 240, 324*240 + 2*164*120},
		{176, 144, 176 * 144 * 3 / 2},
	} {
		if got := i420Size(c.w, c.h); got != c.want {
			t.Errorf("i420Size(%d, %d) = %d, want %d", c.w, c.h, got, c.want)
		}
	}
}
