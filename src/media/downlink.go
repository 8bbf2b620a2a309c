package media

import (
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/congestion"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
	"github.com/heytribe/live-webrtcsignaling/src/webrtc"
)

// downlink is the forwarding side of the session through which one participant receives another's stream: the
// session's handler. Its SSRCs are its own and stay for its whole life, so a renegotiation (the publisher publishing
// again) goes on as one continuous stream. Its inbound goroutine handles the receiver's RTCP: NACKs become
// retransmission requests for the goroutine that feeds the downtrack, PLI and FIR become throttled keyframe
// requests, RR gives the RTT and REMB the receiver's bandwidth estimate.
type downlink struct {
	fwd   *forwarder
	sess  session
	hooks sessionHooks
	// rtt is the receiver's round trip, which the downlink measures for the receiver's own upstream.
	rtt *pathRTT

	audioSSRC, videoSSRC, rtxSSRC uint32
	// cname is the publisher's: one CNAME per publisher lets browsers synchronise its audio and video.
	cname []byte
	// receiver and publisher are the participants' socketIds, for the transcoding's logs and /state.
	receiver, publisher string

	connected atomic.Bool
	flowing   atomic.Bool
	feed      atomic.Pointer[feed]
	// estimate is fed by the receiver's reports (REMB and receiver reports); readers take it as a
	// congestion.Estimate, the interface a transport-wide estimate implements too.
	estimate *congestion.REMBEstimate
	// sendSide is the transport-wide estimator, made when the receiver first negotiates transport-cc; from then on
	// it is the receiver's estimate. Its numbering is the session's, so it stays across renegotiations.
	sendSide atomic.Pointer[congestion.SendSide]
	// rtxSeq numbers the RTX stream: retransmissions (the feeder's goroutine) and probes (the session's writer).
	rtxSeq atomic.Uint32
	// closeReason is set when the server closes the session: no failure to report then.
	closeReason atomic.Pointer[string]

	// State of the inbound goroutine.
	reader rtcp.Reader
	rr     rtcp.ReceiverReport
	nack   rtcp.NACK
	rembIn rtcp.REMB
	tccIn  rtcp.TransportCC
	lost   []uint16
}

// newDownlink makes the forwarding side of a receiver's session for one publisher: rtt is the receiver's round
// trip, which its downlinks measure, and cname the publisher's, which the receiver's SDES carry.
func (fw *forwarder) newDownlink(sess session, rtt *pathRTT, cname string, hooks sessionHooks) *downlink {
	dl := &downlink{
		fwd:       fw,
		sess:      sess,
		hooks:     hooks,
		rtt:       rtt,
		audioSSRC: randomSSRC(),
		videoSSRC: randomSSRC(),
		rtxSSRC:   randomSSRC(),
		cname:     []byte(cname),
		estimate:  congestion.NewREMBEstimate(),
		lost:      make([]uint16, 0, 17*16),
		tccIn:     rtcp.TransportCC{Arrivals: make([]rtcp.PacketArrival, 0, 256)},
	}
	dl.rtxSeq.Store(rand.Uint32())
	sess.SetPacing(dl)
	return dl
}

// markFlowing reports the stream up once, at its first packet after the session connected.
func (dl *downlink) markFlowing() {
	if !dl.flowing.Load() && dl.flowing.CompareAndSwap(false, true) {
		dl.hooks.flowing()
	}
}

// estimator is the receiver's bandwidth estimate: the transport-wide one once negotiated, else its REMB.
func (dl *downlink) estimator() congestion.Estimate {
	if ss := dl.sendSide.Load(); ss != nil {
		return ss
	}
	return dl.estimate
}

// startSendSide makes the transport-wide estimator when f negotiated transport-cc, once.
func (dl *downlink) startSendSide(f *feed) {
	if f.transportCC && dl.sendSide.Load() == nil {
		dl.sendSide.CompareAndSwap(nil, congestion.NewSendSide())
	}
}

// appendSDES appends the SDES with the publisher's CNAME for every chunk of sd.
func (dl *downlink) appendSDES(b []byte, sd *rtcp.SourceDescription) ([]byte, error) {
	for i := range sd.Chunks {
		sd.Chunks[i].CNAME = dl.cname
	}
	return sd.AppendTo(b)
}

// requestKeyframe asks the source of the receiver's video for a keyframe, once connected and fed.
func (dl *downlink) requestKeyframe(now time.Duration) {
	if !dl.connected.Load() {
		return
	}
	if f := dl.feed.Load(); f != nil && f.video != nil {
		f.video.route.Load().from.origin.requestKeyframe(now)
	}
}

