package signaling

import "time"

// rateLimiter is a token bucket of one connection, used by its read goroutine only.
type rateLimiter struct {
	rate    float64 // tokens per second
	burst   float64
	tokens  float64
	last    time.Time
	dropped int // messages refused since the last accepted one
}

func newRateLimiter(rate float64, burst int, now time.Time) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

// allow takes a token for a message received at now.
func (l *rateLimiter) allow(now time.Time) bool {
	if elapsed := now.Sub(l.last).Seconds(); elapsed > 0 {
		l.tokens = min(l.burst, l.tokens+elapsed*l.rate)
		l.last = now
	}
	if l.tokens >= 1 {
		l.tokens--
		l.dropped = 0
		return true
	}
	l.dropped++
	return false
}
