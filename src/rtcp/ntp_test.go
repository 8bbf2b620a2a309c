package rtcp

import (
	"testing"
	"time"
)

func TestNTPTime(t *testing.T) {
	cases := []struct {
		name string
		t    time.Time
		ntp  uint64
	}{
		{"Unix epoch", time.Unix(0, 0), 2208988800 << 32},
		{"half a second later", time.Unix(0, 500_000_000), 2208988800<<32 | 1<<31},
		{"2026", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), uint64(1767225600+2208988800) << 32},
		{"era 1, after the 2036 wrap", time.Date(2036, 2, 7, 6, 28, 16, 0, time.UTC).Add(time.Second), 1 << 32},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := NTPTime(c.t); got != c.ntp {
				t.Errorf("NTPTime = %#x, want %#x", got, c.ntp)
			}
			if back := TimeFromNTP(c.ntp); !back.Equal(c.t) {
				t.Errorf("TimeFromNTP = %v, want %v", back, c.t)
			}
		})
	}
}

// TestNTPRoundTrip checks that converting back loses less than the 233 ps resolution of the fraction.
func TestNTPRoundTrip(t *testing.T) {
	now := time.Date(2026, 11, 24, 1, 2, 3, 123456789, time.UTC)
	for i := range 1000 {
		in := now.Add(time.Duration(i) * 7919 * time.Microsecond)
		if d := TimeFromNTP(NTPTime(in)).Sub(in); d < -time.Nanosecond || d > 0 {
			t.Fatalf("%v comes back %v off", in, d)
		}
	}
}

func TestCompact(t *testing.T) {
	if got := CompactNTP(0x0123_4567_89ab_cdef); got != 0x4567_89ab {
		t.Errorf("CompactNTP = %#x", got)
	}
	cases := []struct {
		d     time.Duration
		units uint32
	}{
		{-time.Second, 0},
		{0, 0},
		{time.Second, 65536},
		{5250 * time.Millisecond, 0x0005_4000},
		{time.Second / 65536 * 3 / 2, 1},
		{18 * time.Hour, 18 * 3600 * 65536},
		{1 << 16 * time.Second, 1<<32 - 1},
		{time.Duration(1<<63 - 1), 1<<32 - 1},
	}
	for _, c := range cases {
		if got := CompactDuration(c.d); got != c.units {
			t.Errorf("CompactDuration(%v) = %d, want %d", c.d, got, c.units)
		}
	}
	if d := DurationFromCompact(0x0005_4000); d != 5250*time.Millisecond {
		t.Errorf("DurationFromCompact = %v", d)
	}
}

// TestRoundTripTime uses the example of RFC 3550 figure 2 and the cases where no RTT can be computed.
func TestRoundTripTime(t *testing.T) {
	cases := []struct {
		name               string
		arrival, lsr, dlsr uint32
		want               time.Duration
		ok                 bool
	}{
		{"RFC 3550 figure 2", 0xb710_8000, 0xb705_2000, 0x0005_4000, 6125 * time.Millisecond, true},
		{"no SR received yet", 0xb710_8000, 0, 0x0005_4000, 0, false},
		{"negative", 0xb705_2000, 0xb705_2000, 0x0005_4000, 0, false},
		{"across the compact wrap", 0x0000_8000, 0xffff_8000, 0x0000_8000, 500 * time.Millisecond, true},
	}
	for _, c := range cases {
		got, ok := RoundTripTime(c.arrival, c.lsr, c.dlsr)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: RoundTripTime = %v, %v, want %v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// TestReportBlockRoundTripTime plays both ends: an SR sent, echoed in a report block after a delay, read back.
func TestReportBlockRoundTripTime(t *testing.T) {
	sent := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	const path, hold = 80 * time.Millisecond, 1200 * time.Millisecond
	rb := ReportBlock{LastSenderReport: CompactNTP(NTPTime(sent)), Delay: CompactDuration(hold)}
	rtt, ok := rb.RoundTripTime(sent.Add(path + hold))
	if !ok || rtt < path-time.Millisecond || rtt > path+time.Millisecond {
		t.Errorf("RTT = %v, %v, want %v within the 15 µs resolution", rtt, ok, path)
	}
}

func TestJitterDuration(t *testing.T) {
	cases := []struct {
		jitter, clockRate uint32
		want              time.Duration
	}{
		{90, 90000, time.Millisecond},
		{480, 48000, 10 * time.Millisecond},
		{1<<32 - 1, 1, (1<<32 - 1) * time.Second},
		{5, 0, 0},
	}
	for _, c := range cases {
		if got := (ReportBlock{Jitter: c.jitter}).JitterDuration(c.clockRate); got != c.want {
			t.Errorf("jitter %d at %d Hz = %v, want %v", c.jitter, c.clockRate, got, c.want)
		}
	}
}