// onState records the session's progress: once connected, the publisher is asked for a keyframe so that the
// receiver can start; the end is reported.
func (dl *downlink) onState(state webrtc.State, reason webrtc.Reason) {
	if state.Final() {
		dl.hooks.ended(state, reason)
		return
	}
	if state == webrtc.StateConnected {
		dl.connected.Store(true)
		dl.requestKeyframe(monotonic())
	}
}

// onRTP drops what a receiver sends: its session only sends media.
func (dl *downlink) onRTP([]byte, time.Duration) {
	dl.fwd.counters.dropUnknownStream.Add(1)
}

// onRTCP handles the receiver's feedback.
func (dl *downlink) onRTCP(pkt []byte, now time.Duration) {
	c := dl.fwd.counters
	f := dl.feed.Load()
	dl.reader.Reset(pkt, rtcp.ReducedSize)
	for dl.reader.Next() {
		var err error
		switch dl.reader.Kind() {
		case rtcp.KindReceiverReport:
			if err = dl.rr.Unmarshal(dl.reader.Packet()); err == nil {
				dl.receiverReport(dl.rr.Reports)
			}
		case rtcp.KindNACK:
			if err = dl.nack.Unmarshal(dl.reader.Packet()); err == nil && f != nil {
				dl.nacked(f)
			}
		case rtcp.KindPLI, rtcp.KindFIR:
			c.keyframeRequestsIn.Add(1)
			if f != nil && f.video != nil {
				f.video.route.Load().from.origin.requestKeyframe(now)
			}
		case rtcp.KindTransportCC:
			err = dl.transportFeedback(now)
		case rtcp.KindREMB:
			if err = dl.rembIn.Unmarshal(dl.reader.Packet()); err == nil {
				c.rembsIn.Add(1)
				dl.estimate.OnREMB(dl.rembIn.Bitrate, now)
			}
		}
		if err != nil {
			c.dropRTCPMalformed.Add(1)
		}
	}
	if dl.reader.Err() != nil {
		c.dropRTCPMalformed.Add(1)
	}
}

// transportFeedback reads a transport-wide feedback into the estimator; one from a receiver that did not
// negotiate transport-cc is ignored.
func (dl *downlink) transportFeedback(now time.Duration) error {
	ss := dl.sendSide.Load()
	if ss == nil {
		return nil
	}
	if err := dl.tccIn.Unmarshal(dl.reader.Packet()); err != nil {
		return err
	}
	dl.fwd.counters.tccFeedbacksIn.Add(1)
	return ss.OnFeedback(&dl.tccIn, now)
}

// receiverReport takes the RTT from the blocks about the downlink's streams, and the loss for the estimate from
// the block about its video. The RTT is the receiver's path RTT, which its own upstream uses to pace its NACKs
// (the server, ICE-lite, sends no checks to measure it).
func (dl *downlink) receiverReport(blocks []rtcp.ReportBlock) {
	wall := time.Now()
	for _, b := range blocks {
		if b.SSRC != dl.audioSSRC && b.SSRC != dl.videoSSRC {
			continue
		}
		if b.SSRC == dl.videoSSRC {
			dl.estimate.OnReceiverReport(b.FractionLost)
		}
		if rtt, ok := b.RoundTripTime(wall); ok {
			dl.rtt.set(rtt)
			if ss := dl.sendSide.Load(); ss != nil {
				ss.SetRTT(rtt)
			}
		}
	}
}

// nacked queues a retransmission request per packet the receiver asked for.
func (dl *downlink) nacked(f *feed) {
	var d *downtrack
	switch dl.nack.MediaSSRC {
	case dl.videoSSRC:
		d = f.video
	case dl.audioSSRC:
		d = f.audio
	}
	if d == nil {
		return
	}
	dl.lost = dl.nack.AppendLost(dl.lost[:0])
	dl.fwd.counters.nacksIn.Add(uint64(len(dl.lost)))
	feeder := d.route.Load().from.feeder
	for _, seq := range dl.lost {
		feeder.requestRetransmission(d, seq)
	}
}

// close ends the session for reason, with an RTCP BYE for its streams first.
func (dl *downlink) close(reason string) {
	if !dl.closeReason.CompareAndSwap(nil, &reason) {
		return
	}
	if b, err := goodbye(dl.videoSSRC, string(dl.cname), reason, dl.audioSSRC, dl.videoSSRC); err == nil {
		_ = dl.sess.WriteRTCP(b)
	}
	dl.sess.Close()
}
