// Package backoff spaces the attempts of a client that reconnects to a broker: capped exponential backoff with
// jitter. The bus publisher and the cluster node share it, so that both retry with the same policy.
//
//	b := backoff.New(100*time.Millisecond, 30*time.Second)
//	for {
//		if err := connect(); err == nil {
//			b.Reset() // after progress, start again from the shortest delay
//			...
//		}
//		time.Sleep(b.Next())
//	}
//
// It imports nothing of the project; a Backoff belongs to one goroutine.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Backoff is capped exponential backoff with "equal jitter": the n-th delay is drawn uniformly from [⌈d/2⌉, d] with
// d = min(max, min·2ⁿ). The jitter spreads the reconnections of many servers after a broker restart; the lower half
// keeps a failing broker from being hammered in a tight loop.
type Backoff struct {
	min, max time.Duration
	attempt  int
	// rand returns a number in [0, n); math/rand/v2's Int64N outside tests.
	rand func(n int64) int64
}

// New returns a Backoff whose delays grow from minDelay to maxDelay; both must be positive, minDelay <= maxDelay.
func New(minDelay, maxDelay time.Duration) *Backoff {
	return &Backoff{min: minDelay, max: maxDelay, rand: rand.Int64N}
}

// Next returns the delay before the next attempt.
func (b *Backoff) Next() time.Duration {
	d := b.max
	// Doubling stops once the cap is reached, so the shift never overflows.
	if b.attempt < 62 && b.min<<b.attempt < b.max && b.min<<b.attempt > 0 {
		d = b.min << b.attempt
		b.attempt++
	}
	low := (d + 1) / 2 // rounded up, so that no delay is zero
	return low + time.Duration(b.rand(int64(d-low)+1))
}

// Reset starts again from the shortest delay, after a connection that made progress.
func (b *Backoff) Reset() { b.attempt = 0 }
