package rtcp

import "time"

// ntpUnixOffset is the number of seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).
const ntpUnixOffset = 2208988800

// NTPTime returns the 64-bit NTP timestamp (32.32 fixed-point seconds since 1900) of t, as an SR carries it.
// The seconds wrap in 2036 (NTP era 1), which TimeFromNTP undoes.
func NTPTime(t time.Time) uint64 {
	secs := uint64(t.Unix() + ntpUnixOffset)
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return secs<<32 | frac
}

// TimeFromNTP is the inverse of NTPTime for instants between 1968 and 2104: a timestamp whose seconds have the top
// bit clear is taken to be in era 1 (after February 2036), as RFC 4330 section 3 suggests.
func TimeFromNTP(ntp uint64) time.Time {
	secs := int64(ntp >> 32)
	if secs < 1<<31 {
		secs += 1 << 32
	}
	nanos := int64((ntp & 0xffffffff) * uint64(time.Second) >> 32)
	return time.Unix(secs-ntpUnixOffset, nanos)
}

// CompactNTP is the middle 32 bits of an NTP timestamp (16.16 fixed-point seconds): the form of LSR in report blocks.
func CompactNTP(ntp uint64) uint32 { return uint32(ntp >> 16) }

// CompactDuration converts d to 1/65536 seconds, the unit of DLSR, rounding down; negative durations give 0 and
// durations beyond the field's 18 hours saturate.
func CompactDuration(d time.Duration) uint32 {
	if d <= 0 {
		return 0
	}
	if d >= 1<<16*time.Second {
		return 1<<32 - 1
	}
	return uint32(uint64(d) << 16 / uint64(time.Second))
}

// DurationFromCompact converts 1/65536 seconds (DLSR, or a difference of compact NTP times) to a duration.
func DurationFromCompact(units uint32) time.Duration {
	return time.Duration(uint64(units) * uint64(time.Second) >> 16)
}

// RoundTripTime computes RTT = A - LSR - DLSR (RFC 3550 6.4.1), all in compact NTP form: arrival is the compact NTP
// time the report block arrived. It returns false when lsr is 0 (the peer has received no SR yet) or when the result
// is negative, which clock steps or a bogus peer can cause.
func RoundTripTime(arrival, lsr, dlsr uint32) (time.Duration, bool) {
	if lsr == 0 {
		return 0, false
	}
	rtt := arrival - lsr - dlsr
	if rtt >= 1<<31 {
		return 0, false
	}
	return DurationFromCompact(rtt), true
}
