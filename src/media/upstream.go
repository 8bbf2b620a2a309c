package media

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
	"github.com/heytribe/live-webrtcsignaling/src/webrtc"
)

// Timing of the RTCP the server sends.
const (
	// reportInterval is the period of RRs and REMBs to publishers and SRs to listeners.
	reportInterval = time.Second
	// rembMaxAge is how long a listener's estimate counts for its publisher's REMB.
	rembMaxAge = 5 * time.Second
	// defaultRTT is the round trip assumed before the participant's listener sessions measured one.
	defaultRTT = 100 * time.Millisecond
	// requestQueue is how many retransmission requests from listeners wait for a publisher's goroutine.
	requestQueue = 512
)

// retransmitRequest is a listener's NACK for one packet, served by the publisher's goroutine that owns the history.
type retransmitRequest struct {
	d   *downtrack
	seq uint16
}

// upstream is the forwarding side of a participant's publisher session: the tracks it sends and the downlinks they
// are forwarded to. It is the session's handler: the session's inbound goroutine runs onRTP and onRTCP, which parse
// each packet once, recover losses, fan the packet out to every downlink, serve the downlinks' retransmission
// requests and send the periodic RTCP. The downlink list is a copy-on-write snapshot, so forwarding takes no lock.
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

	feeds    atomic.Pointer[[]*feed]
	requests chan retransmitRequest
	flowing  atomic.Bool
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
	srs          []rtcp.SenderReport
	sdes         rtcp.SourceDescription

	// keyMu guards keyBuf and fir: keyframe requests are sent from listeners' goroutines too.
	keyMu  sync.Mutex
	keyBuf []byte
	fir    rtcp.FullIntraRequest
}

func newUpstream(fw *forwarder, sess session, result *negotiate.Result, rtt *pathRTT, hooks sessionHooks,
	log *slog.Logger) *upstream {
	u := &upstream{
		fwd:      fw,
		sess:     sess,
		log:      log,
		hooks:    hooks,
		rtt:      rtt,
		rtcpSSRC: randomSSRC(),
		requests: make(chan retransmitRequest, requestQueue),
		out:      make([]byte, 0, sendBufferSize),
		lost:     make([]uint16, 0, maxMissing),
		keyBuf:   make([]byte, 0, 128),
		fir:      rtcp.FullIntraRequest{Entries: make([]rtcp.FIREntry, 1)},
		rr:       rtcp.ReceiverReport{Reports: make([]rtcp.ReportBlock, 0, 2)},
		remb:     rtcp.REMB{SSRCs: make([]uint32, 0, 2)},
		srs:      make([]rtcp.SenderReport, 2),
		sdes:     rtcp.SourceDescription{Chunks: make([]rtcp.SourceDescriptionChunk, 0, 2)},
	}
	u.feeds.Store(&[]*feed{})
	for _, m := range result.Media {
		if m.Rejected {
			continue
		}
		t := newTrack(m, fw.keyframeInterval)
		switch {
		case m.Kind == sdp.KindAudio && u.audio == nil:
			u.audio = t
		case m.Kind == sdp.KindVideo && u.video == nil:
			u.video = t
		default:
			continue
		}
		u.tracks = append(u.tracks, t)
		u.reducedSize = u.reducedSize || m.RTCPReducedSize
	}
	return u
}

// addFeed and removeFeed change the downlink list; callers hold the forwarder's lock, so writers are serialised and
// the inbound goroutine reads a consistent snapshot.
func (u *upstream) addFeed(f *feed) {
	old := *u.feeds.Load()
	next := make([]*feed, 0, len(old)+1)
	next = append(append(next, old...), f)
	u.feeds.Store(&next)
}

func (u *upstream) removeFeed(f *feed) {
	old := *u.feeds.Load()
	next := make([]*feed, 0, len(old))
	for _, g := range old {
		if g != f {
			next = append(next, g)
		}
	}
	u.feeds.Store(&next)
}

// onRTP handles one packet from the publisher.
func (u *upstream) onRTP(pkt []byte, now time.Duration) {
	u.serveRequests(now)
	c := u.fwd.counters
	p := &u.pkt
	if err := p.Unmarshal(pkt); err != nil {
		c.dropMalformed.Add(1)
		return
	}
	t, rtx := u.route(&p.Header)
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
	u.fanOut(t, pkt, payloadOffset, keyframe, now)

	if t.nack != nil && t.nack.pending() {
		u.sendNACKs(t, now)
	}
	if !u.flowing.Load() && u.flowing.CompareAndSwap(false, true) {
		u.hooks.flowing()
	}
	if now >= u.nextReport {
		u.report(now)
	}
	if u.video != nil && u.video.keyframes.due(now) {
		u.sendKeyframeRequest()
	}
}

