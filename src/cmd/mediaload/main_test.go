package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	noEnv := func(string) string { return "" }
	cfg, err := parseFlags(nil, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.rooms*cfg.publishers*(cfg.publishers-1+cfg.listeners) != 50 {
		t.Errorf("the defaults forward %d streams, want the 50 of the media issue's figure",
			cfg.rooms*cfg.publishers*(cfg.publishers-1+cfg.listeners))
	}
	cfg, err = parseFlags(nil, func(k string) string {
		if k == "JWT_SECRET" {
			return "s3cret"
		}
		return ""
	}, io.Discard)
	if err != nil || cfg.secret != "s3cret" {
		t.Errorf("secret from $JWT_SECRET: %q, %v", cfg.secret, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-rooms", "0"}, "-rooms"},
		{[]string{"-publishers", "1", "-listeners", "0"}, "two participants"},
		{[]string{"-fps", "0"}, "-fps"},
		{[]string{"-pacing", "0.5"}, "-pacing"},
		{[]string{"-video-bitrate", "1"}, "-video-bitrate"},
		{[]string{"-duration", "0s"}, "-duration"},
		{[]string{"-warmup", "1m", "-duration", (maxRun).String()}, "-warmup + -duration"},
		{[]string{"extra"}, "unexpected arguments"},
	} {
		_, err := parseFlags(tc.args, noEnv, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseFlags(%q): %v; want an error about %q", tc.args, err, tc.want)
		}
	}
	if _, err := parseFlags([]string{"-duration", time.Minute.String(), "-rooms", "2"}, noEnv, io.Discard); err != nil {
		t.Errorf("valid flags refused: %v", err)
	}
}
