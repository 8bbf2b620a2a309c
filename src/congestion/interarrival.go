package congestion

import "time"

// Packet grouping of the delay-based estimator (draft-ietf-rmcat-gcc-02 section 5.2, and libwebrtc's
// InterArrivalDelta for the burst rule).
const (
	// groupLength: packets sent within 5 ms of a group's first packet belong to it. A video frame leaves as one
	// burst of packets, and timing noise within a frame says nothing about the path.
	groupLength = 5 * time.Millisecond
	// burstDelta and maxBurstDuration: a packet that arrives within 5 ms of its group's last one, sooner than it
	// was sent after it (the path delivered a queued burst), joins the group while the group lasts under 100 ms.
	burstDelta       = 5 * time.Millisecond
	maxBurstDuration = 100 * time.Millisecond
	// reorderedGroupsReset consecutive groups arriving before their predecessor reset the grouping.
	reorderedGroupsReset = 3
	// arrivalJumpReset: arrival deltas this much longer than the send deltas mean the receiver's clock jumped.
	arrivalJumpReset = 3 * time.Second
)

// packetGroup is a burst of packets: when its first and last packets were sent and when it arrived.
type packetGroup struct {
	firstSend, lastSend       time.Duration
	firstArrival, lastArrival time.Duration
}

// interArrival groups received packets and gives the send and arrival time differences between consecutive
// groups: the input of the trendline.
type interArrival struct {
	cur, prev       packetGroup
	hasCur, hasPrev bool
	reorderedGroups int
}

// add takes the next received packet in arrival order. When it starts a new group and two complete groups are
// known, it returns the deltas between them.
func (ia *interArrival) add(send, arrival time.Duration) (sendDelta, arrivalDelta time.Duration, ok bool) {
	if !ia.hasCur {
		ia.startGroup(send, arrival)
		return 0, 0, false
	}
	if send < ia.cur.firstSend {
		// Sent before the current group: a reordered packet, too late to be placed.
		return 0, 0, false
	}
	if !ia.newGroup(send, arrival) {
		ia.cur.lastSend = max(ia.cur.lastSend, send)
		ia.cur.lastArrival = arrival
		return 0, 0, false
	}
	if ia.hasPrev {
		sendDelta = ia.cur.lastSend - ia.prev.lastSend
		arrivalDelta = ia.cur.lastArrival - ia.prev.lastArrival
		switch {
		case arrivalDelta-sendDelta >= arrivalJumpReset:
			ia.reset()
			ia.startGroup(send, arrival)
			return 0, 0, false
		case arrivalDelta < 0:
			ia.reorderedGroups++
			if ia.reorderedGroups >= reorderedGroupsReset {
				ia.reset()
				ia.startGroup(send, arrival)
				return 0, 0, false
			}
		default:
			ia.reorderedGroups = 0
			ok = true
		}
	}
	ia.prev, ia.hasPrev = ia.cur, true
	ia.startGroup(send, arrival)
	return sendDelta, arrivalDelta, ok
}

func (ia *interArrival) startGroup(send, arrival time.Duration) {
	ia.cur = packetGroup{firstSend: send, lastSend: send, firstArrival: arrival, lastArrival: arrival}
	ia.hasCur = true
}

// newGroup reports whether a packet sent at send and arriving at arrival starts a new group.
func (ia *interArrival) newGroup(send, arrival time.Duration) bool {
	if ia.inBurst(send, arrival) {
		return false
	}
	return send-ia.cur.firstSend > groupLength
}

// inBurst reports whether the packet arrived as part of a burst the path delivered with the current group.
func (ia *interArrival) inBurst(send, arrival time.Duration) bool {
	arrivalDelta := arrival - ia.cur.lastArrival
	sendDelta := send - ia.cur.lastSend
	if sendDelta == 0 {
		return true
	}
	return arrivalDelta-sendDelta < 0 && arrivalDelta <= burstDelta &&
		arrival-ia.cur.firstArrival < maxBurstDuration
}

func (ia *interArrival) reset() {
	*ia = interArrival{}
}