// route finds the track of a packet by SSRC, or learns the SSRC from the payload type when the SDP announced
// none. rtx is true for the track's retransmission stream.
func (u *upstream) route(h *rtp.Header) (t *track, rtx bool) {
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

// fanOut forwards one packet of t to every downlink that receives t. While a downlink waits for a keyframe, the
// publisher is asked again at every throttle interval: a browser ignores a request that comes within 300 ms of its
// last keyframe, which is what a receiver starting just after the publisher sends.
func (u *upstream) fanOut(t *track, pkt []byte, payloadOffset int, keyframe bool, now time.Duration) {
	waiting := false
	for _, f := range *u.feeds.Load() {
		d := f.downtrack(t.kind)
		if d == nil || !f.downlink.connected.Load() {
			continue
		}
		if d.forward(pkt, &u.pkt.Header, payloadOffset, keyframe, now) {
			f.downlink.markFlowing()
		}
		waiting = waiting || d.waitingKeyframe
	}
	if waiting {
		u.requestKeyframe(now)
	}
}

// serveRequests resends the packets receivers asked for since the last packet.
func (u *upstream) serveRequests(now time.Duration) {
	for {
		select {
		case r := <-u.requests:
			r.d.retransmit(r.seq, now)
		default:
			return
		}
	}
}

// requestRetransmission queues a receiver's NACK for the publisher's goroutine; it never blocks.
func (u *upstream) requestRetransmission(d *downtrack, seq uint16) {
	select {
	case u.requests <- retransmitRequest{d: d, seq: seq}:
	default:
		u.fwd.counters.dropRequestQueueFull.Add(1)
	}
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
	u.serveRequests(now)
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
		t.srNTP, t.srRTP, t.hasSR = sr.NTPTime, sr.RTPTime, true
	}
}

// report sends the periodic RTCP: RR and REMB to the publisher, SR and SDES to each listener; and renews the
// listeners' retransmission budgets.
func (u *upstream) report(now time.Duration) {
	u.nextReport = now + reportInterval
	u.sendReceiverReport(now)
	wall := time.Now()
	for _, f := range *u.feeds.Load() {
		if f.video != nil {
			f.video.resends = 0
		}
		if f.audio != nil {
			f.audio.resends = 0
		}
		if f.downlink.connected.Load() {
			u.sendSenderReports(f, now, wall)
		}
	}
}

// sendReceiverReport sends RR + SDES + REMB to the publisher. The REMB is the lowest fresh estimate of its
// listeners, clamped: forwarding sends every listener the same stream, so the slowest one bounds the publisher.
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
	if err == nil && sendREMB {
		u.remb.SenderSSRC, u.remb.Bitrate = u.rtcpSSRC, u.bandwidth(now)
		b, err = u.remb.AppendTo(b)
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

// bandwidth is the REMB value: the lowest fresh listener estimate within [MinVideoBitrate, MaxVideoBitrate], or
// MaxVideoBitrate when no listener has one.
func (u *upstream) bandwidth(now time.Duration) uint64 {
	lo, hi := u.fwd.minBitrate, u.fwd.maxBitrate
	best, found := hi, false
	for _, f := range *u.feeds.Load() {
		if f.video == nil {
			continue
		}
		if e, ok := f.downlink.estimate(now, rembMaxAge); ok && (!found || e < best) {
			best, found = e, true
		}
	}
	return min(max(best, lo), hi)
}

// sendSenderReports sends one listener an SR per stream it received, and the publisher's CNAME for both.
func (u *upstream) sendSenderReports(f *feed, now time.Duration, wall time.Time) {
	ntp := rtcp.NTPTime(wall)
	srs := u.srs[:0]
	u.sdes.Chunks = u.sdes.Chunks[:0]
	for _, d := range []*downtrack{f.audio, f.video} {
		if d == nil || !d.sent {
			continue
		}
		srs = append(srs, rtcp.SenderReport{SSRC: d.ssrc, NTPTime: ntp, RTPTime: u.rtpTimeAt(d, ntp, now),
			PacketCount: d.packets, OctetCount: d.octets})
		u.sdes.Chunks = append(u.sdes.Chunks, rtcp.SourceDescriptionChunk{SSRC: d.ssrc})
	}
	if len(srs) == 0 {
		return
	}
	b := u.out[:0]
	var err error
	for i := range srs {
		if b, err = srs[i].AppendTo(b); err != nil {
			break
		}
	}
	if err == nil {
		b, err = f.downlink.appendSDES(b, &u.sdes)
	}
	if err != nil {
		u.log.Warn("sender report not built", "err", err)
		return
	}
	u.out = b
	_ = f.downlink.sess.WriteRTCP(b)
}

// rtpTimeAt is the RTP time of downtrack d at the server's NTP time ntp: from the publisher's SR mapping when
// there is one (so that audio and video keep the publisher's relative timing), else extrapolated from the last
// packet sent.
func (u *upstream) rtpTimeAt(d *downtrack, ntp uint64, now time.Duration) uint32 {
	t := d.source
	if !t.hasSR || !u.hasNTPOffset {
		return d.lastTS + d.elapsedTicks(now)
	}
	elapsed := int64(ntp) - u.ntpOffset - int64(t.srNTP)
	return t.srRTP + ntpTicks(elapsed, t.codec.ClockRate) + d.tsOffset
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
