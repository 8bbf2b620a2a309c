package congestion

import (
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
)

// path is a scripted path for SendSide tests: each packet's one-way delay and fate are functions of its index.
type path struct {
	delay func(i int) time.Duration
	lost  func(i int) bool
}

// feed sends count packets of size bytes every interval from from, through p, with feedback every 50 ms of send
// time, built when its packets arrived (about 20 ms later) and back 20 ms after that, and returns the time after the
// last packet.
func feed(t *testing.T, ss *SendSide, from time.Duration, count int, interval time.Duration, size int, p path,
) time.Duration {
	t.Helper()
	rec := newTestRecorder(t, RecorderConfig{})
	var fb rtcp.TransportCC
	now := from
	nextFeedback := from + 50*ms
	flush := func() {
		for _, f := range drain(t, rec, now) {
			fb = f
			if err := ss.OnFeedback(&fb, now+40*ms); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range count {
		seq := ss.OnSent(size, now)
		if p.lost == nil || !p.lost(i) {
			rec.Record(seq, now+p.delay(i))
		}
		now += interval
		if now >= nextFeedback {
			flush()
			nextFeedback += 50 * ms
		}
	}
	flush()
	return now
}

func fixedDelay(d time.Duration) func(int) time.Duration { return func(int) time.Duration { return d } }

func TestSendSideConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  SendSideConfig
	}{
		{"min above max", SendSideConfig{MinBitrate: 2e6, MaxBitrate: 1e6}},
		{"start below min", SendSideConfig{MinBitrate: 100e3, StartBitrate: 50e3}},
		{"start above max", SendSideConfig{MaxBitrate: 1e6, StartBitrate: 2e6}},
		{"absurd max", SendSideConfig{MaxBitrate: 1 << 41}},
		{"history not a power of two", SendSideConfig{History: 1000}},
		{"history too small", SendSideConfig{History: 128}},
		{"negative feedback age", SendSideConfig{MaxFeedbackAge: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewSendSideWith(tt.cfg); !errors.Is(err, ErrBadConfig) {
				t.Errorf("error = %v, want ErrBadConfig", err)
			}
		})
	}
	ss, err := NewSendSideWith(SendSideConfig{MinBitrate: 400e3})
	if err != nil {
		t.Fatal(err)
	}
	if bps, ok := ss.Bitrate(0); bps != 400e3 || ok {
		t.Errorf("a start below the minimum is raised to it: Bitrate = %d, %v", bps, ok)
	}
}

func TestSendSideBitrateFreshness(t *testing.T) {
	ss := NewSendSide()
	if bps, ok := ss.Bitrate(0); bps != DefaultStartBitrate || ok {
		t.Errorf("before feedback: %d, %v; want the start bitrate, not ok", bps, ok)
	}
	end := feed(t, ss, time.Second, 100, 10*ms, 1000, path{delay: fixedDelay(20 * ms)})
	if _, ok := ss.Bitrate(end); !ok {
		t.Error("no estimate after a second of feedback")
	}
	if _, ok := ss.Bitrate(end + DefaultMaxFeedbackAge + 100*ms); ok {
		t.Error("the estimate is still trusted after the max feedback age without feedback")
	}
	if ss.Loss() != 0 {
		t.Errorf("loss %v on a lossless path", ss.Loss())
	}
}

