package main

import (
	"testing"
	"time"
)

func TestParseSchedstat(t *testing.T) {
	tests := []struct {
		line string
		want cpuTime
		ok   bool
	}{
		{"195740855 6145452937 783\n", cpuTime{run: 195740855, wait: 6145452937}, true},
		{"0 0 0", cpuTime{}, true},
		{"", cpuTime{}, false},
		{"1 2", cpuTime{}, false},
		{"1 2 3 4", cpuTime{}, false},
		{"1 -2 3", cpuTime{}, false},
		{"1 x 3", cpuTime{}, false},
		{"99999999999999999999 2 3", cpuTime{}, false},
	}
	for _, tc := range tests {
		got, err := parseSchedstat([]byte(tc.line))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseSchedstat(%q) = %+v, %v; want %+v, ok %v", tc.line, got, err, tc.want, tc.ok)
		}
	}
}

func TestReadCPUGrowsWithWork(t *testing.T) {
	before, err := readCPU(0)
	if err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); time.Since(start) < 20*time.Millisecond; {
	}
	after, err := readCPU(0)
	if err != nil {
		t.Fatal(err)
	}
	if d := after.sub(before); d.run <= 0 || d.wait < 0 {
		t.Errorf("20 ms of spinning measured as %+v", d)
	}
	if _, err := readCPU(-1); err == nil {
		t.Error("readCPU(-1) worked")
	}
}

func FuzzParseSchedstat(f *testing.F) {
	f.Add([]byte("195740855 6145452937 783\n"))
	f.Add([]byte("1 -2 3"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseSchedstat(data)
		if err == nil && (c.run < 0 || c.wait < 0) {
			t.Fatalf("parseSchedstat(%q) = %+v: negative", data, c)
		}
	})
}
