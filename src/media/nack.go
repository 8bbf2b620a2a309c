package media

import (
	"slices"
	"time"
)

// Limits of the upstream loss recovery.
const (
	// maxMissing bounds the packets being recovered at once; a burst beyond it is given up at once (keyframe).
	maxMissing = 256
	// maxNACKTries is how many times one packet is asked for.
	maxNACKTries = 8
	// maxMissingAge is how long a packet is asked for: past it, a frame waiting for it would be too late anyway.
	maxMissingAge = time.Second
	// minNACKInterval bounds how often one packet is asked for, whatever the RTT.
	minNACKInterval = 10 * time.Millisecond
)

// nackGenerator tracks the packets missing from a publisher's stream and says which to ask for, and when: at once
// when a gap appears, then once per round trip (the retransmission cannot come back sooner), up to maxNACKTries
// times and maxMissingAge. A packet given up means a frame that cannot be decoded: the caller asks for a keyframe.
// Memory is bounded by maxMissing. It belongs to the publisher's inbound goroutine.
type nackGenerator struct {
	started bool
	highest int64
	missing []missingPacket // sorted by seq
}

type missingPacket struct {
	seq      int64
	since    time.Duration // when the gap was seen
	lastSent time.Duration
	tries    uint8
}

func newNACKGenerator() *nackGenerator {
	return &nackGenerator{missing: make([]missingPacket, 0, maxMissing)}
}

// received records the arrival of the packet with unwrapped sequence number seq at now. wanted is false for a
// packet already received or given up (a duplicate, or a retransmission that came too late): forwarding it again
// would only cost bandwidth. recoverable is false when the gap the packet reveals is too large to recover by
// retransmission: the caller then asks for a keyframe.
func (g *nackGenerator) received(seq int64, now time.Duration) (wanted, recoverable bool) {
	if !g.started {
		g.started, g.highest = true, seq
		return true, true
	}
	if seq <= g.highest {
		i, found := g.find(seq)
		if found {
			g.missing = slices.Delete(g.missing, i, i+1)
		}
		return found, true
	}
	gap := seq - g.highest - 1
	g.highest = seq
	if gap == 0 {
		return true, true
	}
	if gap > int64(maxMissing-len(g.missing)) {
		// Too many to ask for: what is pending is now useless too, a keyframe replaces it all.
		g.missing = g.missing[:0]
		return true, false
	}
	for s := seq - gap; s < seq; s++ {
		g.missing = append(g.missing, missingPacket{seq: s, since: now})
	}
	return true, true
}

func (g *nackGenerator) find(seq int64) (int, bool) {
	return slices.BinarySearchFunc(g.missing, seq, func(m missingPacket, s int64) int {
		switch {
		case m.seq < s:
			return -1
		case m.seq > s:
			return 1
		}
		return 0
	})
}

// due appends to dst the sequence numbers to ask for now, given the round-trip time to the publisher, and drops
// those asked for too often or too long. gaveUp is true when any was dropped that way.
func (g *nackGenerator) due(dst []uint16, now, rtt time.Duration) (_ []uint16, gaveUp bool) {
	interval := max(rtt, minNACKInterval)
	kept := g.missing[:0]
	for _, m := range g.missing {
		if m.tries >= maxNACKTries || now-m.since > maxMissingAge {
			gaveUp = true
			continue
		}
		if m.tries == 0 || now-m.lastSent >= interval {
			m.tries++
			m.lastSent = now
			dst = append(dst, uint16(m.seq))
		}
		kept = append(kept, m)
	}
	g.missing = kept
	return dst, gaveUp
}

// pending reports whether packets are being recovered.
func (g *nackGenerator) pending() bool { return len(g.missing) > 0 }