func TestSendSideBacksOffOnGrowingDelay(t *testing.T) {
	ss, err := NewSendSideWith(SendSideConfig{StartBitrate: 1e6, NoInitialProbing: true, ProbeInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	// 100 packets of 1250 bytes a second: 1 Mbit/s, first on a free path, then into a queue that grows by 1 ms
	// per packet (the path carries less than what is sent).
	now := feed(t, ss, time.Second, 200, 10*ms, 1250, path{delay: fixedDelay(20 * ms)})
	before, _ := ss.Bitrate(now)
	feed(t, ss, now, 50, 10*ms, 1250, path{delay: func(i int) time.Duration { return 20*ms + time.Duration(i)*ms }})
	st := ss.Stats()
	if st.Bitrate >= before || float64(st.Bitrate) > backoff*float64(st.Acknowledged)*1.05 {
		t.Errorf("after a growing queue: estimate %d (was %d), acknowledged %d; want at most 85 %% of it",
			st.Bitrate, before, st.Acknowledged)
	}
}

func TestSendSideBacksOffOnLoss(t *testing.T) {
	ss, err := NewSendSideWith(SendSideConfig{StartBitrate: 1e6, NoInitialProbing: true, ProbeInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	feed(t, ss, time.Second, 300, 10*ms, 1250, path{delay: fixedDelay(20 * ms),
		lost: func(i int) bool { return i%5 == 0 }})
	st := ss.Stats()
	if math.Abs(ss.Loss()-0.2) > 0.02 {
		t.Errorf("Loss() = %.3f, want 0.2", ss.Loss())
	}
	if st.LossBased == 0 || st.Bitrate > 800e3 {
		t.Errorf("after 3 s of 20 %% loss: %+v; want the loss-based cap to lower the estimate", st)
	}
}

func TestSendSideProbes(t *testing.T) {
	ss := NewSendSide()
	// The first call plans the initial probes at 3 and 6 times the start bitrate.
	size, _ := ss.ProbeBytes(time.Second)
	if size == 0 || ss.Stats().ProbeClusters != 2 {
		t.Fatalf("first ProbeBytes: size %d, stats %+v; want a probe packet and two clusters", size, ss.Stats())
	}
	if _, ok := ss.LastProbe(); ok {
		t.Error("a probe result before any feedback")
	}
	if ss.RequestProbe(100e3, time.Second) {
		t.Error("a probe below the estimate was accepted")
	}
	// One cluster is being sent, one waits: two more may wait.
	for i := range 2 {
		if !ss.RequestProbe(4e6, time.Second) {
			t.Errorf("probe %d above the estimate was refused", i)
		}
	}
	if ss.RequestProbe(4e6, time.Second) {
		t.Error("a fourth pending cluster was accepted")
	}

	quiet, err := NewSendSideWith(SendSideConfig{NoInitialProbing: true})
	if err != nil {
		t.Fatal(err)
	}
	if size, wake := quiet.ProbeBytes(time.Second); size != 0 || wake != 0 {
		t.Errorf("ProbeBytes without initial probing = %d, %v", size, wake)
	}
}

// TestSendSideProbeRaisesEstimate sends a cluster on a free path: the result lifts the estimate to the probed rate.
func TestSendSideProbeRaisesEstimate(t *testing.T) {
	ss, err := NewSendSideWith(SendSideConfig{NoInitialProbing: true, ProbeInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	rec := newTestRecorder(t, RecorderConfig{})
	now := time.Second
	if !ss.RequestProbe(2e6, now) {
		t.Fatal("probe refused")
	}
	for range 1000 {
		size, wake := ss.ProbeBytes(now)
		if size > 0 {
			rec.Record(ss.OnSent(size, now), now+20*ms)
			continue
		}
		if wake == 0 {
			break
		}
		now = wake
	}
	for _, fb := range drain(t, rec, now+50*ms) {
		if err := ss.OnFeedback(&fb, now+70*ms); err != nil {
			t.Fatal(err)
		}
	}
	st := ss.Stats()
	if st.ProbeResults != 1 || math.Abs(float64(st.LastProbe)-2e6) > 0.05*2e6 {
		t.Fatalf("stats %+v, want one probe result near 2 Mbit/s", st)
	}
	if r, ok := ss.LastProbe(); !ok || r.Target != 2e6 || r.Bitrate != st.LastProbe || r.At != now+70*ms {
		t.Errorf("LastProbe = %+v, %v; want target 2 Mbit/s, the result, at the feedback's time", r, ok)
	}
	if bps, ok := ss.Bitrate(now + 70*ms); !ok || bps != st.LastProbe {
		t.Errorf("Bitrate = %d, %v; want the probe result %d", bps, ok, st.LastProbe)
	}
	// The result was close to its target: a cluster further up is planned.
	if st.ProbeClusters != 2 {
		t.Errorf("%d clusters, want a second one further up", st.ProbeClusters)
	}
}

func TestSendSideRejectsBadFeedback(t *testing.T) {
	ss := NewSendSide()
	ss.OnSent(100, 0)
	ss.OnSent(100, 0)
	fb := feedbackOf(0, 2, at(1, time.Second), at(0, time.Second))
	if err := ss.OnFeedback(fb, time.Second); !errors.Is(err, ErrBadFeedback) {
		t.Errorf("error = %v, want ErrBadFeedback", err)
	}
}

func TestSendSideRTT(t *testing.T) {
	ss := NewSendSide()
	feed(t, ss, time.Second, 200, 10*ms, 1000, path{delay: fixedDelay(20 * ms)})
	// From the feedback: 20 ms there, up to 50 ms waiting for the feedback, 20 ms back.
	if rtt := ss.Stats().RTT; rtt < 40*ms || rtt > 100*ms {
		t.Errorf("RTT from the feedback %v, want 40-100 ms", rtt)
	}
	ss.SetRTT(30 * ms)
	feed(t, ss, 3*time.Second, 10, 10*ms, 1000, path{delay: fixedDelay(20 * ms)})
	if rtt := ss.Stats().RTT; rtt != 30*ms {
		t.Errorf("RTT after SetRTT %v, want 30 ms", rtt)
	}
}

// TestSendSideConcurrent runs every entry point at once; the race detector checks the locking.
func TestSendSideConcurrent(t *testing.T) {
	ss := NewSendSide()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var seqs []uint16
	wg.Go(func() {
		for i := range 2000 {
			now := time.Duration(i) * ms
			seq := ss.OnSent(1000, now)
			mu.Lock()
			seqs = append(seqs, seq)
			mu.Unlock()
			ss.ProbeBytes(now)
		}
	})
	wg.Go(func() {
		for i := range 200 {
			mu.Lock()
			n := len(seqs)
			mu.Unlock()
			if n == 0 {
				continue
			}
			fb := feedbackOf(0, uint16(n), at(0, time.Second))
			if err := ss.OnFeedback(fb, time.Duration(i)*10*ms); err != nil {
				t.Error(err)
			}
			ss.SetRTT(50 * ms)
		}
	})
	wg.Go(func() {
		for i := range 2000 {
			ss.Bitrate(time.Duration(i) * ms)
			ss.Loss()
			ss.Stats()
		}
	})
	wg.Wait()
}
