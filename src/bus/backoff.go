package bus

import (
	"math/rand/v2"
	"time"
)

// backoff is capped exponential backoff with "equal jitter": the n-th delay is drawn uniformly from [⌈d/2⌉, d] with
// d = min(max, min·2ⁿ). The jitter spreads the reconnections of many servers after a broker restart; the lower half
// keeps a failing broker from being hammered in a tight loop.
type backoff struct {
	min, max time.Duration
	attempt  int
	// rand returns a number in [0, n); math/rand/v2's Int64N outside tests.
	rand func(n int64) int64
}

func newBackoff(minDelay, maxDelay time.Duration) *backoff {
	return &backoff{min: minDelay, max: maxDelay, rand: rand.Int64N}
}

// next returns the delay before the next attempt.
func (b *backoff) next() time.Duration {
	d := b.max
	// Doubling stops once the cap is reached, so the shift never overflows.
	if b.attempt < 62 && b.min<<b.attempt < b.max && b.min<<b.attempt > 0 {
		d = b.min << b.attempt
		b.attempt++
	}
	low := (d + 1) / 2 // rounded up, so that no delay is zero
	return low + time.Duration(b.rand(int64(d-low)+1))
}

// reset starts again from the shortest delay, after a connection that made progress.
func (b *backoff) reset() { b.attempt = 0 }
