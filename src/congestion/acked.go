package congestion

import "time"

// Acknowledged bitrate: the rate at which the receiver got the packets, over the last half second of arrival time
// (draft-ietf-rmcat-gcc-02 section 5.5 measures it over 0.5 to 1 s). The AIMD controller backs off to a fraction
// of it, so it must follow a capacity drop at once: a plain window over the receiver's clock does, where a smoothed
// estimate would keep the old rate for seconds and let the sender overrun a smaller link.
const (
	ackedWindow = 500 * time.Millisecond
	// ackedMinSpan: a rate over a shorter span is too coarse to act on.
	ackedMinSpan = 100 * time.Millisecond
	// ackedRing packets are remembered: the window shortens above 1000 packets a second (10 Mbit/s of full ones).
	ackedRing = 512
)

type ackedPacket struct {
	arrival time.Duration
	size    int
}

type ackedBitrate struct {
	ring    [ackedRing]ackedPacket
	head, n int
	bytes   int
}

// add takes a received packet of size bytes, in arrival order (an earlier arrival counts as the latest).
func (a *ackedBitrate) add(arrival time.Duration, size int) {
	if a.n > 0 {
		arrival = max(arrival, a.at(a.n-1).arrival)
	}
	if a.n == ackedRing {
		a.dropOldest()
	}
	a.ring[(a.head+a.n)%ackedRing] = ackedPacket{arrival: arrival, size: size}
	a.n++
	a.bytes += size
	for a.n > 1 && arrival-a.at(0).arrival > ackedWindow {
		a.dropOldest()
	}
}

func (a *ackedBitrate) at(i int) *ackedPacket { return &a.ring[(a.head+i)%ackedRing] }

func (a *ackedBitrate) dropOldest() {
	a.bytes -= a.at(0).size
	a.head = (a.head + 1) % ackedRing
	a.n--
}

// rate is the acknowledged bitrate in bit/s, 0 while the window spans too little time. The first packet's bytes
// arrived before the span starts, so they are not counted.
func (a *ackedBitrate) rate() float64 {
	if a.n < 2 {
		return 0
	}
	first, last := a.at(0), a.at(a.n-1)
	span := last.arrival - first.arrival
	if span < ackedMinSpan {
		return 0
	}
	return float64(a.bytes-first.size) * 8 / span.Seconds()
}
