package media

import (
	"testing"
	"time"
)

func TestKeyframeRequester(t *testing.T) {
	k := newKeyframeRequester(500 * time.Millisecond)
	steps := []struct {
		at        time.Duration
		ask       bool // ask (true) or due (false)
		wantSend  bool
		wantState bool // pending after the step
	}{
		{0, true, true, false},
		{100 * time.Millisecond, true, false, true},
		{200 * time.Millisecond, true, false, true},
		{400 * time.Millisecond, false, false, true},
		{500 * time.Millisecond, false, true, false},
		{600 * time.Millisecond, false, false, false},
		{2 * time.Second, true, true, false},
	}
	for _, s := range steps {
		var got bool
		if s.ask {
			got = k.ask(s.at)
		} else {
			got = k.due(s.at)
		}
		if got != s.wantSend || k.pending.Load() != s.wantState {
			t.Fatalf("at %v (ask %v): send %v pending %v, want %v %v", s.at, s.ask, got, k.pending.Load(),
				s.wantSend, s.wantState)
		}
	}
	if a, b := k.nextFIRSequence(), k.nextFIRSequence(); b != a+1 {
		t.Fatalf("FIR sequence numbers %d then %d", a, b)
	}
}
