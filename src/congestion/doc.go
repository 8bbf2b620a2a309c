// Package congestion is transport-wide congestion control for the media plane, both ways, as algorithms without
// I/O: every method takes the time (a monotonic time.Duration) from its caller, so that the media plane drives it
// from its packet paths and the tests drive it from a simulated clock.
//
// Receiving from a publisher, a FeedbackRecorder is told the transport-wide sequence number
// (draft-holmer-rmcat-transport-wide-cc-extensions-01, read with rtp.Header.TransportCC) and the arrival time of
// every packet, and builds the rtcp.TransportCC feedback the publisher's browser estimates from, every 50 ms and at
// once on a loss burst:
//
//	rec.Record(seq, now)            // every packet, before duplicates and probes are dropped
//	for rec.Due(now) {
//		b, ok, err := rec.AppendFeedback(b[:0], now)
//		if err != nil || !ok { break }
//		... send b (after an RR when rtcp-rsize was not negotiated) ...
//	}
//
// Sending to a receiver, a SendSide numbers every packet as it leaves (stamped with rtp.StampTransportCC), reads the
// receiver's feedback, and runs a GCC-style estimator (draft-ietf-rmcat-gcc-02, with libwebrtc's trendline and
// constants): inter-arrival groups of 5 ms bursts, a trendline of the delay gradient, an overuse detector with an
// adaptive threshold, AIMD rate control backing off to 85 % of the acknowledged bitrate, and a loss-based cap
// (down above 10 % loss, up below 2 %). It plans probe clusters, at start, periodically while the path looks free,
// and on request before an up-switch (RequestProbe); the send loop asks ProbeBytes for padding. A Pacer per
// receiver sends the queued packets at 2.5 times the estimate, so that keyframe bursts are spread.
//
//	seq := ss.OnSent(len(pkt), now)     // stamp seq, then write
//	err := ss.OnFeedback(&tcc, now)     // on each rtcp.TransportCC from the receiver
//	bps, ok := ss.Bitrate(now)          // from any goroutine
//
// Estimate is what a per-receiver policy reads: SendSide implements it for receivers that negotiated transport-cc,
// REMBEstimate for those that send only REMB.
//
// Memory is bounded by construction: fixed rings sized by the configurations, whatever the peer sends.
package congestion
