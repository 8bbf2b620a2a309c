package media

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/congestion"
	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
	"github.com/heytribe/live-webrtcsignaling/src/webrtc"
)

// Timing of the RTCP the server sends.
const (
	// reportInterval is the period of RRs and REMBs to publishers and SRs to receivers.
	reportInterval = time.Second
	// defaultRTT is the round trip assumed before the participant's downlinks measured one.
	defaultRTT = 100 * time.Millisecond
	// Between reports, every rembCheckInterval, a REMB goes at once when the receivers' estimate fell below
	// rembDropRatio of the last one sent (libwebrtc's receive side does so at a 3 % fall): until the publisher
	// hears of it, the server forwards more than the slowest receiver's link carries, and that receiver loses it.
	rembCheckInterval = 100 * time.Millisecond
	rembDropRatio     = 0.9
)

// upstream is the forwarding side of a participant's publisher session: the tracks it sends, each the source of
// the downtracks that receive it. It is the session's handler, and the session's inbound goroutine is the feeder of
// its tracks: onRTP and onRTCP parse each packet once, recover losses, fan the packet out to the track's
// downtracks, serve the receivers' retransmission requests and send the periodic RTCP.
type upstream struct {
	fwd      *forwarder
	sess     session
	log      *slog.Logger
	hooks    sessionHooks
	rtt      *pathRTT
	rtcpSSRC uint32
	// reducedSize: the publisher accepts feedback alone (rtcp-rsize), not only in compound packets.
	reducedSize bool

	audio, video *track
	tracks       []*track
	feeder       *feeder

	// feeds are the downlinks' feeds attached to the upstream; guarded by the forwarder's lock.
	feeds   map[*feed]struct{}
	flowing atomic.Bool
	// closeReason is set when the server closes the session (replaced, left, shutdown): no failure to report.
	closeReason atomic.Pointer[string]

	// State of the inbound goroutine.
	pkt        rtp.Packet
	reader     rtcp.Reader
	sr         rtcp.SenderReport
	out        []byte
	lost       []uint16
	nack       rtcp.NACK
	nextReport time.Duration
	// ntpOffset maps the publisher's NTP clock onto the server's (server minus publisher, in NTP units), from its
	// first SR; one offset for both tracks keeps their relative timing, which is what lip sync needs.
	ntpOffset    int64
	hasNTPOffset bool
	rr           rtcp.ReceiverReport
	remb         rtcp.REMB
	// recorder builds the transport-wide feedback when the publisher negotiated transport-cc (nil otherwise),
	// from the sequence numbers of extension tccID; tccOut is its packet buffer. rembCapped: the last REMB sent to
	// such a publisher capped it.
	recorder   *congestion.FeedbackRecorder
	tccID      uint8
	tccOut     []byte
	rembCapped bool
	// lastREMB is the last REMB value sent, the highest video bitrate while none caps the publisher;
	// nextREMBCheck is when to compare the estimate with it again.
	lastREMB      uint64
	nextREMBCheck time.Duration

	// keyMu guards keyBuf and fir: keyframe requests are sent from receivers' goroutines too.
	keyMu  sync.Mutex
	keyBuf []byte
	fir    rtcp.FullIntraRequest
}

// newUpstream makes the forwarding side of a publisher's session from its negotiated offer. rtt is the round trip
// to the publisher, measured by its own downlinks.
func (fw *forwarder) newUpstream(sess session, result *negotiate.Result, rtt *pathRTT, hooks sessionHooks,
	log *slog.Logger) *upstream {
	u := &upstream{
		fwd:      fw,
		sess:     sess,
		log:      log,
		hooks:    hooks,
		rtt:      rtt,
		rtcpSSRC: randomSSRC(),
		feeder:   newFeeder(fw, log),
		feeds:    make(map[*feed]struct{}),
		out:      make([]byte, 0, sendBufferSize),
		lost:     make([]uint16, 0, maxMissing),
		keyBuf:   make([]byte, 0, 128),
		fir:      rtcp.FullIntraRequest{Entries: make([]rtcp.FIREntry, 1)},
		rr:       rtcp.ReceiverReport{Reports: make([]rtcp.ReportBlock, 0, 2)},
		remb:     rtcp.REMB{SSRCs: make([]uint32, 0, 2)},
	}
	for _, m := range result.Media {
		if m.Rejected {
			continue
		}
		switch {
		case m.Kind == sdp.KindAudio && u.audio == nil:
			u.audio = newTrack(u, m)
			u.tracks = append(u.tracks, u.audio)
		case m.Kind == sdp.KindVideo && u.video == nil:
			u.video = newTrack(u, m)
			u.tracks = append(u.tracks, u.video)
		default:
			continue
		}
		u.reducedSize = u.reducedSize || m.RTCPReducedSize
	}
	u.startFeedback(result)
	return u
}

