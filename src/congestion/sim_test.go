package congestion

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
)

// A closed loop in simulated time: a sender at the estimate (30 fps video cut into 1200-byte packets, plus audio)
// paced by a Pacer, a SendSide numbering its packets and planning probes, a bottleneck link, a FeedbackRecorder
// at the receiver, and the feedback travelling back through its wire form. Everything is driven by one event
// loop over a simulated clock, so a run is deterministic and takes milliseconds of CPU per simulated second.

// linkModel is a drop-tail bottleneck: a FIFO served at a capacity that may change over time, a buffer of
// queueBytes, a propagation delay, and optional loss after the queue and reordering.
type linkModel struct {
	capacity   func(at time.Duration) float64 // bit/s
	queueBytes int
	delay      time.Duration
	// bucketBytes, when set, makes the link a token bucket (Linux tbf): an idle link lets that many bytes through at
	// once, at line rate, before its queue is served at the capacity. A short probe cluster fits in it whatever the
	// capacity, and measures the line rate.
	bucketBytes int
	// lossRate, when set, is the probability of a random loss at a time; burstLoss, when set, is a
	// Gilbert-Elliott model instead.
	lossRate  func(at time.Duration) float64
	burstLoss *gilbertElliott
	// reorderRate is the probability that a packet is held back by reorderDelay more (so later packets pass it).
	reorderRate  float64
	reorderDelay time.Duration
}

// gilbertElliott loses every packet in its bad state; toBad and toGood are the transition probabilities per packet.
type gilbertElliott struct {
	toBad, toGood float64
	bad           bool
}

func (g *gilbertElliott) lose(rng *rand.Rand) bool {
	if g.bad {
		g.bad = rng.Float64() >= g.toGood
	} else {
		g.bad = rng.Float64() < g.toBad
	}
	return g.bad
}

type linkState struct {
	model    linkModel
	rng      *rand.Rand
	busy     time.Duration // when the link finishes what it holds
	tokens   float64       // bytes in the bucket at tokensAt (bucketBytes)
	tokensAt time.Duration
	inQueue  []inFlight   // packets not yet transmitted, by departure
	delivery deliveryHeap // packets on their way to the receiver
	sent     int          // packets offered to the link
	dropped  int          // lost in the queue or on the way
	// queueDrops are the packets the full queue dropped: congestion, where the others are the loss model's.
	queueDrops int
	drops      []time.Duration // times of the losses
}

type inFlight struct {
	departure time.Duration
	size      int
}

type delivery struct {
	arrival time.Duration
	seq     uint16
	size    int
}

type deliveryHeap []delivery

