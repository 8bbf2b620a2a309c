package congestion

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
)

const ms = time.Millisecond

// arrival is one packet given to a recorder.
type arrival struct {
	seq uint16
	at  time.Duration
}

// drain builds every waiting feedback at now and returns them decoded.
func drain(t testing.TB, r *FeedbackRecorder, now time.Duration) []rtcp.TransportCC {
	t.Helper()
	var out []rtcp.TransportCC
	for range 1000 {
		b, ok, err := r.AppendFeedback(nil, now)
		if err != nil {
			t.Fatalf("AppendFeedback: %v", err)
		}
		if !ok {
			return out
		}
		var fb rtcp.TransportCC
		if err := fb.Unmarshal(b); err != nil {
			t.Fatalf("feedback does not parse: %v (%x)", err, b)
		}
		out = append(out, fb)
	}
	t.Fatal("AppendFeedback never ends")
	return nil
}

// covered lists, for each feedback, its base, count and the sequence numbers it reports received.
type covered struct {
	base, count uint16
	received    []uint16
}

func summary(fbs []rtcp.TransportCC) []covered {
	var out []covered
	for _, fb := range fbs {
		c := covered{base: fb.BaseSequence, count: fb.PacketCount}
		for _, a := range fb.Arrivals {
			c.received = append(c.received, a.Sequence)
		}
		out = append(out, c)
	}
	return out
}

func newTestRecorder(t testing.TB, cfg RecorderConfig) *FeedbackRecorder {
	t.Helper()
	if cfg.SenderSSRC == 0 {
		cfg.SenderSSRC = 0xabc
	}
	r, err := NewFeedbackRecorderWith(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRecorderConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  RecorderConfig
		ok   bool
	}{
		{"defaults", RecorderConfig{SenderSSRC: 1}, true},
		{"sender SSRC 0", RecorderConfig{}, false},
		{"interval too short", RecorderConfig{SenderSSRC: 1, Interval: ms}, false},
		{"interval too long", RecorderConfig{SenderSSRC: 1, Interval: 2 * time.Second}, false},
		{"negative loss burst", RecorderConfig{SenderSSRC: 1, LossBurst: -1}, false},
		{"history not a power of two", RecorderConfig{SenderSSRC: 1, History: 1000}, false},
		{"history too small", RecorderConfig{SenderSSRC: 1, History: 32}, false},
		{"history too large", RecorderConfig{SenderSSRC: 1, History: 1 << 16}, false},
		{"feedback too small", RecorderConfig{SenderSSRC: 1, MaxFeedbackSize: 63}, false},
		{"all set", RecorderConfig{SenderSSRC: 1, Interval: 100 * ms, LossBurst: 5, History: 64,
			MaxFeedbackSize: 64}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewFeedbackRecorderWith(tt.cfg)
			if tt.ok != (err == nil) || tt.ok != (r != nil) {
				t.Fatalf("NewFeedbackRecorderWith = %v, %v; want ok %v", r, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrBadConfig) {
				t.Errorf("error %v is not ErrBadConfig", err)
			}
		})
	}
}

func TestRecorderFeedback(t *testing.T) {
	seqs := func(from, to uint16) []uint16 {
		var out []uint16
		for s := from; s != to; s++ {
			out = append(out, s)
		}
		return out
	}
	in := func(seqs ...uint16) []arrival {
		var out []arrival
		for i, s := range seqs {
			out = append(out, arrival{s, time.Second + time.Duration(i)*ms})
		}
		return out
	}
	tests := []struct {
		name      string
		cfg       RecorderConfig
		arrivals  []arrival
		want      []covered
		wantStats RecorderStats
	}{
		{"in order", RecorderConfig{}, in(10, 11, 12),
			[]covered{{10, 3, seqs(10, 13)}}, RecorderStats{Feedbacks: 1}},
		{"a loss is reported not received", RecorderConfig{}, in(10, 12),
			[]covered{{10, 3, []uint16{10, 12}}}, RecorderStats{Feedbacks: 1}},
		{"reordered within the pending range", RecorderConfig{}, in(10, 12, 11),
			[]covered{{10, 3, seqs(10, 13)}}, RecorderStats{Feedbacks: 1}},
		{"a duplicate keeps its first arrival", RecorderConfig{}, in(10, 11, 11),
			[]covered{{10, 2, seqs(10, 12)}}, RecorderStats{Feedbacks: 1, Duplicates: 1}},
		{"wrap around", RecorderConfig{}, in(65534, 65535, 0, 1),
			[]covered{{65534, 4, []uint16{65534, 65535, 0, 1}}}, RecorderStats{Feedbacks: 1}},
		{"a jump beyond the history restarts the report", RecorderConfig{History: 64}, in(10, 11, 200),
			[]covered{{200, 1, []uint16{200}}}, RecorderStats{Feedbacks: 1, Jumps: 1, Unreported: 2}},
		{"a gap within the history is reported lost", RecorderConfig{History: 64}, in(10, 50),
			[]covered{{10, 41, []uint16{10, 50}}}, RecorderStats{Feedbacks: 1}},
		{"the history overflows: oldest reports are lost", RecorderConfig{History: 64}, in(10, 11, 12, 74),
			[]covered{{11, 64, []uint16{11, 12, 74}}}, RecorderStats{Feedbacks: 1, Unreported: 1}},
		{"older than the history: dropped", RecorderConfig{History: 64}, in(100, 101, 20),
			[]covered{{100, 2, []uint16{100, 101}}}, RecorderStats{Feedbacks: 1, TooOld: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRecorder(t, tt.cfg)
			for _, a := range tt.arrivals {
				r.Record(a.seq, a.at)
			}
			got := summary(drain(t, r, 2*time.Second))
			if !slices.EqualFunc(got, tt.want, func(a, b covered) bool {
				return a.base == b.base && a.count == b.count && slices.Equal(a.received, b.received)
			}) {
				t.Errorf("feedback covers %+v, want %+v", got, tt.want)
			}
			if s := r.Stats(); s != tt.wantStats {
				t.Errorf("stats %+v, want %+v", s, tt.wantStats)
			}
		})
	}
}

