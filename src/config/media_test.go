package config

import (
	"slices"
	"strings"
	"testing"
)

func TestLoadMediaForwarding(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		codecs   []string
		min, max int
	}{
		{"defaults", nil, []string{"vp8", "h264", "vp9", "av1"}, 100_000, 2_500_000},
		{"set", map[string]string{"VIDEO_CODECS": " H264, vp8 ", "MIN_VIDEO_BITRATE": "300000",
			"MAX_VIDEO_BITRATE": "1000000"}, []string{"h264", "vp8"}, 300_000, 1_000_000},
		{"equal bounds", map[string]string{"MIN_VIDEO_BITRATE": "500000", "MAX_VIDEO_BITRATE": "500000"},
			[]string{"vp8", "h264", "vp9", "av1"}, 500_000, 500_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.VideoCodecs, tt.codecs) || c.MinVideoBitrate != tt.min || c.MaxVideoBitrate != tt.max {
				t.Fatalf("codecs %q, bitrates %d-%d; want %q, %d-%d", c.VideoCodecs, c.MinVideoBitrate,
					c.MaxVideoBitrate, tt.codecs, tt.min, tt.max)
			}
		})
	}
}

func TestLoadMediaForwardingRejects(t *testing.T) {
	tests := []struct {
		variable string
		env      map[string]string
	}{
		{"VIDEO_CODECS", map[string]string{"VIDEO_CODECS": ""}},
		{"VIDEO_CODECS", map[string]string{"VIDEO_CODECS": " , "}},
		{"VIDEO_CODECS", map[string]string{"VIDEO_CODECS": "vp8,theora"}},
		{"VIDEO_CODECS", map[string]string{"VIDEO_CODECS": "vp8,VP8"}},
		{"MIN_VIDEO_BITRATE", map[string]string{"MIN_VIDEO_BITRATE": "9999"}},
		{"MAX_VIDEO_BITRATE", map[string]string{"MAX_VIDEO_BITRATE": "fast"}},
		{"MIN_VIDEO_BITRATE", map[string]string{"MIN_VIDEO_BITRATE": "3000000", "MAX_VIDEO_BITRATE": "2000000"}},
	}
	for _, tt := range tests {
		t.Run(tt.variable, func(t *testing.T) {
			_, err := Load(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.variable) {
				t.Fatalf("err = %v, want one naming %s", err, tt.variable)
			}
		})
	}
}

func TestLoadTransportCC(t *testing.T) {
	tests := []struct {
		value string
		want  bool
	}{{"", true}, {"on", true}, {" OFF ", false}, {"false", false}, {"1", true}}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			vars := map[string]string{}
			if tt.value != "" {
				vars["TRANSPORT_CC"] = tt.value
			}
			c, err := Load(env(vars))
			if err != nil {
				t.Fatal(err)
			}
			if c.TransportCC != tt.want {
				t.Fatalf("TRANSPORT_CC=%q: %v, want %v", tt.value, c.TransportCC, tt.want)
			}
		})
	}
	if _, err := Load(env(map[string]string{"TRANSPORT_CC": "maybe"})); err == nil ||
		!strings.Contains(err.Error(), "TRANSPORT_CC") {
		t.Fatalf("TRANSPORT_CC=maybe: err = %v, want one naming TRANSPORT_CC", err)
	}
}
