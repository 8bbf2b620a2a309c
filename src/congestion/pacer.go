package congestion

import (
	"math"
	"time"
)

// Class orders the packets waiting in a Pacer.
type Class uint8

// Classes of paced packets, most urgent first.
const (
	// ClassAudio goes first and is never held by the budget (libwebrtc does not pace audio either): it is small,
	// steady, and a late audio packet is heard at once. It still counts against the budget.
	ClassAudio Class = iota
	// ClassRetransmission is paced, ahead of new video: a repair is worth more than what follows it.
	ClassRetransmission
	// ClassVideo is paced.
	ClassVideo
	classCount
)

// Defaults of PacerConfig.
const (
	// DefaultPacingFactor is libwebrtc's: the pacer sends up to 2.5 times the estimate, so that an encoder's
	// overshoot or a keyframe leaves within a few frame intervals while the estimate still bounds the average.
	DefaultPacingFactor = 2.5
	// DefaultMaxQueueTime: when the oldest queued packet would wait longer than this at the pacing rate, the queue
	// is drained faster, so that no packet waits much longer (libwebrtc allows 2 s; video that late is useless to
	// an interactive call, and a policy should have switched to a lower tier by then).
	DefaultMaxQueueTime = 500 * time.Millisecond
	// DefaultPacerPackets is each class's queue capacity: a keyframe of a 2.5 Mbit/s stream is about 150 packets.
	DefaultPacerPackets = 512
	// DefaultPacerBytes bounds the bytes queued in all classes.
	DefaultPacerBytes = 1 << 20
	// minPacingBitrate is the estimate assumed when none is known (or it is 0).
	minPacingBitrate = DefaultMinBitrate
	// budgetSlack: a debt this small is no debt (floating-point rounding of the drain).
	budgetSlack = 0.01
	// minDrainTime bounds the drain rate when the oldest packet is already late.
	minDrainTime = time.Millisecond
)

// PacerConfig configures a Pacer.
type PacerConfig struct {
	// Factor multiplies the estimate into the pacing rate, from 1 to 10; 0 means DefaultPacingFactor.
	Factor float64
	// MaxQueueTime is about the longest a packet waits, from 10 ms to 10 s; 0 means DefaultMaxQueueTime.
	MaxQueueTime time.Duration
	// MaxPackets is each class's queue capacity, from 16 to 65536; 0 means DefaultPacerPackets.
	MaxPackets int
	// MaxBytes bounds the bytes queued, from 1500 to 1<<30; 0 means DefaultPacerBytes.
	MaxBytes int
	// Burst lets that much time's worth of the pacing rate leave at once, from 0 (none: every packet waits for the
	// previous one's time) to 100 ms. libwebrtc's pacer allows bursts too: a frame of a few packets then leaves
	// without waiting, while a keyframe, many times larger, is still spread.
	Burst time.Duration
}

// withDefaults returns c with its zero fields set to their defaults.
func (c PacerConfig) withDefaults() PacerConfig {
	if c.Factor == 0 {
		c.Factor = DefaultPacingFactor
	}
	if c.MaxQueueTime == 0 {
		c.MaxQueueTime = DefaultMaxQueueTime
	}
	if c.MaxPackets == 0 {
		c.MaxPackets = DefaultPacerPackets
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultPacerBytes
	}
	return c
}

func (c *PacerConfig) validate() error {
	switch {
	case math.IsNaN(c.Factor) || c.Factor < 1 || c.Factor > 10:
		return badConfig("pacing factor %v outside [1, 10]", c.Factor)
	case c.MaxQueueTime < 10*time.Millisecond || c.MaxQueueTime > 10*time.Second:
		return badConfig("max queue time %v outside [10ms, 10s]", c.MaxQueueTime)
	case c.MaxPackets < 16 || c.MaxPackets > 1<<16:
		return badConfig("pacer capacity %d outside [16, 65536]", c.MaxPackets)
	case c.MaxBytes < 1500 || c.MaxBytes > 1<<30:
		return badConfig("pacer byte limit %d outside [1500, 2^30]", c.MaxBytes)
	case c.Burst < 0 || c.Burst > 100*time.Millisecond:
		return badConfig("pacer burst %v outside [0, 100ms]", c.Burst)
	}
	return nil
}

// Pacer is a leaky bucket in front of one receiver's socket: packets wait in bounded queues by Class and leave
// at the estimate times the pacing factor, so that a keyframe's burst is spread over several frame intervals
// instead of overflowing the receiver's bottleneck queue. T is whatever the send loop needs to find the packet
// again (a buffer index, a pointer); the pacer only reads sizes.
//
// It is not safe for concurrent use: the receiver's send loop owns it. It does not allocate after construction.
// The loop enqueues what it receives, pops what may leave now, and sleeps until NextSendTime or the next packet:
//
//	for {
//		... p.Enqueue(pkt, size, class, now) for each packet handed to the loop ...
//		for item, size, ok := p.Pop(now); ok; item, size, ok = p.Pop(now) {
//			send(item)
//		}
//		at, ok := p.NextSendTime(now)
//		... wait until at (if ok) or the next packet ...
//	}
type Pacer[T any] struct {
	cfg     PacerConfig
	queues  [classCount]ring[T]
	bytes   int
	rate    float64 // bytes per second, from the estimate and the factor
	debt    float64 // bytes sent ahead of the rate
	last    time.Duration
	started bool
}

// NewPacer returns a pacer with the default configuration, pacing DefaultStartBitrate until SetEstimate.
func NewPacer[T any]() *Pacer[T] {
	return newPacer[T](PacerConfig{}.withDefaults())
}

