package testkit

import (
	"runtime"
	"testing"
	"time"
)

// Patient bounds a wait on anything that involves processes, sockets, cgo or a broker. Such a wait usually ends
// in milliseconds; the deadline only decides when a test gives up, so it is long enough for a loaded machine.
const Patient = 30 * time.Second

// Poll intervals: the first checks come soon, so that a fast condition costs the test little; later ones space
// out, so that an expensive condition does not load the machine it waits on.
const (
	firstPoll = time.Millisecond
	lastPoll  = 20 * time.Millisecond
)

// Eventually calls cond until it returns true, and reports whether it did before timeout passed. It is WaitFor for
// goroutines other than the test's, and for failure messages that describe the state after the wait.
func Eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	interval := firstPoll
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(interval)
		interval = min(2*interval, lastPoll)
	}
	return true
}

// WaitFor calls cond until it returns true, failing the test with what when timeout passes first.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Eventually(timeout, cond) {
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}

// WaitGoroutines waits until the process runs no more goroutines than before, and fails the test with every
// goroutine's stack after Patient: goroutines that end as what they served closes may take a moment, leaked ones
// never end. after names what ran since before was counted.
func WaitGoroutines(t testing.TB, before int, after string) {
	t.Helper()
	if !Eventually(Patient, func() bool { return runtime.NumGoroutine() <= before }) {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines before %s, %d after:\n%s", before, after, runtime.NumGoroutine(),
			buf[:runtime.Stack(buf, true)])
	}
}
