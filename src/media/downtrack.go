package media

import (
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp/codecs"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
)

// Sizes of the listeners' send buffers.
const (
	// sendBufferSize holds the largest packet forwarded: browsers keep RTP under 1,200 bytes, and the server adds
	// at most extensionGrowth.
	sendBufferSize = 1500
	// historyPackets is the video send history of a listener: about 1 s of a 2.5 Mbit/s stream at 1,100 bytes a
	// packet (2.5 s at 1 Mbit/s), beyond the round trips a retransmission still helps; 384 KiB per video listener.
	historyPackets = 256
	// minResendInterval bounds how often one packet is resent, whatever the listener asks.
	minResendInterval = 10 * time.Millisecond
	// resendBudget bounds the retransmissions to one listener per report interval (a second): a whole history's
	// worth, far above what real losses need, so that a listener's NACK flood costs little.
	resendBudget = historyPackets
	// resendShare of the receiver's estimate (resendMinBytes a second at least) bounds the bytes retransmitted to
	// it per report interval too: its publisher sends at about the estimate already (the REMB), so retransmissions
	// beyond a share of it overflow the receiver's link, whose losses ask for more of them (a browser test's
	// 500 kbit/s link stayed 40-60 % lossy for 15 s that way). libwebrtc bounds them by its estimate the same way.
	resendShare    = 0.15
	resendMinBytes = 4 << 10
)

// downtrack is one stream as one receiver gets it: its own SSRC, payload types and header extension ids, a
// Rewriter that keeps its sequence numbers and timestamps continuous, the send history that answers its NACKs, and
// the counters of its SRs. It is fed by one source at a time, whose feeder's goroutine alone forwards to it and
// serves its retransmission requests (two share it, under switchMu, while a switch is pending: see switch.go); the
// receiver's goroutine only reads the route and what never changes.
type downtrack struct {
	downlink *downlink
	feed     *feed
	counters *counters
	kind     string
	// partner is the downtrack of the other kind in the same feed (audio for video, video for audio), nil when
	// the receiver takes one kind only: their SRs go together.
	partner *downtrack

	// route is where the packets come from; it changes only under switchMu (setRoute). alone is its source when
	// no switch is pending, else nil: what the forwarding path checks, with one load.
	route    atomic.Pointer[route]
	alone    atomic.Pointer[source]
	switchMu sync.Mutex
	// acked is the pending route the old source's feeder has seen: from then on it forwards under switchMu, and
	// the new source may take over. Guarded by switchMu.
	acked *route
	// overLink: the receiver needs a tier the encoder budget refuses and none of its codec runs, so it stays on
	// the publisher's own stream and its estimate caps the publisher's bitrate (upstream.bandwidth). Set by the
	// adaptation goroutine.
	overLink atomic.Bool
	// pictureIDs: a VP8 stream, whose picture IDs must stay continuous across switches.
	pictureIDs bool
	// vp8 rewrites picture IDs from the first switch on; nil before.
	vp8 *codecs.VP8PictureRewriter

	ssrc           uint32
	rtxSSRC        uint32
	payloadType    uint8
	rtxPayloadType uint8 // 0: retransmissions are plain copies
	clockRate      uint32

	rewriter *rtp.Rewriter
	// padProbes: the receiver negotiated transport-cc but no RTX, so its probes are padding on this stream, numbered
	// by the rewriter from the session's writer goroutine (padding) as well as the feeder's: both hold padMu then.
	// Other downtracks take no lock.
	padProbes bool
	padMu     sync.Mutex
	ext       *extensionMap
	// history answers NACKs; nil when the listener did not negotiate NACK.
	history *history
	// scratch builds packets that are not kept: audio, and retransmissions.
	scratch []byte

	// waitingKeyframe holds video back until a packet that starts a keyframe: a decoder cannot start elsewhere.
	waitingKeyframe bool
	// resends counts the retransmissions of the current report interval, against resendBudget; resendBytes is
	// what is left of its bytes (resendShare).
	resends     int
	resendBytes int
	// switched: the packet being forwarded is a switch's keyframe. From it on, the packets sent before it
	// (staleBefore) are not resent, until staleFor packets have been sent since staleFrom (0: no mark).
	switched            bool
	staleBefore         uint16
	staleFrom, staleFor uint32

	// For the SRs: what was sent, and the RTP time of the newest packet with the monotonic time it left.
	packets, octets uint32
	lastTS          uint32
	lastSent        time.Duration
	tsOffset        uint32
	sent            bool
}

