package congestion

import (
	"fmt"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
)

// packetResult is what a transport-wide feedback says about one sent packet.
type packetResult struct {
	// Sequence is the packet's transport-wide sequence number, unwrapped to 64 bits.
	Sequence int64
	// SendTime is when the packet left, in the sender's clock; Size its size in bytes.
	SendTime time.Duration
	Size     int
	// Received is false for a packet the feedback reports lost.
	Received bool
	// Recovered is set on a received packet that an earlier feedback reported lost (it arrived late).
	Recovered bool
	// Arrival is when the packet arrived, in the receiver's clock (only its differences mean anything).
	Arrival time.Duration
	// Cluster is the probe cluster the packet belonged to, 0 for none.
	Cluster int
}

// Reports a sent packet can be in.
const (
	unreported uint8 = iota
	reportedLost
	reportedReceived
)

// sentPacket is one packet of the send history; a slot whose seq is another number holds nothing about the
// number that maps to it.
type sentPacket struct {
	seq      int64
	sendTime time.Duration
	size     int32
	cluster  int32
	state    uint8
}

// sendHistory numbers the packets sent to one receiver and remembers, for the last len(slots) of them, when they
// left, their size and what the feedback said. Memory is fixed at construction.
type sendHistory struct {
	slots []sentPacket
	mask  int64
	next  int64 // the next transport-wide sequence number, unwrapped
	// Reference times of the feedback (24 bits on the wire) are unwrapped to keep arrival times monotonic.
	refStarted bool
	ref        int64
	// lastCount is the feedback count of the last feedback, to count the feedback lost on the way.
	countStarted bool
	lastCount    uint8
	// Counters, read under the SendSide lock.
	unknown, feedbackLost uint64
}

func newSendHistory(size int) *sendHistory {
	h := &sendHistory{slots: make([]sentPacket, size), mask: int64(size - 1)}
	for i := range h.slots {
		h.slots[i].seq = noSequence
	}
	return h
}

// add numbers a packet leaving at now and remembers it.
func (h *sendHistory) add(size int, now time.Duration, cluster int) uint16 {
	s := h.next
	h.next++
	h.slots[s&h.mask] = sentPacket{seq: s, sendTime: now, size: int32(min(size, 1<<30)), cluster: int32(cluster)}
	return uint16(s)
}

// lookup returns the packet numbered s, or nil when the history no longer (or never) held it.
func (h *sendHistory) lookup(s int64) *sentPacket {
	p := &h.slots[s&h.mask]
	if p.seq != s {
		return nil
	}
	return p
}

// unwrapFeedbackSequence places a 16-bit number of a feedback next to the last number sent: feedback is always
// about packets already sent.
func (h *sendHistory) unwrapFeedbackSequence(seq uint16) int64 {
	last := h.next - 1
	return last + int64(int16(seq-uint16(last)))
}

// arrivalOffset unwraps the 24-bit reference time of fb and returns what to add to its arrival times.
func (h *sendHistory) arrivalOffset(fb *rtcp.TransportCC) time.Duration {
	ref := int64(fb.ReferenceTime & maxReference)
	if !h.refStarted {
		h.refStarted, h.ref = true, ref
	} else {
		diff := (ref - h.ref) & maxReference
		if diff >= 1<<23 {
			diff -= 1 << 24
		}
		h.ref += diff
	}
	return time.Duration(h.ref-int64(fb.ReferenceTime)) * rtcp.TransportCCReferenceUnit
}

const maxReference = 1<<24 - 1

// results appends to out what fb says about the packets in the history: each packet's first report, and a
// received report about a packet reported lost before. Repeated reports and packets the history does not hold are
// skipped. Results come in sequence order.
func (h *sendHistory) results(fb *rtcp.TransportCC, out []packetResult) ([]packetResult, error) {
	if err := checkFeedback(fb); err != nil {
		return out, err
	}
	h.countFeedback(fb.FeedbackCount)
	offset := h.arrivalOffset(fb)
	base := h.unwrapFeedbackSequence(fb.BaseSequence)
	end := base + int64(fb.PacketCount)
	next := base // the first number not yet handled
	for _, a := range fb.Arrivals {
		s := base + int64(a.Sequence-fb.BaseSequence)
		out = h.lost(next, s, out)
		out = h.received(s, a.Arrival+offset, out)
		next = s + 1
	}
	return h.lost(next, end, out), nil
}

// checkFeedback verifies what rtcp.TransportCC.Unmarshal guarantees, for feedback built by hand.
func checkFeedback(fb *rtcp.TransportCC) error {
	next := 0
	for i, a := range fb.Arrivals {
		off := int(a.Sequence - fb.BaseSequence)
		if off < next || off >= int(fb.PacketCount) {
			return fmt.Errorf("%w: arrival %d (sequence %d) out of order or outside %d+%d", ErrBadFeedback, i,
				a.Sequence, fb.BaseSequence, fb.PacketCount)
		}
		next = off + 1
	}
	return nil
}

func (h *sendHistory) countFeedback(count uint8) {
	if h.countStarted {
		if gap := count - h.lastCount - 1; gap < 128 {
			h.feedbackLost += uint64(gap)
		}
	}
	h.countStarted, h.lastCount = true, count
}

// lost appends the first loss reports of the packets numbered [from, to) still in the history.
func (h *sendHistory) lost(from, to int64, out []packetResult) []packetResult {
	from = max(from, h.next-int64(len(h.slots)))
	to = min(to, h.next)
	for s := from; s < to; s++ {
		p := h.lookup(s)
		if p == nil || p.state != unreported {
			continue
		}
		p.state = reportedLost
		out = append(out, packetResult{Sequence: s, SendTime: p.sendTime, Size: int(p.size), Cluster: int(p.cluster)})
	}
	return out
}

// received appends the reception of packet s unless it was reported received before.
func (h *sendHistory) received(s int64, arrival time.Duration, out []packetResult) []packetResult {
	p := h.lookup(s)
	if p == nil {
		h.unknown++
		return out
	}
	if p.state == reportedReceived {
		return out
	}
	recovered := p.state == reportedLost
	p.state = reportedReceived
	return append(out, packetResult{Sequence: s, SendTime: p.sendTime, Size: int(p.size), Received: true,
		Recovered: recovered, Arrival: arrival, Cluster: int(p.cluster)})
}