func TestRecorderArrivalTimes(t *testing.T) {
	r := newTestRecorder(t, RecorderConfig{})
	times := []time.Duration{1000 * ms, 1000*ms + 250*time.Microsecond, 1100 * ms, 1050 * ms, 1200*ms + 999}
	for i, at := range times {
		r.Record(uint16(i), at)
	}
	fbs := drain(t, r, 2*time.Second)
	if len(fbs) != 1 || len(fbs[0].Arrivals) != len(times) {
		t.Fatalf("feedback %+v, want one with %d arrivals", fbs, len(times))
	}
	for i, a := range fbs[0].Arrivals {
		if d := a.Arrival - times[i]; d < -rtcp.TransportCCDeltaUnit/2 || d > rtcp.TransportCCDeltaUnit/2 {
			t.Errorf("arrival %d: %v, want %v within half a delta unit", i, a.Arrival, times[i])
		}
	}
}

func TestRecorderLateReportedAgain(t *testing.T) {
	r := newTestRecorder(t, RecorderConfig{})
	r.Record(1, time.Second)
	r.Record(3, time.Second+ms)
	first := summary(drain(t, r, time.Second+2*ms))
	r.Record(2, time.Second+3*ms)
	r.Record(4, time.Second+4*ms)
	second := summary(drain(t, r, time.Second+5*ms))
	if len(first) != 1 || !slices.Equal(first[0].received, []uint16{1, 3}) {
		t.Fatalf("first feedback %+v", first)
	}
	if len(second) != 1 || second[0].base != 2 || !slices.Equal(second[0].received, []uint16{2, 3, 4}) {
		t.Errorf("second feedback %+v, want 2-4 received from base 2", second)
	}
	if s := r.Stats(); s.Late != 1 {
		t.Errorf("Late = %d, want 1", s.Late)
	}
}

func TestRecorderRestartsAfterSenderRestart(t *testing.T) {
	r := newTestRecorder(t, RecorderConfig{History: 64})
	at := time.Second
	for s := uint16(30000); s < 30100; s++ {
		r.Record(s, at)
		at += ms
	}
	drain(t, r, at)
	// The sender starts again from 100: 20000 numbers behind, far beyond the history.
	for s := uint16(100); s < 100+resetAfterTooOld+10; s++ {
		r.Record(s, at)
		at += ms
	}
	got := summary(drain(t, r, at))
	if len(got) != 1 || got[0].base != 100+resetAfterTooOld-1 || len(got[0].received) != 11 {
		t.Errorf("after the restart, feedback %+v; want the last 11 numbers from %d", got, 100+resetAfterTooOld-1)
	}
	if s := r.Stats(); s.Restarts != 1 || s.TooOld != resetAfterTooOld {
		t.Errorf("stats %+v, want 1 restart and %d too old", s, resetAfterTooOld)
	}
}