func (h deliveryHeap) Len() int           { return len(h) }
func (h deliveryHeap) Less(i, j int) bool { return h[i].arrival < h[j].arrival }
func (h deliveryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *deliveryHeap) Push(x any)        { *h = append(*h, x.(delivery)) }
func (h *deliveryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// send offers a packet to the link at now.
func (l *linkState) send(seq uint16, size int, now time.Duration) {
	l.sent++
	for len(l.inQueue) > 0 && l.inQueue[0].departure <= now {
		l.inQueue = l.inQueue[1:]
	}
	backlog := 0
	for _, p := range l.inQueue {
		backlog += p.size
	}
	if backlog+size > l.model.queueBytes {
		l.queueDrops++
		l.drop(now)
		return
	}
	start := max(now, l.busy)
	rate := l.model.capacity(start) / 8
	wait := float64(size)
	if l.model.bucketBytes > 0 && now >= l.busy {
		// An idle bucket refills at the capacity; what it holds leaves at once.
		l.tokens = min(float64(l.model.bucketBytes), l.tokens+(now-l.tokensAt).Seconds()*rate)
		spent := min(l.tokens, float64(size))
		l.tokens -= spent
		wait -= spent
	}
	departure := start + time.Duration(wait/rate*float64(time.Second))
	l.busy, l.tokensAt = departure, departure
	l.inQueue = append(l.inQueue, inFlight{departure: departure, size: size})
	lost := false
	if l.model.lossRate != nil {
		lost = l.rng.Float64() < l.model.lossRate(now)
	}
	if l.model.burstLoss != nil {
		lost = l.model.burstLoss.lose(l.rng)
	}
	if lost {
		l.drop(now)
		return
	}
	arrival := departure + l.model.delay
	if l.rng.Float64() < l.model.reorderRate {
		arrival += l.model.reorderDelay
	}
	heap.Push(&l.delivery, delivery{arrival: arrival, seq: seq, size: size})
}

func (l *linkState) drop(now time.Duration) {
	l.dropped++
	l.drops = append(l.drops, now)
}

// scenario is one closed-loop run.
type scenario struct {
	link     linkModel
	duration time.Duration
	sender   SendSideConfig
	// keyframeEvery, when set, makes every such frame four times larger.
	keyframeEvery time.Duration
	// source, when set, is a forwarded stream instead of an encoder at the estimate.
	source *forwardedSource
}

// forwardedSource is what a forwarding server sends: a publisher's stream, whose encoder aims at the estimate
// only through the server's REMB, and late (the REMB's way, the encoder's reaction). Until the publisher hears
// of a lower estimate the server forwards more than the estimate, and the excess fills the pacer and the link.
type forwardedSource struct {
	// max is what the publisher sends uncapped; lag how long an estimate takes to reach its encoder's output.
	max float64
	lag time.Duration
}

// rate is the source's bitrate at now, given the estimates sampled so far.
func (f *forwardedSource) rate(samples []sample, now time.Duration) float64 {
	r := f.max
	for i := len(samples) - 1; i >= 0; i-- {
		if samples[i].at <= now-f.lag {
			return min(r, samples[i].bps)
		}
	}
	return min(r, DefaultStartBitrate)
}

// sample is the estimate at a time.
type sample struct {
	at  time.Duration
	bps float64
}

type runResult struct {
	samples []sample
	link    *linkState
	sender  *SendSide
	rec     *FeedbackRecorder
	// sentAt are the send times of the packets offered to the link, for loss windows.
	sentAt []time.Duration
	// pacerDrops are the packets of a forwarded source that the full pacer refused.
	pacerDrops int
}

const (
	frameInterval = time.Second / 30
	audioInterval = 20 * time.Millisecond
	audioSize     = 100
	mtuPayload    = 1200
	sampleEvery   = 100 * time.Millisecond
	recorderCheck = 5 * time.Millisecond
)

// run plays a scenario and samples the estimate every 100 ms.
func run(t testing.TB, sc scenario) runResult {
	t.Helper()
	ss, err := NewSendSideWith(sc.sender)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := NewFeedbackRecorder(0x5e1f)
	if err != nil {
		t.Fatal(err)
	}
	pacer := NewPacer[struct{}]()
	link := &linkState{model: sc.link, rng: rand.New(rand.NewPCG(1, 2))}
	res := runResult{link: link, sender: ss, rec: rec}

	type feedback struct {
		arrival time.Duration
		pkt     []byte
	}
	var inbound []feedback
	var fb rtcp.TransportCC
	var buf []byte
	send := func(size int, now time.Duration) {
		seq := ss.OnSent(size, now)
		res.sentAt = append(res.sentAt, now)
		link.send(seq, size, now)
	}

	var now, nextFrame, nextAudio, nextSample, nextCheck, probeWake time.Duration
	frames := 0
	for now <= sc.duration {
		bps, _ := ss.Bitrate(now)
		pacer.SetEstimate(bps)
		if now >= nextFrame {
			rate := float64(bps)
			if sc.source != nil {
				rate = sc.source.rate(res.samples, now)
			}
			size := int(rate / 8 / 30)
			if sc.keyframeEvery > 0 && frames%int(sc.keyframeEvery/frameInterval) == 0 {
				size *= 4
			}
			for size > 0 {
				n := min(size, mtuPayload)
				if !pacer.Enqueue(struct{}{}, n, ClassVideo, now) {
					if sc.source == nil {
						t.Fatalf("pacer full at %v", now)
					}
					res.pacerDrops++
				}
				size -= n
			}
			frames++
			nextFrame += frameInterval
		}
		if now >= nextAudio {
			pacer.Enqueue(struct{}{}, audioSize, ClassAudio, now)
			nextAudio += audioInterval
		}
		for _, size, ok := pacer.Pop(now); ok; _, size, ok = pacer.Pop(now) {
			send(size, now)
		}
		for range 64 {
			size, wake := ss.ProbeBytes(now)
			probeWake = wake
			if size == 0 {
				break
			}
			pacer.Charge(size, now)
			send(size, now)
		}
		for link.delivery.Len() > 0 && link.delivery[0].arrival <= now {
			d := heap.Pop(&link.delivery).(delivery)
			rec.Record(d.seq, d.arrival)
		}
		if now >= nextCheck {
			nextCheck += recorderCheck
			for rec.Due(now) {
				var ok bool
				buf, ok, err = rec.AppendFeedback(buf[:0], now)
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					break
				}
				inbound = append(inbound, feedback{arrival: now + sc.link.delay, pkt: append([]byte(nil), buf...)})
			}
		}
		for len(inbound) > 0 && inbound[0].arrival <= now {
			if err := fb.Unmarshal(inbound[0].pkt); err != nil {
				t.Fatalf("feedback does not parse: %v", err)
			}
			if err := ss.OnFeedback(&fb, now); err != nil {
				t.Fatal(err)
			}
			inbound = inbound[1:]
		}
		if now >= nextSample {
			res.samples = append(res.samples, sample{at: now, bps: float64(bps)})
			nextSample += sampleEvery
		}

		next := min(nextFrame, nextAudio, nextSample, nextCheck)
		if at, ok := pacer.NextSendTime(now); ok {
			next = min(next, at)
		}
		if probeWake > now {
			next = min(next, probeWake)
		}
		if link.delivery.Len() > 0 {
			next = min(next, link.delivery[0].arrival)
		}
		if len(inbound) > 0 {
			next = min(next, inbound[0].arrival)
		}
		now = max(next, now+time.Microsecond)
	}
	return res
}

