package congestion

import (
	"errors"
	"testing"
	"time"
)

// sendTimes drains p from now on, waking as NextSendTime says, and returns when each packet left.
func sendTimes(t *testing.T, p *Pacer[int], now time.Duration) map[int]time.Duration {
	t.Helper()
	out := map[int]time.Duration{}
	for range 100_000 {
		for item, _, ok := p.Pop(now); ok; item, _, ok = p.Pop(now) {
			out[item] = now
		}
		at, ok := p.NextSendTime(now)
		if !ok {
			return out
		}
		if at <= now {
			t.Fatalf("NextSendTime %v at %v with the budget spent", at, now)
		}
		now = at
	}
	t.Fatal("the pacer never empties")
	return nil
}

func TestPacerSpreadsABurst(t *testing.T) {
	p := NewPacer[int]()
	p.SetEstimate(1e6) // paced at 2.5 Mbit/s: a 1250-byte packet every 4 ms
	for i := range 50 {
		if !p.Enqueue(i, 1250, ClassVideo, time.Second) {
			t.Fatalf("enqueue %d refused", i)
		}
	}
	times := sendTimes(t, p, time.Second)
	if len(times) != 50 {
		t.Fatalf("%d packets left, want 50", len(times))
	}
	for i := 1; i < 50; i++ {
		if gap := times[i] - times[i-1]; gap < 4*ms-time.Microsecond || gap > 4*ms+time.Microsecond {
			t.Fatalf("gap between packets %d and %d: %v, want 4 ms", i-1, i, gap)
		}
	}
}

func TestPacerPriorities(t *testing.T) {
	p := NewPacer[int]()
	p.SetEstimate(1e6)
	p.Enqueue(1, 1250, ClassVideo, time.Second)
	p.Enqueue(2, 1250, ClassVideo, time.Second)
	p.Enqueue(3, 1250, ClassRetransmission, time.Second)
	p.Enqueue(4, 100, ClassAudio, time.Second)
	p.Enqueue(5, 100, ClassAudio, time.Second)
	var order []int
	now := time.Second
	for range 20 {
		for item, _, ok := p.Pop(now); ok; item, _, ok = p.Pop(now) {
			order = append(order, item)
		}
		now += ms
	}
	want := []int{4, 5, 3, 1, 2}
	if len(order) != len(want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
	// Audio is not held by the budget: right after the video, it still leaves at once.
	p.Enqueue(6, 1250, ClassVideo, now)
	p.Pop(now)
	p.Enqueue(7, 100, ClassAudio, now)
	if item, _, ok := p.Pop(now); !ok || item != 7 {
		t.Errorf("audio held by the budget: %d, %v", item, ok)
	}
}

func TestPacerBounds(t *testing.T) {
	p, err := NewPacerWith[int](PacerConfig{MaxPackets: 16, MaxBytes: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		if !p.Enqueue(i, 1250, ClassVideo, 0) {
			t.Fatalf("enqueue %d refused", i)
		}
	}
	if p.Enqueue(8, 1, ClassVideo, 0) {
		t.Error("enqueue beyond the byte limit accepted")
	}
	for i := range 16 {
		if !p.Enqueue(i, 0, ClassAudio, 0) {
			t.Fatalf("audio %d refused", i)
		}
	}
	if p.Enqueue(16, 0, ClassAudio, 0) {
		t.Error("enqueue beyond the class capacity accepted")
	}
	if p.Enqueue(0, 1, Class(9), 0) || p.Enqueue(0, -1, ClassVideo, 0) {
		t.Error("bad class or size accepted")
	}
	if p.Len() != 24 || p.Bytes() != 10_000 {
		t.Errorf("Len %d Bytes %d, want 24 and 10000", p.Len(), p.Bytes())
	}
}

func TestPacerDrainsALongQueueFaster(t *testing.T) {
	p := NewPacer[int]()
	p.SetEstimate(100e3) // 250 kbit/s paced: 300 packets of 1250 bytes would take 12 s
	for i := range 300 {
		p.Enqueue(i, 1250, ClassVideo, 0)
	}
	if q := p.QueueTime(0); q != DefaultMaxQueueTime {
		t.Errorf("queue time %v, want the %v bound", q, DefaultMaxQueueTime)
	}
	times := sendTimes(t, p, 0)
	if last := times[299]; last > DefaultMaxQueueTime+10*ms {
		t.Errorf("the queue took %v to drain, want about %v", last, DefaultMaxQueueTime)
	}
}

func TestPacerCharge(t *testing.T) {
	p := NewPacer[int]()
	p.SetEstimate(1e6)
	p.Pop(0) // start the clock
	p.Charge(1250, 0)
	p.Enqueue(1, 1250, ClassVideo, 0)
	if _, _, ok := p.Pop(0); ok {
		t.Error("a packet left while the charged padding was not paid back")
	}
	if at, ok := p.NextSendTime(0); !ok || at < 4*ms || at > 4*ms+time.Microsecond {
		t.Errorf("NextSendTime = %v, %v; want 4 ms", at, ok)
	}
	if _, _, ok := p.Pop(4 * ms); !ok {
		t.Error("the packet did not leave once the budget allowed")
	}
	if _, ok := p.NextSendTime(4 * ms); ok {
		t.Error("NextSendTime with an empty queue")
	}
}

func TestPacerConfig(t *testing.T) {
	for _, cfg := range []PacerConfig{{Factor: 0.5}, {Factor: 11}, {MaxQueueTime: ms}, {MaxPackets: 8},
		{MaxBytes: 100}, {MaxQueueTime: time.Minute}} {
		if _, err := NewPacerWith[int](cfg); !errors.Is(err, ErrBadConfig) {
			t.Errorf("NewPacerWith(%+v) error = %v, want ErrBadConfig", cfg, err)
		}
	}
}

// TestPacerBurst: with a burst allowance, packets worth that much of the rate leave at once, and the rest at the
// rate.
func TestPacerBurst(t *testing.T) {
	p, err := NewPacerWith[int](PacerConfig{Factor: 1, Burst: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	p.SetEstimate(800_000) // 100 kB/s: 1,000 bytes in 10 ms
	now := time.Second
	for i := range 5 {
		if !p.Enqueue(i, 500, ClassVideo, now) {
			t.Fatal("enqueue refused")
		}
	}
	n := 0
	for _, _, ok := p.Pop(now); ok; _, _, ok = p.Pop(now) {
		n++
	}
	if n != 2 {
		t.Fatalf("%d packets of 500 bytes left at once with a 1,000-byte burst, want 2", n)
	}
	at, ok := p.NextSendTime(now)
	if !ok || at <= now || at > now+6*time.Millisecond {
		t.Fatalf("next send at %v, want within 5 ms (500 bytes at 100 kB/s)", at-now)
	}
	if _, err := NewPacerWith[int](PacerConfig{Burst: time.Second}); err == nil {
		t.Fatal("a 1 s burst accepted")
	}
}
