package main

import (
	"testing"
	"time"
)

func TestStampRoundTrip(t *testing.T) {
	for _, d := range []time.Duration{0, 1, 1500 * time.Microsecond, 90 * time.Minute, 1<<63 - 1} {
		got, err := parseStamp(stampedCandidate(d))
		if err != nil || got != d {
			t.Errorf("parseStamp(stampedCandidate(%d)) = %d, %v", d, got, err)
		}
	}
}

func TestParseStampRejects(t *testing.T) {
	for _, line := range []string{
		"",
		"candidate:",
		"candidate:12",
		"candidate:12 1 udp 2122260223 192.0.2.1 9 typ host",
		"candidate:abc 1 udp 2122260223 192.0.2.1 9 typ host generation 0",
		"candidate:-5 1 udp 2122260223 192.0.2.1 9 typ host generation 0",
		"candidate:007 1 udp 2122260223 192.0.2.1 9 typ host generation 0",
		"candidate:+5 1 udp 2122260223 192.0.2.1 9 typ host generation 0",
		"candidate:99999999999999999999 1 udp 2122260223 192.0.2.1 9 typ host generation 0",
		"candidate: 1 udp 2122260223 192.0.2.1 9 typ host generation 0",
		"candidate:842163049 1 udp 1677729535 203.0.113.7 50000 typ srflx raddr 0.0.0.0 rport 0 generation 0",
		"a=candidate:12 1 udp 2122260223 192.0.2.1 9 typ host generation 0",
	} {
		if d, err := parseStamp(line); err == nil {
			t.Errorf("parseStamp(%q) = %d, want an error", line, d)
		}
	}
}

func FuzzParseStamp(f *testing.F) {
	f.Add(stampedCandidate(123456789))
	f.Add("candidate:1 1 udp 2122260223 192.0.2.1 9 typ host generation 0")
	f.Add("candidate:842163049 1 udp 1677729535 203.0.113.7 50000 typ srflx raddr 0.0.0.0 rport 0 generation 0")
	f.Add("")
	f.Fuzz(func(t *testing.T, line string) {
		d, err := parseStamp(line)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("parseStamp(%q) = %d: negative", line, d)
		}
		if back := stampedCandidate(d); back != line {
			t.Fatalf("parseStamp(%q) = %d, which is written %q", line, d, back)
		}
	})
}
