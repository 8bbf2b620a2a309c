package media

import "time"

// history keeps the last packets sent on one downtrack, as the listener received them (rewritten), so that its
// NACKs can be answered. It is a ring indexed by the outgoing sequence number: a packet is found by its number in
// constant time and overwritten a ring's length later, which bounds memory and the age of what can be resent.
//
// Packets are written in place: the forwarding path copies the publisher's packet into buffer(), rewrites it
// there, then keep() swaps that buffer into the ring and takes the displaced one as the next scratch, so a packet
// is copied once on its way to the history and the session.
//
// A history belongs to the goroutine that forwards to its downtrack.
type history struct {
	slots   []historySlot
	mask    uint16
	scratch []byte
}

type historySlot struct {
	buf      []byte
	n        int
	seq      uint16
	valid    bool
	resentAt time.Duration
}

// newHistory returns a history of size packets (a power of two from 16 to 32768) of up to slotSize bytes each.
func newHistory(size, slotSize int) *history {
	h := &history{slots: make([]historySlot, size), mask: uint16(size - 1)}
	// One allocation for every slot and the scratch buffer: a history is made per video downtrack.
	arena := make([]byte, (size+1)*slotSize)
	for i := range h.slots {
		h.slots[i].buf = arena[i*slotSize : (i+1)*slotSize : (i+1)*slotSize]
	}
	h.scratch = arena[size*slotSize:]
	return h
}

// buffer is where the next packet is built before keep stores it.
func (h *history) buffer() []byte { return h.scratch }

// keep stores the packet of n bytes built in buffer() under its outgoing sequence number seq.
func (h *history) keep(seq uint16, n int) {
	s := &h.slots[seq&h.mask]
	s.buf, h.scratch = h.scratch, s.buf
	s.n, s.seq, s.valid, s.resentAt = n, seq, true, 0
}

// get returns the packet sent as seq and its slot, or false when it is no longer (or never was) in the ring.
func (h *history) get(seq uint16) ([]byte, *historySlot, bool) {
	s := &h.slots[seq&h.mask]
	if !s.valid || s.seq != seq {
		return nil, nil, false
	}
	return s.buf[:s.n], s, true
}