// startFeedback makes the transport-wide feedback recorder when the publisher negotiated transport-cc: the
// sequence number extension and the feedback on an accepted section (BUNDLE: one transport, one numbering). The
// feedback names the publisher's video SSRC (else its audio's): libwebrtc hands a transport-wide feedback to its
// estimator only when that SSRC is one of the RTP module's own. A publisher that signalled no SSRC is named once its
// first packets taught it (feedbackSSRC).
func (u *upstream) startFeedback(result *negotiate.Result) {
	media := u.feedbackSSRC()
	for _, m := range result.Media {
		id, ok := m.ExtensionID(negotiate.ExtTransportCC)
		if m.Rejected || !ok || id == 0 || id > 255 || !m.Codec.HasFeedback(sdp.FeedbackTransportCC) {
			continue
		}
		rec, err := congestion.NewFeedbackRecorderWith(congestion.RecorderConfig{SenderSSRC: u.rtcpSSRC,
			MediaSSRC: media})
		if err != nil {
			u.log.Error("transport-wide feedback disabled", "err", err)
			return
		}
		u.recorder, u.tccID = rec, uint8(id)
		u.tccOut = make([]byte, 0, sendBufferSize)
		return
	}
}

// recordArrival notes the transport-wide sequence number of a packet and sends the feedback that is due: every
// 50 ms, at once on a loss burst. Every packet counts, retransmissions and padding included.
func (u *upstream) recordArrival(h *rtp.Header, now time.Duration) {
	if u.recorder == nil {
		return
	}
	if seq, ok := h.TransportCC(u.tccID); ok {
		u.recorder.Record(seq, now)
	}
	u.sendTransportFeedback(now)
}

// feedbackSSRC is the SSRC transport-wide feedback names: the publisher's video, else its audio, 0 while neither is
// known.
func (u *upstream) feedbackSSRC() uint32 {
	for _, t := range []*track{u.video, u.audio} {
		if t != nil {
			if s := t.ssrc.Load(); s != 0 {
				return s
			}
		}
	}
	return 0
}

// sendTransportFeedback sends the transport-wide feedback that is due, each packet after the compound prefix
// when the publisher did not negotiate rtcp-rsize.
func (u *upstream) sendTransportFeedback(now time.Duration) {
	if !u.recorder.Due(now) {
		return
	}
	u.recorder.SetMediaSSRC(u.feedbackSSRC())
	for u.recorder.Due(now) {
		b, err := u.feedbackPrefix(u.tccOut[:0])
		if err != nil {
			u.log.Warn("transport-wide feedback not built", "err", err)
			return
		}
		b, ok, err := u.recorder.AppendFeedback(b, now)
		if err != nil {
			u.log.Warn("transport-wide feedback not built", "err", err)
			return
		}
		if !ok {
			return
		}
		u.tccOut = b
		if u.sess.WriteRTCP(b) == nil {
			u.fwd.counters.tccFeedbacksOut.Add(1)
		}
	}
}

