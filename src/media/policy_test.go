package media

import (
	"testing"
	"time"
)

var testLadder = []uint64{1_200_000, 600_000, 250_000}

// step is one call of the policy in a sequence: the inputs that change, and the choice expected after it.
type step struct {
	at       time.Duration
	estimate uint64 // 0: no estimate
	loss     float64
	want     int
	why      string
}

func TestPolicy(t *testing.T) {
	s := time.Second
	tests := []struct {
		name        string
		forwardable bool
		forwardRate uint64
		start       int
		steps       []step
	}{
		{"a forwarded receiver with room stays", true, 1_700_000, forwarded, []step{
			{at: 0, estimate: 2_500_000, want: forwarded},
			{at: 10 * s, estimate: 2_000_000, want: forwarded},
		}},
		{"no estimate: nothing changes", true, 1_700_000, forwarded, []step{
			{at: 0, want: forwarded}, {at: 30 * s, want: forwarded},
		}},
		{"a falling estimate goes down at once, to the tier it carries", true, 1_700_000, forwarded, []step{
			{at: 0, estimate: 2_000_000, want: forwarded},
			{at: s, estimate: 300_000, want: 1, why: "estimate"},
		}},
		{"an estimate below every floor takes the last tier", true, 1_700_000, forwarded, []step{
			{at: 0, estimate: 100_000, want: 2, why: "estimate"},
		}},
		{"the forwarded stream's floor is three quarters of the best tier's bitrate", true, 1_700_000, forwarded, []step{
			{at: 0, estimate: 1_000_000, want: forwarded},
			{at: s, estimate: 850_000, want: 0, why: "estimate"},
		}},
		{"sustained loss goes one step down, a blip does not", true, 1_700_000, forwarded, []step{
			{at: 0, estimate: 2_000_000, loss: 0.2, want: forwarded},
			{at: s, estimate: 2_000_000, loss: 0, want: forwarded},
			{at: 2 * s, estimate: 2_000_000, loss: 0.2, want: forwarded},
			{at: 3 * s, estimate: 2_000_000, loss: 0.2, want: forwarded},
			{at: 4 * s, estimate: 2_000_000, loss: 0.2, want: 0, why: "loss"},
			{at: 5 * s, estimate: 2_000_000, loss: 0.2, want: 0},
			{at: 6 * s, estimate: 2_000_000, loss: 0.2, want: 1, why: "loss"},
		}},
		{"up one step only after sustained headroom", true, 1_700_000, 2, []step{
			{at: 0, estimate: 400_000, want: 2},
			{at: s, estimate: 400_000, want: 2},
			{at: 2 * s, estimate: 260_000, want: 2}, // below 1.1 times the tier's rate: the hold starts again
			{at: 3 * s, estimate: 400_000, want: 2},
			{at: 5 * s, estimate: 400_000, want: 2},
			{at: 6 * s, estimate: 400_000, want: 1, why: "headroom"},
		}},
		{"no climb under loss", true, 1_700_000, 2, []step{
			{at: 0, estimate: 400_000, loss: 0.05, want: 2},
			{at: 10 * s, estimate: 400_000, loss: 0.05, want: 2},
		}},
		{"without a measured rate, the estimate must clear the tier's bitrate", true, 1_700_000, 1, []step{
			{at: 0, estimate: 500_000, want: 1},
			{at: 3 * s, estimate: 500_000, want: 1}, // 500k < 1.1 x 600k
		}},
		{"climbs back to the publisher's stream", true, 1_700_000, 0, []step{
			{at: 0, estimate: 1_400_000, want: 0},
			{at: 3 * s, estimate: 1_400_000, want: forwarded, why: "headroom"},
		}},
		{"a failed climb doubles the hold", true, 1_700_000, 2, []step{
			{at: 0, estimate: 400_000, want: 2},
			{at: 3 * s, estimate: 400_000, want: 1, why: "headroom"},
			{at: 4 * s, estimate: 150_000, want: 2, why: "estimate"},
			{at: 5 * s, estimate: 400_000, want: 2},
			{at: 8 * s, estimate: 400_000, want: 2}, // 3 s is no longer enough
			{at: 11 * s, estimate: 400_000, want: 1, why: "headroom"},
		}},
		{"another codec never takes the publisher's stream", false, 1_700_000, 0, []step{
			{at: 0, estimate: 5_000_000, want: 0},
			{at: 20 * s, estimate: 5_000_000, want: 0},
			{at: 21 * s, estimate: 400_000, want: 1, why: "estimate"},
		}},
		{"an unknown publisher rate counts as the best tier's", true, 0, 0, []step{
			{at: 0, estimate: 1_400_000, want: 0},
			{at: 3 * s, estimate: 1_400_000, want: forwarded, why: "headroom"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			current, st := tt.start, policyState{}
			for i, s := range tt.steps {
				in := policyInput{now: s.at, estimate: s.estimate, hasEstimate: s.estimate > 0, loss: s.loss,
					forwardable: tt.forwardable, forwardRate: tt.forwardRate, tiers: testLadder, current: current}
				var why string
				current, why, st = choose(in, st)
				if current != s.want || why != s.why {
					t.Fatalf("step %d (%v, %d bit/s, loss %.2f): choice %d (%q), want %d (%q)", i, s.at, s.estimate,
						s.loss, current, why, s.want, s.why)
				}
			}
		})
	}
}

// TestPolicyProbes: a tier's encoder sends less than its tier's bitrate on a simple picture; the climb compares the
// estimate with what the receiver gets, and with the next option's floor.
func TestPolicyProbes(t *testing.T) {
	in := policyInput{estimate: 500_000, hasEstimate: true, forwardable: true, forwardRate: 1_700_000,
		tiers: testLadder, current: 1, currentRate: 300_000}
	_, _, st := choose(in, policyState{})
	in.now = 3 * time.Second
	if choice, why, _ := choose(in, st); choice != 0 || why != "headroom" {
		t.Errorf("getting 300 kbit/s of 600 with an estimate of 500: choice %d (%q), want 0 (headroom)", choice, why)
	}
	in.estimate, in.now = 440_000, 0 // below the best tier's floor (450 kbit/s)
	_, _, st = choose(in, policyState{})
	in.now = 10 * time.Second
	if choice, _, _ := choose(in, st); choice != 1 {
		t.Errorf("estimate 440 kbit/s: choice %d, want to stay on 1", choice)
	}
}

// probeStep is one call of the policy for a transport-cc receiver: the estimate, the estimator's last probe result
// (probedAt, 0 none), and what is expected: the choice, its reason, the probe asked for (0 none).
type probeStep struct {
	at, probedAt time.Duration
	estimate     uint64
	loss         float64
	want         int
	why          string
	ask          uint64
}

// TestPolicyProbesTransportCC: a transport-cc receiver climbs only after a probe newer than its request has raised
// its estimate to the next option's rate; a probe that fails, or gives no result in time, is a failed climb.
func TestPolicyProbesTransportCC(t *testing.T) {
	s, ms := time.Second, time.Millisecond
	tests := []struct {
		name  string
		start int
		steps []probeStep
	}{
		{"after the hold it probes at 1.2 times the next tier, and climbs once the estimate carries it", 2, []probeStep{
			{at: 0, estimate: 400_000, want: 2},
			{at: 3 * s, estimate: 400_000, want: 2, ask: 720_000},
			{at: 3*s + 500*ms, estimate: 400_000, want: 2}, // no result yet: no second request
			{at: 4 * s, probedAt: 3*s + 800*ms, estimate: 700_000, want: 1, why: "probe"},
		}},
		{"an older probe result does not count", 2, []probeStep{
			{at: 0, probedAt: s, estimate: 400_000, want: 2},
			{at: 3 * s, probedAt: s, estimate: 400_000, want: 2, ask: 720_000},
			{at: 3*s + 500*ms, probedAt: s, estimate: 400_000, want: 2},
		}},
		{"a probe the path does not carry fails: no climb, the hold doubles", 2, []probeStep{
			{at: 0, estimate: 400_000, want: 2},
			{at: 3 * s, estimate: 400_000, want: 2, ask: 720_000},
			{at: 3*s + 500*ms, probedAt: 3*s + 400*ms, estimate: 450_000, want: 2},
			{at: 4 * s, probedAt: 3*s + 400*ms, estimate: 450_000, want: 2},
			{at: 9 * s, probedAt: 3*s + 400*ms, estimate: 450_000, want: 2}, // 6 s since 3.5: not yet
			{at: 10 * s, probedAt: 3*s + 400*ms, estimate: 450_000, want: 2, ask: 720_000},
		}},
		{"no result within the deadline fails too", 2, []probeStep{
			{at: 0, estimate: 400_000, want: 2},
			{at: 3 * s, estimate: 400_000, want: 2, ask: 720_000},
			{at: 5 * s, estimate: 400_000, want: 2}, // the deadline: the hold doubles
			{at: 6 * s, estimate: 400_000, want: 2},
			{at: 11 * s, estimate: 400_000, want: 2},
			{at: 12 * s, estimate: 400_000, want: 2, ask: 720_000},
		}},
		{"an estimate that carries the next tier already climbs without a probe", 1, []probeStep{
			{at: 0, estimate: 1_300_000, want: 1},
			{at: 3 * s, estimate: 1_300_000, want: 0, why: "headroom"},
		}},
		{"a falling estimate during a probe goes down, and the pending probe is forgotten", 1, []probeStep{
			{at: 0, estimate: 800_000, want: 1},
			{at: 3 * s, estimate: 800_000, want: 1, ask: 1_440_000},
			{at: 3*s + 500*ms, estimate: 150_000, want: 2, why: "estimate"},
			{at: 4 * s, probedAt: 3*s + 900*ms, estimate: 1_500_000, want: 2},
		}},
		{"a recovered link: straight to the best option the estimate carries, after one hold", 2, []probeStep{
			{at: 0, estimate: 5_000_000, want: 2},
			{at: 3 * s, estimate: 5_000_000, want: forwarded, why: "headroom"},
		}},
		{"a probe result that carries more than the next tier climbs that far", 2, []probeStep{
			{at: 0, estimate: 400_000, want: 2},
			{at: 3 * s, estimate: 400_000, want: 2, ask: 720_000},
			{at: 4 * s, probedAt: 3*s + 800*ms, estimate: 1_300_000, want: 0, why: "probe"},
		}},
		{"the estimator's start: no move down on its first values without loss", forwarded, []probeStep{
			{at: 0, estimate: 808_000, want: forwarded},
			{at: 2 * s, estimate: 869_000, want: forwarded},
			{at: 2*s + 500*ms, estimate: 2_000_000, want: forwarded},
		}},
		{"an estimate still low 10 s after the start moves down", forwarded, []probeStep{
			{at: 0, estimate: 491_000, want: forwarded},
			{at: 5 * s, estimate: 491_000, want: forwarded},
			{at: 10 * s, estimate: 491_000, want: 0, why: "estimate"},
		}},
		{"once the estimate has carried the stream, a fall moves down at once", forwarded, []probeStep{
			{at: 0, estimate: 808_000, want: forwarded},
			{at: s, estimate: 2_000_000, want: forwarded},
			{at: 2 * s, estimate: 400_000, want: 1, why: "estimate"},
		}},
		{"a low estimate with loss at the start moves down at once", forwarded, []probeStep{
			{at: 0, estimate: 300_000, loss: 0.05, want: 1, why: "estimate"},
		}},
		{"the publisher's stream is probed at its measured rate", 0, []probeStep{
			{at: 0, estimate: 1_400_000, want: 0},
			{at: 3 * s, estimate: 1_400_000, want: 0, ask: 2_040_000},
			{at: 4 * s, probedAt: 3*s + 700*ms, estimate: 1_900_000, want: forwarded, why: "probe"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			current, st := tt.start, policyState{}
			for i, p := range tt.steps {
				in := policyInput{now: p.at, estimate: p.estimate, loss: p.loss, hasEstimate: true, forwardable: true,
					forwardRate: 1_700_000, tiers: testLadder, current: current, probing: true,
					probed: p.probedAt != 0, probedAt: p.probedAt}
				var why string
				current, why, st = choose(in, st)
				if current != p.want || why != p.why || st.askProbe != p.ask {
					t.Fatalf("step %d (%v, %d bit/s, probe at %v): choice %d (%q), probe asked %d; want %d (%q), %d",
						i, p.at, p.estimate, p.probedAt, current, why, st.askProbe, p.want, p.why, p.ask)
				}
			}
		})
	}
}

func TestEncoderBitrate(t *testing.T) {
	tiers := []Tier{{640, 480, 30, 1_200_000}, {480, 360, 25, 600_000}, {320, 240, 15, 250_000}}
	tests := []struct {
		tier   int
		lowest uint64
		known  bool
		lossy  bool
		want   int
	}{
		{0, 0, false, false, 1_200_000},        // no estimate: the tier's own
		{0, 5_000_000, true, false, 1_200_000}, // never above the tier's
		{0, 1_000_000, true, false, 1_000_000}, // the weakest receiver's estimate
		{0, 1_000_000, true, true, 800_000},    // less when it loses packets
		{0, 500_000, true, false, 500_000},     // below the next tier's: the picture size stays
		{2, 100_000, true, false, 100_000},
		{2, 10_000, true, false, 62_500}, // a quarter of the tier's own at least
	}
	for _, tt := range tests {
		if got := encoderBitrate(tiers, tt.tier, tt.lowest, tt.known, tt.lossy); got != tt.want {
			t.Errorf("encoderBitrate(tier %d, %d, %v, %v) = %d, want %d", tt.tier, tt.lowest, tt.known, tt.lossy, got,
				tt.want)
		}
	}
}

// TestGuardFallback: where a receiver goes when the encoder budget refuses the tier the policy chose for it.
func TestGuardFallback(t *testing.T) {
	tests := []struct {
		name          string
		current, want int
		running       []int
		next          int
		overLink      bool
	}{
		{"forwarded, nothing runs in its codec: stays, over its link", forwarded, 1, nil, forwarded, true},
		{"forwarded, a tier runs: takes it", forwarded, 2, []int{0}, 0, false},
		{"the running tier nearest the one wanted", forwarded, 2, []int{0, 1}, 1, false},
		{"lower first at equal steps", forwarded, 1, []int{0, 2}, 2, false},
		{"on a tier, the lower one refused: stays on its own", 0, 2, []int{0}, 0, false},
		{"on a tier, a nearer one runs: moves", 0, 2, []int{0, 1}, 1, false},
		{"a climb refused: stays", 2, 1, []int{2}, 2, false},
		{"a climb refused, the tier above the wanted one runs: stays, lower", 2, 1, []int{0, 2}, 2, false},
	}
	for _, tt := range tests {
		next, over := guardFallback(tt.current, tt.want, tt.running)
		if next != tt.next || over != tt.overLink {
			t.Errorf("%s: guardFallback(%d, %d, %v) = %d, %v; want %d, %v", tt.name, tt.current, tt.want, tt.running,
				next, over, tt.next, tt.overLink)
		}
	}
}
