package transcode

import (
	"sync"
	"time"
)

// keyframeThrottle turns keyframe requests, which come at any rate from any goroutine, into at most one keyframe
// per interval. A request inside the interval is not lost: it stays pending, coalesced with the others, and is
// served when the interval ends. A keyframe the encoder makes on its own (its first frame, a new picture size)
// answers the requests made before it came out, and starts the interval as well.
type keyframeThrottle struct {
	interval time.Duration

	mu      sync.Mutex
	pending bool
	last    time.Time // when the latest keyframe was decided; zero before the first
}

func newKeyframeThrottle(interval time.Duration) *keyframeThrottle {
	return &keyframeThrottle{interval: interval}
}

// request records a request; it reports whether it was coalesced with one already pending.
func (k *keyframeThrottle) request() (coalesced bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	coalesced = k.pending
	k.pending = true
	return coalesced
}

// take reports whether a keyframe must be asked for at now: a request is pending and the interval since the
// latest keyframe has passed. It then counts that keyframe as made.
func (k *keyframeThrottle) take(now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.pending || !k.last.IsZero() && now.Sub(k.last) < k.interval {
		return false
	}
	k.pending, k.last = false, now
	return true
}

// wait returns how long until a pending request may be served: 0 when none is pending or it may be now.
func (k *keyframeThrottle) wait(now time.Time) time.Duration {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.pending || k.last.IsZero() {
		return 0
	}
	return max(k.interval-now.Sub(k.last), 0)
}

// made records a keyframe the encoder made without being asked, seen at now.
func (k *keyframeThrottle) made(now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.pending, k.last = false, now
}

// requestLimiter lets a repeated request through at most once per interval (the decoder's keyframe requests to
// the publisher, which it repeats while it waits). It is used by one goroutine.
type requestLimiter struct {
	interval time.Duration
	last     time.Time
}

// allow reports whether a request at now may go out, and counts it when it may.
func (r *requestLimiter) allow(now time.Time) bool {
	if !r.last.IsZero() && now.Sub(r.last) < r.interval {
		return false
	}
	r.last = now
	return true
}