// between returns the samples in [from, to).
func (r runResult) between(from, to time.Duration) []sample {
	var out []sample
	for _, s := range r.samples {
		if s.at >= from && s.at < to {
			out = append(out, s)
		}
	}
	return out
}

// firstAt returns the first time from which every sample until to stays within [lo, hi], or -1.
func (r runResult) settledAt(from, to time.Duration, lo, hi float64) time.Duration {
	settled := time.Duration(-1)
	for _, s := range r.between(from, to) {
		in := s.bps >= lo && s.bps <= hi
		switch {
		case in && settled < 0:
			settled = s.at
		case !in:
			settled = -1
		}
	}
	return settled
}

// lossIn is the fraction of the packets sent in [from, to) that the link lost.
func (r runResult) lossIn(from, to time.Duration) float64 {
	sent, lost := 0, 0
	for _, at := range r.sentAt {
		if at >= from && at < to {
			sent++
		}
	}
	for _, at := range r.link.drops {
		if at >= from && at < to {
			lost++
		}
	}
	if sent == 0 {
		return 0
	}
	return float64(lost) / float64(sent)
}

func stats(samples []sample) (mean, lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range samples {
		mean += s.bps
		lo, hi = min(lo, s.bps), max(hi, s.bps)
	}
	return mean / float64(len(samples)), lo, hi
}

func constant(bps float64) func(time.Duration) float64 {
	return func(time.Duration) float64 { return bps }
}

// window is bps during [from, to), 0 outside.
func window(bps float64, from, to time.Duration) func(time.Duration) float64 {
	return func(t time.Duration) float64 {
		if t >= from && t < to {
			return bps
		}
		return 0
	}
}

func stepped(before, after float64, at time.Duration) func(time.Duration) float64 {
	return func(t time.Duration) float64 {
		if t < at {
			return before
		}
		return after
	}
}

// queueFor is a buffer of d at bps.
func queueFor(bps float64, d time.Duration) int { return int(bps / 8 * d.Seconds()) }
