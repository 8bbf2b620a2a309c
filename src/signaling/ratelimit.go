package signaling

import (
	"sync"
	"time"
)

// rateLimiter is a token bucket: rate tokens per second, at most burst.
type rateLimiter struct {
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
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
		return true
	}
	return false
}

// sharedLimiter is a rateLimiter and its floodMeter used by several goroutines: the websockets of one user.
type sharedLimiter struct {
	mu    sync.Mutex
	l     *rateLimiter
	flood *floodMeter
}

func newSharedLimiter(rate float64, burst int, now time.Time) *sharedLimiter {
	return &sharedLimiter{l: newRateLimiter(rate, burst, now), flood: newFloodMeter(rate, burst, now)}
}

func (s *sharedLimiter) allow(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.l.allow(now)
}

// drop counts a message dropped by this limiter; see floodMeter.drop. since is the start of the flood.
func (s *sharedLimiter) drop(now time.Time) (closeIt bool, since time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flood.drop(now), s.flood.since
}

// floodMeter decides when a connection that goes on sending over its limits is closed. Each dropped message adds
// one to a level that drains at rate per second; the connection is closed when the level passes limit. So a client
// sending at R messages/s over a limit of rate is closed when R > 2*rate, about limit/(R-2*rate) seconds after its
// burst is spent; a short burst over the limit only costs dropped messages. Used by the read goroutine only.
type floodMeter struct {
	rate  float64
	limit float64
	level float64
	last  time.Time
	// since is when the level last rose from empty: the start of the flood, for the log.
	since time.Time
}

func newFloodMeter(rate float64, limit int, now time.Time) *floodMeter {
	return &floodMeter{rate: rate, limit: float64(limit), last: now}
}

// drop counts a dropped message at now and reports whether the connection must be closed.
func (f *floodMeter) drop(now time.Time) bool {
	if elapsed := now.Sub(f.last).Seconds(); elapsed > 0 {
		f.level = max(0, f.level-elapsed*f.rate)
		f.last = now
	}
	if f.level == 0 {
		f.since = now
	}
	f.level++
	return f.level > f.limit
}