// onRTP handles one packet from the publisher.
func (u *upstream) onRTP(pkt []byte, now time.Duration) {
	u.feeder.serve(now)
	c := u.fwd.counters
	p := &u.pkt
	if err := p.Unmarshal(pkt); err != nil {
		c.dropMalformed.Add(1)
		return
	}
	u.recordArrival(&p.Header, now)
	t, rtx := u.trackOf(&p.Header)
	if t == nil {
		c.dropUnknownStream.Add(1)
		return
	}
	if rtx {
		orig, err := rtp.UnwrapRTX(pkt, t.ssrc.Load(), t.codec.PayloadType)
		if err != nil {
			if !errors.Is(err, rtp.ErrRTXPaddingOnly) {
				c.dropMalformed.Add(1)
			}
			return
		}
		if err := p.Unmarshal(orig); err != nil {
			c.dropMalformed.Add(1)
			return
		}
		pkt = orig
	}
	c.packetsIn.Add(1)
	c.bytesIn.Add(uint64(len(pkt)))
	seq := t.seq.Unwrap(p.SequenceNumber)
	if t.nack != nil {
		wanted, recoverable := t.nack.received(seq, now)
		if !recoverable {
			u.requestKeyframe(now)
		}
		if !wanted {
			// A duplicate, or a probe made of old packets: neither news nor a loss.
			return
		}
		if rtx {
			c.recoveredIn.Add(1)
		}
	}
	t.stats.update(seq, p.Timestamp, now, rtx)
	keyframe := t.keyframe != nil && t.keyframe(p.Payload)
	payloadOffset := len(pkt) - len(p.Payload) - int(p.PaddingSize)
	t.src.fanOut(pkt, &p.Header, payloadOffset, keyframe, now)
	if t.tiers != nil {
		t.tiers.push(seq, pkt, p, now)
	}

	if t.nack != nil && t.nack.pending() {
		u.sendNACKs(t, now)
	}
	if !u.flowing.Load() && u.flowing.CompareAndSwap(false, true) {
		u.hooks.flowing()
	}
	if now >= u.nextReport {
		u.report(now)
	} else if now >= u.nextREMBCheck {
		u.sendREMBOnDrop(now)
	}
	if u.video != nil && u.video.keyframes.due(now) {
		u.sendKeyframeRequest()
	}
}

// trackOf finds the track of a packet by SSRC, or learns the SSRC from the payload type when the SDP announced
// none. rtx is true for the track's retransmission stream.
func (u *upstream) trackOf(h *rtp.Header) (t *track, rtx bool) {
	for _, t := range u.tracks {
		if s := t.ssrc.Load(); s == h.SSRC && s != 0 {
			return t, false
		}
		if s := t.rtxSSRC.Load(); s == h.SSRC && s != 0 {
			return t, true
		}
	}
	for _, t := range u.tracks {
		if h.PayloadType == t.codec.PayloadType && t.ssrc.CompareAndSwap(0, h.SSRC) {
			return t, false
		}
		if t.codec.RTXPayloadType != 0 && h.PayloadType == t.codec.RTXPayloadType && t.rtxSSRC.CompareAndSwap(0, h.SSRC) {
			return t, true
		}
	}
	return nil, false
}

// sendNACKs asks the publisher for the packets of t that are due, and for a keyframe when some are given up.
func (u *upstream) sendNACKs(t *track, now time.Duration) {
	lost, gaveUp := t.nack.due(u.lost[:0], now, u.rtt.get(defaultRTT))
	u.lost = lost
	if gaveUp {
		u.requestKeyframe(now)
	}
	if len(lost) == 0 {
		return
	}
	u.nack.SenderSSRC, u.nack.MediaSSRC = u.rtcpSSRC, t.ssrc.Load()
	u.nack.Pairs = rtcp.NACKPairsFromSequences(u.nack.Pairs[:0], lost)
	b, err := u.feedbackPrefix(u.out[:0])
	if err == nil {
		b, err = u.nack.AppendTo(b)
	}
	if err != nil {
		u.log.Warn("NACK not built", "err", err)
		return
	}
	u.out = b
	if u.sess.WriteRTCP(b) == nil {
		u.fwd.counters.nacksOut.Add(uint64(len(lost)))
	}
}

// feedbackPrefix starts a packet that carries feedback: nothing with rtcp-rsize, else an empty RR and the SDES
// CNAME that a compound packet must start with (RFC 3550 6.1).
func (u *upstream) feedbackPrefix(b []byte) ([]byte, error) {
	if u.reducedSize {
		return b, nil
	}
	empty := rtcp.ReceiverReport{SSRC: u.rtcpSSRC}
	b, err := empty.AppendTo(b)
	if err != nil {
		return b, err
	}
	return rtcp.AppendCNAME(b, u.rtcpSSRC, u.fwd.cname)
}

// requestKeyframe asks the publisher for a keyframe, throttled; safe from any goroutine.
func (u *upstream) requestKeyframe(now time.Duration) {
	if u.video != nil && u.video.keyframes.ask(now) {
		u.sendKeyframeRequest()
	}
}