// downtrackParams are what a listener negotiated for one track.
type downtrackParams struct {
	ssrc, rtxSSRC               uint32
	payloadType, rtxPayloadType uint8
	ext                         *extensionMap
	nack                        bool
}

func newDowntrack(f *feed, source *source, c *counters, p downtrackParams) (*downtrack, error) {
	rw, err := rtp.NewRewriter(p.ssrc, p.payloadType)
	if err != nil {
		return nil, err
	}
	d := &downtrack{
		downlink:        f.downlink,
		feed:            f,
		counters:        c,
		kind:            source.kind,
		ssrc:            p.ssrc,
		rtxSSRC:         p.rtxSSRC,
		payloadType:     p.payloadType,
		rtxPayloadType:  p.rtxPayloadType,
		clockRate:       source.codec.ClockRate,
		rewriter:        rw,
		padProbes:       source.kind == sdp.KindVideo && p.rtxPayloadType == 0 && p.ext != nil && p.ext.transportCC != 0,
		ext:             p.ext,
		scratch:         make([]byte, sendBufferSize+2),
		waitingKeyframe: source.keyframe != nil,
		pictureIDs:      strings.EqualFold(source.codec.Name, "VP8"),
	}
	d.setRoute(&route{from: source})
	if p.nack {
		d.history = newHistory(historyPackets, sendBufferSize)
	}
	d.resendBytes = resendAllowance(f.downlink.fwd.maxBitrate)
	return d, nil
}

// forward sends a packet of the source to the receiver: pkt as received, h its parsed header, payloadOffset where
// its payload starts, keyframe whether it starts one. The downlink is marked flowing at its first packet.
func (d *downtrack) forward(pkt []byte, h *rtp.Header, payloadOffset int, keyframe bool, now time.Duration) {
	if d.waitingKeyframe {
		if !keyframe {
			d.counters.dropWaitingKeyframe.Add(1)
			return
		}
		d.waitingKeyframe = false
		if d.sent {
			d.lockRewriter()
			d.rewriter.Switch(d.elapsedTicks(now))
			d.unlockRewriter()
			d.switched = true
		}
	}
	buf := d.scratch
	if d.history != nil {
		buf = d.history.buffer()
	}
	n, err := d.ext.copyPacket(buf, pkt, h, payloadOffset, rtp.AbsSendTime(now))
	if err != nil {
		d.counters.dropTooLarge.Add(1)
		return
	}
	out := buf[:n]
	d.lockRewriter()
	err = d.rewriter.Rewrite(out)
	d.unlockRewriter()
	if err != nil {
		if errors.Is(err, rtp.ErrBeforeSwitch) {
			d.counters.dropBeforeSwitch.Add(1)
		} else {
			d.counters.dropMalformed.Add(1)
		}
		return
	}
	if d.vp8 != nil {
		// A payload whose descriptor does not parse goes as it came, as before any switch.
		_ = d.vp8.Rewrite(out[n-(len(pkt)-payloadOffset):])
	}
	seq := binary.BigEndian.Uint16(out[2:])
	ts := binary.BigEndian.Uint32(out[4:])
	if d.history != nil {
		d.history.keep(seq, n)
	}
	if d.switched {
		d.switched, d.staleBefore, d.staleFrom, d.staleFor = false, seq, d.packets, historyPackets
	}
	if err := d.downlink.sess.ForwardRTP(out, wallTime(now)); err != nil {
		d.counters.dropWriteFailed.Add(1)
		return
	}
	d.counters.packetsOut.Add(1)
	d.counters.bytesOut.Add(uint64(n))
	d.packets++
	d.octets += uint32(len(pkt) - payloadOffset)
	if !d.sent || rtp.TimestampNewer(ts, d.lastTS) {
		d.lastTS, d.lastSent = ts, now
	}
	d.tsOffset = ts - h.Timestamp
	d.sent = true
	d.downlink.markFlowing()
}

// renewResends opens the retransmission budget of the next report interval, from the receiver's estimate at now.
func (d *downtrack) renewResends(now time.Duration) {
	bps, ok := d.downlink.estimator().Bitrate(now)
	if !ok && d.downlink.sendSide.Load() == nil {
		bps = d.downlink.fwd.maxBitrate
	}
	d.resends, d.resendBytes = 0, resendAllowance(bps)
}

