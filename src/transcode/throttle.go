package transcode

import (
	"sync"
	"time"
)

// keyframeThrottle turns keyframe requests, which come at any rate from any goroutine, into at most one keyframe
// per interval. A request inside the interval is not lost: it stays pending, coalesced with the others, and the
// first frame after the interval is made a keyframe. A keyframe the encoder makes on its own (its first frame)
// answers the requests made before it, and starts the interval as well.
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

// take reports whether the frame about to be encoded at now must be a keyframe: a request is pending and the
// interval since the latest keyframe has passed. It then counts that keyframe as made.
func (k *keyframeThrottle) take(now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.pending || !k.last.IsZero() && now.Sub(k.last) < k.interval {
		return false
	}
	k.pending, k.last = false, now
	return true
}

// made records a keyframe the encoder makes without being asked, on the frame about to be encoded at now.
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

// frameRateLimiter keeps at most rate frames per second of a stream by their timestamps: a frame is kept when it
// is due, and each kept frame moves the due time one frame interval on, so the long-run rate never exceeds the
// target, and a frame slightly early (a quarter of an interval: capture jitter) still counts as due. After a
// pause in the input the due time catches up instead of letting a burst through.
type frameRateLimiter struct {
	interval time.Duration
	started  bool
	due      time.Duration
}

func newFrameRateLimiter(rate int) *frameRateLimiter {
	return &frameRateLimiter{interval: time.Second / time.Duration(rate)}
}

// keep reports whether the frame at pts is kept.
func (f *frameRateLimiter) keep(pts time.Duration) bool {
	if !f.started {
		f.started, f.due = true, pts+f.interval
		return true
	}
	if pts < f.due-f.interval/4 {
		return false
	}
	f.due += f.interval
	if f.due < pts {
		f.due = pts + f.interval
	}
	return true
}