func TestRecorderSplits(t *testing.T) {
	t.Run("delta out of range", func(t *testing.T) {
		r := newTestRecorder(t, RecorderConfig{Interval: time.Second})
		r.Record(1, time.Second)
		r.Record(2, 10*time.Second) // 9 s later: more than a 16-bit delta of 250 µs
		r.Record(3, 10*time.Second+ms)
		got := summary(drain(t, r, 11*time.Second))
		want := []covered{{1, 1, []uint16{1}}, {2, 2, []uint16{2, 3}}}
		if len(got) != 2 || got[0].base != want[0].base || got[1].base != want[1].base ||
			!slices.Equal(got[1].received, want[1].received) {
			t.Errorf("feedback %+v, want %+v", got, want)
		}
	})
	t.Run("size", func(t *testing.T) {
		r := newTestRecorder(t, RecorderConfig{MaxFeedbackSize: 100})
		for s := range uint16(500) {
			r.Record(s, time.Second+time.Duration(s)*ms)
		}
		fbs := drain(t, r, 2*time.Second)
		next := uint16(0)
		for _, fb := range fbs {
			b, err := fb.Marshal()
			if err != nil || len(b) > 100 {
				t.Fatalf("feedback of %d bytes (%v), want at most 100", len(b), err)
			}
			if fb.BaseSequence != next || len(fb.Arrivals) != int(fb.PacketCount) {
				t.Fatalf("feedback from %d covering %d with %d arrivals, want from %d, all received",
					fb.BaseSequence, fb.PacketCount, len(fb.Arrivals), next)
			}
			next += fb.PacketCount
		}
		if next != 500 || len(fbs) < 5 {
			t.Errorf("%d feedbacks covering up to %d, want several covering 500", len(fbs), next)
		}
	})
	t.Run("feedback count increments", func(t *testing.T) {
		r := newTestRecorder(t, RecorderConfig{MaxFeedbackSize: 64})
		for s := range uint16(100) {
			r.Record(s, time.Second)
		}
		for i, fb := range drain(t, r, time.Second) {
			if int(fb.FeedbackCount) != i {
				t.Errorf("feedback %d has count %d", i, fb.FeedbackCount)
			}
		}
	})
}

func TestRecorderDue(t *testing.T) {
	type step struct {
		seq  uint16
		at   time.Duration
		due  time.Duration // Due is asked at this time after the packet
		want bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"nothing before the interval", []step{{1, 0, 49 * ms, false}, {2, 49 * ms, 50 * ms, true}}},
		{"one missing number waits", []step{{1, 0, 0, false}, {3, 20 * ms, 20 * ms, false}}},
		{"a loss burst goes at once", []step{{1, 0, 0, false}, {4, 20 * ms, 20 * ms, true}}},
		{"but not within 10 ms of the last", []step{{1, 0, 0, false}, {4, 5 * ms, 5 * ms, false},
			{5, 10 * ms, 10 * ms, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRecorder(t, RecorderConfig{})
			for i, s := range tt.steps {
				r.Record(s.seq, s.at)
				if got := r.Due(s.due); got != s.want {
					t.Errorf("step %d: Due(%v) = %v, want %v", i, s.due, got, s.want)
				}
			}
		})
	}

	r := newTestRecorder(t, RecorderConfig{History: 64})
	if r.Due(time.Hour) {
		t.Error("Due before any packet")
	}
	for s := range uint16(32) {
		r.Record(s, 0)
	}
	if !r.Due(0) {
		t.Error("half the history waiting is not due")
	}
	drain(t, r, 0)
	if r.Due(time.Hour) {
		t.Error("due with nothing waiting")
	}
}

// TestRecorderBoundedMemory feeds a recorder adversarial numbers and times and checks that every feedback parses,
// covers at most the history, and that the recorder's buffers do not grow past it.
func TestRecorderBoundedMemory(t *testing.T) {
	r := newTestRecorder(t, RecorderConfig{History: 256})
	rng := rand.New(rand.NewPCG(3, 4))
	var seq uint16
	var at time.Duration
	for i := range 200_000 {
		switch rng.IntN(10) {
		case 0:
			seq += uint16(rng.IntN(65536)) // anywhere
		case 1:
			seq -= uint16(rng.IntN(300)) // back
		case 2:
			at += time.Duration(rng.IntN(20)) * time.Second // a long silence
		default:
			seq++
		}
		at += time.Duration(rng.IntN(2000)) * time.Microsecond
		r.Record(seq, at)
		if i%37 == 0 {
			for _, fb := range drain(t, r, at) {
				if fb.PacketCount > 256 {
					t.Fatalf("feedback covers %d numbers, more than the history", fb.PacketCount)
				}
			}
		}
	}
	if len(r.slots) != 256 || cap(r.fb.Arrivals) > 512 {
		t.Errorf("buffers grew: %d slots, arrivals capacity %d", len(r.slots), cap(r.fb.Arrivals))
	}
}

func TestRecordNegativeTime(t *testing.T) {
	r := newTestRecorder(t, RecorderConfig{})
	r.Record(1, -time.Second)
	r.Record(2, 0)
	fbs := drain(t, r, time.Second)
	if len(fbs) != 1 || len(fbs[0].Arrivals) != 2 || fbs[0].Arrivals[0].Arrival != 0 {
		t.Errorf("feedback %+v, want both arrivals at 0", fbs)
	}
}