// resendAllowance is the retransmission budget in bytes of a report interval to a receiver estimated at bps.
func resendAllowance(bps uint64) int {
	return max(int(float64(bps)/8*resendShare*reportInterval.Seconds()), resendMinBytes)
}

// lockRewriter and unlockRewriter guard the rewriter of a downtrack padded by probes (padProbes).
func (d *downtrack) lockRewriter() {
	if d.padProbes {
		d.padMu.Lock()
	}
}

func (d *downtrack) unlockRewriter() {
	if d.padProbes {
		d.padMu.Unlock()
	}
}

// padSequence numbers a padding packet between two frames of the stream (rtp.Rewriter.Pad); ok is false inside a
// frame and before the first packet.
func (d *downtrack) padSequence() (seq uint16, ts uint32, ok bool) {
	d.padMu.Lock()
	defer d.padMu.Unlock()
	return d.rewriter.Pad()
}

// rtpTimeAt is the downtrack's RTP time at the server's NTP time ntp: its source's, when the source knows its
// clock (a publisher's track: from its SRs, so that audio and video keep the publisher's relative timing), else
// extrapolated from the last packet sent.
func (d *downtrack) rtpTimeAt(ntp uint64, now time.Duration) uint32 {
	if ts, ok := d.route.Load().from.origin.rtpTimeAt(ntp); ok {
		return ts + d.tsOffset
	}
	return d.lastTS + d.elapsedTicks(now)
}

// elapsedTicks is the time since the last packet sent, in the stream's clock: the timestamp step across a pause or
// a switch. It is 0 when now is not later: two sources' feeders read their clocks before they take turns.
func (d *downtrack) elapsedTicks(now time.Duration) uint32 {
	if now <= d.lastSent {
		return 0
	}
	return uint32(int64(now-d.lastSent) * int64(d.clockRate) / int64(time.Second))
}

// stale reports whether seq was sent before the keyframe that started the downtrack's current source: after a
// switch, the receiver decodes from that keyframe on, and what it lost of the old source would only delay it (a
// receiver whose link is full goes on asking for the old source's losses for seconds; resent ahead of the new
// source's video, they kept its first keyframe from getting through). The mark lasts until a history's worth of
// packets has been sent since: older ones are out of the history anyway, and 16-bit sequence numbers compare
// within half their range only.
func (d *downtrack) stale(seq uint16) bool {
	if d.staleFor == 0 {
		return false
	}
	if d.packets-d.staleFrom >= d.staleFor {
		d.staleFor = 0
		return false
	}
	return int16(seq-d.staleBefore) < 0
}

// retransmit resends the packet the listener received as seq, from the history: as RTX when negotiated, else as
// is. Repeated requests for one packet are served at most once per minResendInterval.
func (d *downtrack) retransmit(seq uint16, now time.Duration) {
	if d.history == nil {
		return
	}
	pkt, slot, ok := d.history.get(seq)
	if !ok {
		d.counters.retransmitMisses.Add(1)
		return
	}
	if slot.resentAt != 0 && now-slot.resentAt < minResendInterval {
		return
	}
	if d.stale(seq) {
		d.counters.dropResendStale.Add(1)
		return
	}
	if d.resends >= resendBudget || d.resendBytes < len(pkt) {
		d.counters.dropResendBudget.Add(1)
		return
	}
	d.resends++
	var out []byte
	if d.rtxPayloadType != 0 {
		var err error
		out, err = rtp.AppendRTX(d.scratch[:0], pkt, d.rtxSSRC, d.rtxPayloadType, uint16(d.downlink.rtxSeq.Add(1)))
		if err != nil {
			d.counters.dropMalformed.Add(1)
			return
		}
	} else {
		out = d.scratch[:copy(d.scratch, pkt)]
	}
	d.ext.stampAbsSendTime(out, rtp.AbsSendTime(now))
	d.resendBytes -= len(out)
	slot.resentAt = now
	if err := d.downlink.sess.WriteRTP(out); err != nil {
		d.counters.dropWriteFailed.Add(1)
		return
	}
	d.counters.retransmissions.Add(1)
	d.counters.packetsOut.Add(1)
	d.counters.bytesOut.Add(uint64(len(out)))
}
