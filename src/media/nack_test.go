package media

import (
	"slices"
	"testing"
	"time"
)

func TestNACKGenerator(t *testing.T) {
	ms := time.Millisecond
	g := newNACKGenerator()
	step := func(seq int64, now time.Duration, wantWanted, wantRecoverable bool) {
		t.Helper()
		wanted, recoverable := g.received(seq, now)
		if wanted != wantWanted || recoverable != wantRecoverable {
			t.Fatalf("received(%d) = %v, %v; want %v, %v", seq, wanted, recoverable, wantWanted, wantRecoverable)
		}
	}
	due := func(now, rtt time.Duration, want []uint16, wantGaveUp bool) {
		t.Helper()
		got, gaveUp := g.due(nil, now, rtt)
		if !slices.Equal(got, want) || gaveUp != wantGaveUp {
			t.Fatalf("due(%v) = %v, %v; want %v, %v", now, got, gaveUp, want, wantGaveUp)
		}
	}
	step(100, 0, true, true)
	step(101, 1*ms, true, true)
	step(104, 2*ms, true, true) // 102, 103 missing
	due(2*ms, 50*ms, []uint16{102, 103}, false)
	due(20*ms, 50*ms, nil, false) // asked less than an RTT ago
	step(103, 30*ms, true, true)  // recovered
	step(103, 31*ms, false, true) // a duplicate
	due(60*ms, 50*ms, []uint16{102}, false)
	step(99, 61*ms, false, true) // older than the start: nothing to forward
	// Retries stop at maxNACKTries.
	now := 60 * ms
	for range maxNACKTries - 2 {
		now += 50 * ms
		due(now, 50*ms, []uint16{102}, false)
	}
	due(now+50*ms, 50*ms, nil, true)
	if g.pending() {
		t.Fatal("a packet given up is still pending")
	}
	step(102, now+60*ms, false, true) // too late: given up
}

func TestNACKGeneratorGivesUpOldPackets(t *testing.T) {
	g := newNACKGenerator()
	g.received(1, 0)
	g.received(3, 0)
	if got, _ := g.due(nil, 0, time.Hour); !slices.Equal(got, []uint16{2}) {
		t.Fatalf("first due = %v", got)
	}
	if got, gaveUp := g.due(nil, maxMissingAge+time.Millisecond, time.Millisecond); len(got) != 0 || !gaveUp {
		t.Fatalf("after maxMissingAge: %v, %v", got, gaveUp)
	}
}

func TestNACKGeneratorLargeGap(t *testing.T) {
	g := newNACKGenerator()
	g.received(10, 0)
	g.received(12, 0)
	if _, recoverable := g.received(12+maxMissing+1, 0); recoverable {
		t.Fatal("a gap larger than maxMissing is recoverable")
	}
	if g.pending() {
		t.Fatal("pending packets kept after a gap that asks for a keyframe")
	}
	if _, recoverable := g.received(12+maxMissing+3, 0); !recoverable {
		t.Fatal("a small gap after the large one is not recoverable")
	}
}

func TestNACKGeneratorWrapsAndRTTFloor(t *testing.T) {
	g := newNACKGenerator()
	g.received(65534, 0)
	g.received(65537, 0) // 65535 and 65536 (0 on the wire) missing
	if got, _ := g.due(nil, 0, 0); !slices.Equal(got, []uint16{65535, 0}) {
		t.Fatalf("due = %v, want [65535 0]", got)
	}
	if got, _ := g.due(nil, minNACKInterval-time.Microsecond, 0); len(got) != 0 {
		t.Fatalf("asked again %v before minNACKInterval", got)
	}
	if got, _ := g.due(nil, minNACKInterval, 0); len(got) != 2 {
		t.Fatalf("not asked again after minNACKInterval: %v", got)
	}
}
