package testkit

import (
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// fatalRecorder is a testing.TB whose Fatalf records the message instead of ending the test.
type fatalRecorder struct {
	testing.TB
	fatal string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) { r.fatal = format }

func TestWaitForReturnsOnceTheConditionHolds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		start := time.Now()
		r := &fatalRecorder{TB: t}
		WaitFor(r, time.Minute, "the third call", func() bool { return calls.Add(1) == 3 })
		if r.fatal != "" || calls.Load() != 3 {
			t.Fatalf("failed %q after %d calls", r.fatal, calls.Load())
		}
		if waited := time.Since(start); waited > 10*firstPoll {
			t.Fatalf("waited %v for a condition true on the third call", waited)
		}
	})
}

func TestWaitForFailsAtTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		r := &fatalRecorder{TB: t}
		WaitFor(r, Patient, "nothing", func() bool { return false })
		if r.fatal == "" {
			t.Fatal("a condition that never holds passed")
		}
		if waited := time.Since(start); waited < Patient || waited > Patient+lastPoll {
			t.Fatalf("gave up after %v, want %v", waited, Patient)
		}
	})
}

func TestEventuallyChecksOnceMoreAfterTheLastSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if !Eventually(time.Second, func() bool { return time.Since(start) >= 990*time.Millisecond }) {
			t.Fatal("a condition true just before the deadline was missed")
		}
	})
}

func TestWaitGoroutinesWaitsForTheirEnd(t *testing.T) {
	before := runtime.NumGoroutine()
	release := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		<-release
	}()
	time.AfterFunc(10*time.Millisecond, func() { close(release) })
	WaitGoroutines(t, before, "a goroutine that ends")
	<-ended
}
