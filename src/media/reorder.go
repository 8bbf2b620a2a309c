package media

import (
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
)

// Reordering of a publisher's video for its decoder, whose frame assembler takes packets in sequence order only:
// the upstream forwards packets as they come, a retransmission late, but the decoder must see them in order.
const (
	// reorderSlots is the most packets held while one is missing: about 0.4 s of a 2.5 Mbit/s stream.
	reorderSlots = 128
	// reorderWait is the longest a missing packet is waited for; NACK recovers most within a few round trips.
	// Past it the packets after the gap go on, and the decoder, seeing the gap, asks for a keyframe.
	reorderWait = 250 * time.Millisecond
)

// reorderBuffer puts a publisher's packets back in sequence order for the decoder: a packet in order goes straight
// through; one after a gap is copied into a slot until the gap fills, reorderWait passes or the slots run out. It
// belongs to the publisher's goroutine.
type reorderBuffer struct {
	push    func(*rtp.Packet)
	next    int64 // the unwrapped sequence number expected next
	started bool
	slots   [reorderSlots]reorderSlot
	held    int
	pkt     rtp.Packet
}

type reorderSlot struct {
	seq  int64
	used bool
	at   time.Duration
	data []byte
}

func newReorderBuffer(push func(*rtp.Packet)) *reorderBuffer {
	return &reorderBuffer{push: push}
}

// add takes the packet seq (unwrapped), parsed as p from raw, received at now.
func (b *reorderBuffer) add(seq int64, raw []byte, p *rtp.Packet, now time.Duration) {
	if !b.started {
		b.started, b.next = true, seq
	}
	switch {
	case seq < b.next:
		return // too late: the decoder has gone past it
	case seq == b.next && b.held == 0:
		b.next++
		b.push(p)
		return
	case seq-b.next >= reorderSlots:
		b.flushAll()
		b.next = seq + 1
		b.push(p)
		return
	}
	s := &b.slots[slotOf(seq)]
	if s.used && s.seq == seq {
		return
	}
	s.seq, s.used, s.at = seq, true, now
	s.data = append(s.data[:0], raw...)
	b.held++
	b.release(now)
}

// release pushes what is in order, and skips a gap that has waited reorderWait.
func (b *reorderBuffer) release(now time.Duration) {
	for b.held > 0 {
		if s := &b.slots[slotOf(b.next)]; s.used && s.seq == b.next {
			b.pushSlot(s)
			b.next++
			continue
		}
		lowest, oldest := b.scan()
		if now-oldest < reorderWait {
			return
		}
		b.next = lowest
	}
}

// flushAll pushes every packet held, in order, skipping the gaps.
func (b *reorderBuffer) flushAll() {
	for b.held > 0 {
		if s := &b.slots[slotOf(b.next)]; s.used && s.seq == b.next {
			b.pushSlot(s)
			b.next++
			continue
		}
		b.next, _ = b.scan()
	}
}

// scan finds the lowest sequence number held and the arrival of the packet held longest; only while a gap waits.
func (b *reorderBuffer) scan() (lowest int64, oldest time.Duration) {
	first := true
	for i := range b.slots {
		s := &b.slots[i]
		if !s.used {
			continue
		}
		if first || s.seq < lowest {
			lowest = s.seq
		}
		if first || s.at < oldest {
			oldest = s.at
		}
		first = false
	}
	return lowest, oldest
}

func (b *reorderBuffer) pushSlot(s *reorderSlot) {
	s.used = false
	b.held--
	if err := b.pkt.Unmarshal(s.data); err == nil {
		b.push(&b.pkt)
	}
}

// slotOf is the slot of an unwrapped sequence number, which may be negative.
func slotOf(seq int64) int {
	return int((seq%reorderSlots + reorderSlots) % reorderSlots)
}