// sendKeyframeRequest sends a PLI, or a FIR when the publisher only negotiated FIR.
func (u *upstream) sendKeyframeRequest() {
	t := u.video
	pli, fir := t.codec.HasFeedback(sdp.FeedbackPLI), t.codec.HasFeedback(sdp.FeedbackFIR)
	if !pli && !fir {
		return
	}
	u.keyMu.Lock()
	defer u.keyMu.Unlock()
	b, err := u.feedbackPrefix(u.keyBuf[:0])
	if err == nil {
		if pli {
			req := rtcp.PictureLossIndication{SenderSSRC: u.rtcpSSRC, MediaSSRC: t.ssrc.Load()}
			b, err = req.AppendTo(b)
		} else {
			u.fir.SenderSSRC = u.rtcpSSRC
			u.fir.Entries[0] = rtcp.FIREntry{SSRC: t.ssrc.Load(), SequenceNumber: t.keyframes.nextFIRSequence()}
			b, err = u.fir.AppendTo(b)
		}
	}
	if err != nil {
		u.log.Warn("keyframe request not built", "err", err)
		return
	}
	u.keyBuf = b
	if u.sess.WriteRTCP(b) != nil {
		return
	}
	if pli {
		u.fwd.counters.plisOut.Add(1)
	} else {
		u.fwd.counters.firsOut.Add(1)
	}
}

// onRTCP handles RTCP from the publisher: its SRs give the NTP/RTP mapping for lip sync and LSR for its RTT.
func (u *upstream) onRTCP(pkt []byte, now time.Duration) {
	u.feeder.serve(now)
	if u.recorder != nil {
		// The last packets before a pause are reported at the publisher's next RTCP, at worst.
		u.sendTransportFeedback(now)
	}
	u.reader.Reset(pkt, rtcp.ReducedSize)
	for u.reader.Next() {
		if u.reader.Kind() != rtcp.KindSenderReport {
			continue
		}
		if err := u.sr.Unmarshal(u.reader.Packet()); err != nil {
			u.fwd.counters.dropRTCPMalformed.Add(1)
			continue
		}
		u.senderReport(&u.sr, now)
	}
	if u.reader.Err() != nil {
		u.fwd.counters.dropRTCPMalformed.Add(1)
	}
}

func (u *upstream) senderReport(sr *rtcp.SenderReport, now time.Duration) {
	for _, t := range u.tracks {
		if t.ssrc.Load() != sr.SSRC {
			continue
		}
		if !u.hasNTPOffset {
			u.ntpOffset = int64(rtcp.NTPTime(time.Now()) - sr.NTPTime)
			u.hasNTPOffset = true
		}
		t.stats.senderReport(sr.NTPTime, now)
		t.clock.Store(&srClock{ntp: uint64(int64(sr.NTPTime) + u.ntpOffset), rtp: sr.RTPTime,
			rate: t.codec.ClockRate})
	}
}

// report sends the periodic RTCP: RR and REMB to the publisher, then, through the feeder, SR and SDES to each
// receiver, whose retransmission budgets it renews.
func (u *upstream) report(now time.Duration) {
	u.nextReport = now + reportInterval
	u.sendReceiverReport(now)
	u.feeder.report(now, time.Now())
}

// sendReceiverReport sends RR + SDES + REMB to the publisher. The REMB is the lowest fresh estimate of the
// receivers of its video, clamped: forwarding sends each of them the same stream, so the slowest one bounds the
// publisher. A publisher that negotiated transport-cc estimates its uplink itself from the server's transport-wide
// feedback; it gets a REMB only while its receivers need less than MaxVideoBitrate, and one more when that ends:
// Chromium's send-side estimator takes a REMB as a cap on its target (libwebrtc's
// SendSideBandwidthEstimation::UpdateReceiverEstimate sets receiver_limit_, and ApplyTargetLimits takes the
// minimum of it and the delay- and loss-based limits), whatever else it uses.
func (u *upstream) sendReceiverReport(now time.Duration) {
	u.rr.SSRC = u.rtcpSSRC
	u.rr.Reports = u.rr.Reports[:0]
	u.remb.SSRCs = u.remb.SSRCs[:0]
	for _, t := range u.tracks {
		ssrc := t.ssrc.Load()
		if b, ok := t.stats.block(ssrc, now); ok {
			u.rr.Reports = append(u.rr.Reports, b)
			u.remb.SSRCs = append(u.remb.SSRCs, ssrc)
		}
	}
	b, err := u.rr.AppendTo(u.out[:0])
	if err == nil {
		b, err = rtcp.AppendCNAME(b, u.rtcpSSRC, u.fwd.cname)
	}
	sendREMB := u.video != nil && len(u.remb.SSRCs) > 0
	var bps uint64
	if sendREMB {
		var capped bool
		bps, capped = u.bandwidth(now)
		sendREMB = u.recorder == nil || capped || u.rembCapped
		u.rembCapped = capped
	}
	u.lastREMB = u.fwd.maxBitrate
	if err == nil && sendREMB {
		u.remb.SenderSSRC, u.remb.Bitrate = u.rtcpSSRC, bps
		b, err = u.remb.AppendTo(b)
		u.lastREMB = bps
	}
	if err != nil {
		u.log.Warn("receiver report not built", "err", err)
		return
	}
	u.out = b
	if u.sess.WriteRTCP(b) == nil && sendREMB {
		u.fwd.counters.rembsOut.Add(1)
	}
}

