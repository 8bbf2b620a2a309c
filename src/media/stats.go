package media

import "sync/atomic"

// Stats are the media plane's counters since it started (Plane.Stats). Sessions are counted by role; packets and
// bytes are RTP as forwarded (before SRTP); drops are counted by cause.
type Stats struct {
	// Publishers and Listeners are the sessions alive now; PublishersUp and ListenersUp those whose media flows.
	Publishers, PublishersUp, Listeners, ListenersUp int64
	// SessionsFailed counts the sessions that ended with a failure reported to the client (eventWebrtcDown).
	SessionsFailed uint64

	// PacketsIn and BytesIn count RTP received from publishers; PacketsOut and BytesOut RTP written to listeners,
	// retransmissions included.
	PacketsIn, BytesIn, PacketsOut, BytesOut uint64

	// Drops by cause: a publisher packet that does not parse (DropMalformed) or belongs to no negotiated stream
	// (DropUnknownStream); a listener packet skipped while waiting for a keyframe (DropWaitingKeyframe, expected at
	// each start), too large for the send buffer (DropTooLarge), older than the listener's stream start
	// (DropBeforeSwitch), refused by the listener's session (DropWriteFailed: queue full or not connected); a
	// retransmission request that did not fit the publisher's queue (DropRequestQueueFull) or went past the
	// listener's budget of a history's worth per second (DropResendBudget) or asked for a packet of the source a
	// listener switched from, sent before the new source's first keyframe (DropResendStale); an RTCP packet that
	// does not parse (DropRTCPMalformed).
	DropMalformed, DropUnknownStream, DropWaitingKeyframe, DropTooLarge, DropBeforeSwitch, DropWriteFailed,
	DropRequestQueueFull, DropResendBudget, DropResendStale, DropRTCPMalformed uint64

	// NACKsIn counts the sequence numbers listeners asked for; Retransmissions those resent (RTX or plain),
	// RetransmitMisses those no longer in the send history. NACKsOut counts the sequence numbers asked of
	// publishers, RecoveredIn those that came back.
	NACKsIn, Retransmissions, RetransmitMisses, NACKsOut, RecoveredIn uint64
	// KeyframeRequestsIn counts PLI and FIR from listeners; PLIsOut and FIRsOut the requests sent to publishers
	// (throttled: several listeners asking at once cost one).
	KeyframeRequestsIn, PLIsOut, FIRsOut uint64
	// REMBsIn counts the bandwidth estimates received from listeners, REMBsOut those sent to publishers.
	REMBsIn, REMBsOut uint64
	// TransportFeedbacksOut counts the transport-wide feedback packets sent to publishers that negotiated
	// transport-cc; TransportFeedbacksIn those received from listeners that did. PacerDrops counts the packets to
	// listeners dropped because their pacer's queue was full.
	TransportFeedbacksOut, TransportFeedbacksIn, PacerDrops uint64
}

// counters are the atomic counters behind Stats.
type counters struct {
	publishers, publishersUp, listeners, listenersUp atomic.Int64
	sessionsFailed                                   atomic.Uint64

	packetsIn, bytesIn, packetsOut, bytesOut atomic.Uint64

	dropMalformed, dropUnknownStream, dropWaitingKeyframe, dropTooLarge, dropBeforeSwitch, dropWriteFailed,
	dropRequestQueueFull, dropResendBudget, dropResendStale, dropRTCPMalformed atomic.Uint64

	nacksIn, retransmissions, retransmitMisses, nacksOut, recoveredIn atomic.Uint64
	keyframeRequestsIn, plisOut, firsOut                              atomic.Uint64
	rembsIn, rembsOut                                                 atomic.Uint64
	tccFeedbacksOut, tccFeedbacksIn, pacerDrops                       atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Publishers: c.publishers.Load(), PublishersUp: c.publishersUp.Load(),
		Listeners: c.listeners.Load(), ListenersUp: c.listenersUp.Load(),
		SessionsFailed: c.sessionsFailed.Load(),
		PacketsIn:      c.packetsIn.Load(), BytesIn: c.bytesIn.Load(),
		PacketsOut: c.packetsOut.Load(), BytesOut: c.bytesOut.Load(),
		DropMalformed: c.dropMalformed.Load(), DropUnknownStream: c.dropUnknownStream.Load(),
		DropWaitingKeyframe: c.dropWaitingKeyframe.Load(), DropTooLarge: c.dropTooLarge.Load(),
		DropBeforeSwitch: c.dropBeforeSwitch.Load(), DropWriteFailed: c.dropWriteFailed.Load(),
		DropRequestQueueFull: c.dropRequestQueueFull.Load(), DropResendBudget: c.dropResendBudget.Load(),
		DropResendStale: c.dropResendStale.Load(), DropRTCPMalformed: c.dropRTCPMalformed.Load(),
		NACKsIn: c.nacksIn.Load(), Retransmissions: c.retransmissions.Load(),
		RetransmitMisses: c.retransmitMisses.Load(), NACKsOut: c.nacksOut.Load(), RecoveredIn: c.recoveredIn.Load(),
		KeyframeRequestsIn: c.keyframeRequestsIn.Load(), PLIsOut: c.plisOut.Load(), FIRsOut: c.firsOut.Load(),
		REMBsIn: c.rembsIn.Load(), REMBsOut: c.rembsOut.Load(),
		TransportFeedbacksOut: c.tccFeedbacksOut.Load(), TransportFeedbacksIn: c.tccFeedbacksIn.Load(),
		PacerDrops: c.pacerDrops.Load(),
	}
}
