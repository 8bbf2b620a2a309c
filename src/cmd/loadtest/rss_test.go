package main

import (
	"os"
	"testing"
)

func TestParseVmRSS(t *testing.T) {
	tests := []struct {
		name   string
		status string
		want   int64
		ok     bool
	}{
		{"linux status", "Name:\tx\nVmPeak:\t 9000 kB\nVmRSS:\t    1234 kB\nRssAnon:\t 1000 kB\n", 1234 << 10, true},
		{"zero", "VmRSS:\t0 kB\n", 0, true},
		{"no trailing newline", "VmRSS: 7 kB", 7 << 10, true},
		{"kernel thread has none", "Name:\tkthreadd\nState:\tS\n", 0, false},
		{"empty", "", 0, false},
		{"no unit", "VmRSS:\t1234\n", 0, false},
		{"other unit", "VmRSS:\t1234 MB\n", 0, false},
		{"not a number", "VmRSS:\tlots kB\n", 0, false},
		{"negative", "VmRSS:\t-4 kB\n", 0, false},
		{"overflowing", "VmRSS:\t99999999999999999999 kB\n", 0, false},
		{"too large to shift", "VmRSS:\t9223372036854775807 kB\n", 0, false},
	}
	for _, tc := range tests {
		got, err := parseVmRSS([]byte(tc.status))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%s: parseVmRSS = %d, %v; want %d, ok %v", tc.name, got, err, tc.want, tc.ok)
		}
	}
}

func TestReadRSSOfThisProcess(t *testing.T) {
	rss, err := readRSS(os.Getpid())
	if err != nil || rss <= 0 {
		t.Fatalf("readRSS(self) = %d, %v", rss, err)
	}
	if _, err := readRSS(-1); err == nil {
		t.Error("readRSS(-1) worked")
	}
}

func FuzzParseVmRSS(f *testing.F) {
	f.Add([]byte("Name:\tx\nVmRSS:\t    1234 kB\n"))
	f.Add([]byte("VmRSS:\t-4 kB\n"))
	f.Add([]byte("VmRSS:"))
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		f.Add(status)
	}
	f.Fuzz(func(t *testing.T, status []byte) {
		rss, err := parseVmRSS(status)
		if err == nil && (rss < 0 || rss%1024 != 0) {
			t.Fatalf("parseVmRSS = %d: not a whole, non-negative number of KiB", rss)
		}
	})
}