// sendREMBOnDrop sends a REMB at once, alone (after the compound prefix without rtcp-rsize), when the receivers'
// estimate fell below rembDropRatio of the last REMB sent (or of the highest video bitrate, uncapped).
func (u *upstream) sendREMBOnDrop(now time.Duration) {
	u.nextREMBCheck = now + rembCheckInterval
	if u.video == nil || len(u.remb.SSRCs) == 0 || u.lastREMB == 0 {
		return
	}
	bps, capped := u.bandwidth(now)
	if !capped || float64(bps) >= rembDropRatio*float64(u.lastREMB) {
		return
	}
	b, err := u.feedbackPrefix(u.out[:0])
	if err == nil {
		u.remb.SenderSSRC, u.remb.Bitrate = u.rtcpSSRC, bps
		b, err = u.remb.AppendTo(b)
	}
	if err != nil {
		u.log.Warn("REMB not built", "err", err)
		return
	}
	u.out = b
	u.lastREMB, u.rembCapped = bps, true
	if u.sess.WriteRTCP(b) == nil {
		u.fwd.counters.rembsOut.Add(1)
	}
}

// bandwidth is the REMB value: the lowest fresh estimate among the receivers of the publisher's video within
// [MinVideoBitrate, MaxVideoBitrate], or MaxVideoBitrate when none has one. With transcoding, not below the best
// tier's bitrate (rembFloor), except for a receiver the encoder budget keeps on this stream over its link
// (downtrack.overLink). capped: it is below MaxVideoBitrate.
func (u *upstream) bandwidth(now time.Duration) (bps uint64, capped bool) {
	lo, hi := u.fwd.minBitrate, u.fwd.maxBitrate
	best, over := hi, hi
	for _, d := range *u.video.src.downtracks.Load() {
		if d.route.Load().from != u.video.src {
			continue // switching to the publisher's video: not yet a receiver of it
		}
		if e, ok := d.downlink.estimator().Bitrate(now); ok {
			if d.overLink.Load() {
				over = min(over, e)
			} else {
				best = min(best, max(e, u.fwd.rembFloor))
			}
		}
	}
	bps = min(max(min(best, over), lo), hi)
	return bps, bps < hi
}

// ntpTicks converts a signed NTP duration (32.32 fixed point) to RTP clock ticks, modulo 2^32.
func ntpTicks(d int64, clockRate uint32) uint32 {
	neg := d < 0
	if neg {
		d = -d
	}
	secs, frac := uint64(d)>>32, uint64(d)&0xffffffff
	ticks := uint32(secs*uint64(clockRate) + frac*uint64(clockRate)>>32)
	if neg {
		return -ticks
	}
	return ticks
}

// onState reports the session's end.
func (u *upstream) onState(state webrtc.State, reason webrtc.Reason) {
	if state.Final() {
		u.hooks.ended(state, reason)
	}
}

// close ends the session for reason, with an RTCP BYE first.
func (u *upstream) close(reason string) {
	if !u.closeReason.CompareAndSwap(nil, &reason) {
		return
	}
	if b, err := goodbye(u.rtcpSSRC, u.fwd.cname, reason, u.rtcpSSRC); err == nil {
		_ = u.sess.WriteRTCP(b)
	}
	u.sess.Close()
}

// kinds are the kinds of the upstream's tracks, in the order of its offer.
func (u *upstream) kinds() []string {
	kinds := make([]string, len(u.tracks))
	for i, t := range u.tracks {
		kinds[i] = t.kind
	}
	return kinds
}

// videoCodecName is the video codec, for logs.
func (u *upstream) videoCodecName() string {
	if u.video == nil {
		return ""
	}
	return u.video.codec.Name
}
