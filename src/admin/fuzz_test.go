package admin

import (
	"strings"
	"testing"
	"time"
)

func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer  abc", "Basic abc", "Bearer", "Bearer ", "", " Bearer x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		token, ok := bearerToken(header)
		if ok && (token == "" || !strings.HasSuffix(header, token) || !strings.EqualFold(header[:6], "bearer")) {
			t.Fatalf("%q gave token %q", header, token)
		}
	})
}

func FuzzTraceDuration(f *testing.F) {
	for _, s := range []string{"", "1", "0.5", "60", "61", "0", "-1", "NaN", "Inf", "1e-300", "0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seconds string) {
		d, err := traceDuration(seconds)
		if err == nil && (d < 0 || d > maxTrace) {
			t.Fatalf("%q gave %v", seconds, d)
		}
		if err != nil && d != 0 {
			t.Fatalf("%q: error with duration %v", seconds, d)
		}
	})
}

func FuzzParseLevel(f *testing.F) {
	for _, s := range []string{"debug", "INFO", " warn\n", "error", "info+2", "debug-4", "verbose", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := parseLevel(s)
		if err != nil {
			return
		}
		// An accepted level reads back as itself.
		if again, err := parseLevel(levelName(l)); err != nil || again != l {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, l, levelName(l), again, err)
		}
	})
}

func TestTraceDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", time.Second, true},
		{"5", 5 * time.Second, true},
		{"0.25", 250 * time.Millisecond, true},
		{"60", time.Minute, true},
		{"60.5", 0, false},
		{"0", 0, false},
		{"-3", 0, false},
		{"NaN", 0, false},
		{"+Inf", 0, false},
		{"ten", 0, false},
	}
	for _, tt := range tests {
		got, err := traceDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("%q: %v, %v", tt.in, got, err)
		}
	}
}