// NewPacerWith returns a pacer configured by cfg (zero fields take their defaults).
func NewPacerWith[T any](cfg PacerConfig) (*Pacer[T], error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return newPacer[T](cfg), nil
}

func newPacer[T any](cfg PacerConfig) *Pacer[T] {
	p := &Pacer[T]{cfg: cfg}
	for i := range p.queues {
		p.queues[i].buf = make([]paced[T], cfg.MaxPackets)
	}
	p.SetEstimate(DefaultStartBitrate)
	return p
}

// SetEstimate sets the bandwidth estimate, in bit/s, that the pacing rate follows.
func (p *Pacer[T]) SetEstimate(bps uint64) {
	p.rate = float64(max(bps, minPacingBitrate)) * p.cfg.Factor / 8
}

// Enqueue queues a packet of size bytes at now. It returns false, keeping nothing, when the class's queue or the
// byte limit is full: the caller drops the packet and counts it (a receiver that far behind needs a lower quality,
// and a keyframe).
func (p *Pacer[T]) Enqueue(item T, size int, class Class, now time.Duration) bool {
	if class >= classCount || size < 0 || p.bytes+size > p.cfg.MaxBytes {
		return false
	}
	if !p.queues[class].push(paced[T]{item: item, size: size, queued: now}) {
		return false
	}
	p.bytes += size
	return true
}

// Pop returns the next packet that may leave at now, and charges its size to the budget. ok is false when the
// queues are empty or the budget is spent (see NextSendTime).
func (p *Pacer[T]) Pop(now time.Duration) (item T, size int, ok bool) {
	p.drain(now)
	class := ClassAudio
	if p.queues[ClassAudio].n == 0 {
		if p.debt >= p.allowance() {
			return item, 0, false
		}
		class = ClassRetransmission
		if p.queues[class].n == 0 {
			class = ClassVideo
		}
	}
	q := &p.queues[class]
	if q.n == 0 {
		return item, 0, false
	}
	e := q.pop()
	p.bytes -= e.size
	p.debt += float64(e.size)
	return e.item, e.size, true
}

// Charge counts size bytes sent at now outside the queues (probe padding) against the budget.
func (p *Pacer[T]) Charge(size int, now time.Duration) {
	p.drain(now)
	p.debt += float64(max(size, 0))
}

// NextSendTime is when Pop will next return a packet, given what is queued at now; ok is false when nothing is.
func (p *Pacer[T]) NextSendTime(now time.Duration) (at time.Duration, ok bool) {
	if p.Len() == 0 {
		return 0, false
	}
	p.drain(now)
	if p.queues[ClassAudio].n > 0 || p.debt < p.allowance() {
		return now, true
	}
	burst := p.rate * p.cfg.Burst.Seconds()
	wait := time.Duration(math.Ceil((p.debt-burst)/p.effectiveRate(now)*float64(time.Second))) + 1
	return now + wait, true
}

// allowance is the debt under which a packet may leave: the burst's bytes at the pacing rate, at least the slack.
func (p *Pacer[T]) allowance() float64 {
	return max(budgetSlack, p.rate*p.cfg.Burst.Seconds())
}

// Len is the number of packets queued, Bytes their size.
func (p *Pacer[T]) Len() int {
	n := 0
	for i := range p.queues {
		n += p.queues[i].n
	}
	return n
}

// Bytes is the number of bytes queued.
func (p *Pacer[T]) Bytes() int { return p.bytes }

// QueueTime is how long the queue takes to drain at the rate of now.
func (p *Pacer[T]) QueueTime(now time.Duration) time.Duration {
	return time.Duration(float64(p.bytes) / p.effectiveRate(now) * float64(time.Second))
}

// effectiveRate is the pacing rate, raised so that the queue drains before its oldest packet has waited
// MaxQueueTime.
func (p *Pacer[T]) effectiveRate(now time.Duration) float64 {
	oldest, ok := p.oldest()
	if !ok {
		return p.rate
	}
	left := max(p.cfg.MaxQueueTime-(now-oldest), minDrainTime)
	return max(p.rate, float64(p.bytes)/left.Seconds())
}

// oldest is when the oldest queued packet was queued.
func (p *Pacer[T]) oldest() (time.Duration, bool) {
	var at time.Duration
	found := false
	for i := range p.queues {
		if q := &p.queues[i]; q.n > 0 && (!found || q.buf[q.head].queued < at) {
			at, found = q.buf[q.head].queued, true
		}
	}
	return at, found
}

// drain pays back the debt for the time elapsed since the last call.
func (p *Pacer[T]) drain(now time.Duration) {
	if !p.started {
		p.started, p.last = true, now
		return
	}
	if now <= p.last {
		return
	}
	p.debt = max(0, p.debt-p.effectiveRate(now)*(now-p.last).Seconds())
	p.last = now
}

type paced[T any] struct {
	item   T
	size   int
	queued time.Duration
}

// ring is a fixed-capacity FIFO.
type ring[T any] struct {
	buf     []paced[T]
	head, n int
}

func (r *ring[T]) push(e paced[T]) bool {
	if r.n == len(r.buf) {
		return false
	}
	r.buf[(r.head+r.n)%len(r.buf)] = e
	r.n++
	return true
}

func (r *ring[T]) pop() paced[T] {
	e := r.buf[r.head]
	r.buf[r.head] = paced[T]{} // drop the reference the item may hold
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	return e
}
