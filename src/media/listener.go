package media

import (
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
	"github.com/heytribe/live-webrtcsignaling/src/webrtc"
)

// listener is the session through which one participant (the receiver) gets another's stream (the publisher's):
// one per (receiver, publisher) pair. Its SSRCs are its own and stay for its whole life, so a renegotiation
// (the publisher publishing again) goes on as one continuous stream. Its inbound goroutine handles the receiver's
// RTCP: NACKs become retransmission requests for the publisher's goroutine, PLI and FIR become throttled keyframe
// requests, RR gives the RTT and REMB the receiver's bandwidth estimate.
type listener struct {
	plane     *Plane
	receiver  *participant
	publisher *participant
	sess      session
	log       *slog.Logger

	audioSSRC, videoSSRC, rtxSSRC uint32
	cname                         []byte

	connected atomic.Bool
	flowing   atomic.Bool
	feed      atomic.Pointer[feed]
	// remb is the receiver's latest bandwidth estimate in bit/s, rembAt the monotonic time it came.
	remb   atomic.Uint64
	rembAt atomic.Int64
	// closeReason is set when the server closes the session: no failure to report then.
	closeReason atomic.Pointer[string]

	// Guarded by the Plane's lock.
	local     negotiate.Local
	kinds     []string     // the kinds of the offer's sections, in order: a renegotiation must keep them
	offer     *sdp.Session // the offer waiting for an answer, nil once answered
	source    *upstream    // the upstream the latest offer describes
	remoteSet bool
	// remoteUfrag is the browser's ICE ufrag: a renegotiation answered with another one comes from a new
	// connection.
	remoteUfrag string

	// State of the inbound goroutine.
	reader rtcp.Reader
	rr     rtcp.ReceiverReport
	nack   rtcp.NACK
	rembIn rtcp.REMB
	lost   []uint16
}

func newListener(p *Plane, receiver, publisher *participant) *listener {
	return &listener{
		plane:     p,
		receiver:  receiver,
		publisher: publisher,
		audioSSRC: randomSSRC(),
		videoSSRC: randomSSRC(),
		rtxSSRC:   randomSSRC(),
		cname:     []byte(publisher.cname),
		lost:      make([]uint16, 0, 17*16),
	}
}

// markFlowing reports the stream up once, at its first packet after the session connected.
func (l *listener) markFlowing() {
	if !l.flowing.Load() && l.flowing.CompareAndSwap(false, true) {
		l.plane.listenerFlowing(l)
	}
}

// estimate returns the receiver's bandwidth estimate if it is fresh at now.
func (l *listener) estimate(now, maxAge time.Duration) (uint64, bool) {
	at := l.rembAt.Load()
	if at == 0 || now-time.Duration(at) > maxAge {
		return 0, false
	}
	return l.remb.Load(), true
}

// appendSDES appends the SDES with the publisher's CNAME for every chunk of sd.
func (l *listener) appendSDES(b []byte, sd *rtcp.SourceDescription) ([]byte, error) {
	for i := range sd.Chunks {
		sd.Chunks[i].CNAME = l.cname
	}
	return sd.AppendTo(b)
}

// onState records the session's progress: once connected, the publisher is asked for a keyframe so that the
// listener can start; the Plane handles the end.
func (l *listener) onState(state webrtc.State, reason webrtc.Reason) {
	if state.Final() {
		l.plane.post(func() { l.plane.listenerEnded(l, state, reason) })
		return
	}
	if state == webrtc.StateConnected {
		l.connected.Store(true)
		if f := l.feed.Load(); f != nil {
			f.upstream().requestKeyframe(monotonic())
		}
	}
}

// onRTP drops what a receiver sends: a listener session only sends media.
func (l *listener) onRTP([]byte, time.Duration) {
	l.plane.counters.dropUnknownStream.Add(1)
}

// onRTCP handles the receiver's feedback.
func (l *listener) onRTCP(pkt []byte, now time.Duration) {
	c := &l.plane.counters
	f := l.feed.Load()
	l.reader.Reset(pkt, rtcp.ReducedSize)
	for l.reader.Next() {
		var err error
		switch l.reader.Kind() {
		case rtcp.KindReceiverReport:
			if err = l.rr.Unmarshal(l.reader.Packet()); err == nil {
				l.receiverReport(l.rr.Reports)
			}
		case rtcp.KindNACK:
			if err = l.nack.Unmarshal(l.reader.Packet()); err == nil && f != nil {
				l.nacked(f)
			}
		case rtcp.KindPLI, rtcp.KindFIR:
			c.keyframeRequestsIn.Add(1)
			if f != nil {
				f.upstream().requestKeyframe(now)
			}
		case rtcp.KindREMB:
			if err = l.rembIn.Unmarshal(l.reader.Packet()); err == nil {
				c.rembsIn.Add(1)
				l.remb.Store(l.rembIn.Bitrate)
				l.rembAt.Store(int64(now))
			}
		}
		if err != nil {
			c.dropRTCPMalformed.Add(1)
		}
	}
	if l.reader.Err() != nil {
		c.dropRTCPMalformed.Add(1)
	}
}

// receiverReport takes the RTT from the blocks about the listener's streams. It is the receiver's path RTT, which
// its own upstream uses to pace its NACKs (the server, ICE-lite, sends no checks to measure it).
func (l *listener) receiverReport(blocks []rtcp.ReportBlock) {
	wall := time.Now()
	for _, b := range blocks {
		if b.SSRC != l.audioSSRC && b.SSRC != l.videoSSRC {
			continue
		}
		if rtt, ok := b.RoundTripTime(wall); ok {
			l.receiver.rtt.Store(int64(rtt))
		}
	}
}

// nacked queues a retransmission request per packet the receiver asked for.
func (l *listener) nacked(f *feed) {
	var d *downtrack
	switch l.nack.MediaSSRC {
	case l.videoSSRC:
		d = f.video
	case l.audioSSRC:
		d = f.audio
	}
	if d == nil {
		return
	}
	l.lost = l.nack.AppendLost(l.lost[:0])
	l.plane.counters.nacksIn.Add(uint64(len(l.lost)))
	up := f.upstream()
	for _, seq := range l.lost {
		up.requestRetransmission(d, seq)
	}
}

// close ends the session for reason, with an RTCP BYE for its streams first.
func (l *listener) close(reason string) {
	if !l.closeReason.CompareAndSwap(nil, &reason) {
		return
	}
	if b, err := goodbye(l.videoSSRC, string(l.cname), reason, l.audioSSRC, l.videoSSRC); err == nil {
		_ = l.sess.WriteRTCP(b)
	}
	l.sess.Close()
}

// tracks are the sections of an offer for up's stream: the publisher's codecs as negotiated, so that packets are
// forwarded unchanged but for the header, with the listener's SSRCs and the publisher's CNAME and stream id.
func (l *listener) tracks(up *upstream) []negotiate.Track {
	tracks := make([]negotiate.Track, 0, len(up.tracks))
	for _, t := range up.tracks {
		tr := negotiate.Track{Kind: t.kind, Codecs: []negotiate.Codec{t.codec}, CNAME: string(l.cname),
			StreamID: l.publisher.socketID, TrackID: t.kind}
		if t.kind == sdp.KindVideo {
			tr.SSRC, tr.RTXSSRC = l.videoSSRC, l.rtxSSRC
			tr.Feedback, tr.Extensions = feedback, listenerVideoExt
		} else {
			tr.SSRC, tr.Extensions = l.audioSSRC, listenerAudioExt
		}
		tracks = append(tracks, tr)
	}
	return tracks
}

// newFeed builds the downtracks of l from the receiver's answer to an offer made by tracks(up).
func (p *Plane) newFeed(l *listener, up *upstream, result *negotiate.Result) (*feed, error) {
	if len(result.Media) != len(up.tracks) {
		return nil, fmt.Errorf("media: answer has %d sections for %d tracks", len(result.Media), len(up.tracks))
	}
	f := &feed{up: up, listener: l}
	for i, m := range result.Media {
		t := up.tracks[i]
		if m.Rejected {
			continue
		}
		if m.Kind != t.kind {
			return nil, fmt.Errorf("media: answer section %d is %s, the offer's is %s", i, m.Kind, t.kind)
		}
		params := downtrackParams{
			ssrc:        l.audioSSRC,
			payloadType: m.Codec.PayloadType,
			ext:         newExtensionMap(t.extensions, m.Extensions),
			nack:        m.Codec.HasFeedback(sdp.FeedbackNACK),
		}
		if t.kind == sdp.KindVideo {
			params.ssrc, params.rtxSSRC, params.rtxPayloadType = l.videoSSRC, l.rtxSSRC, m.Codec.RTXPayloadType
		}
		d, err := newDowntrack(l, t, &p.counters, params)
		if err != nil {
			return nil, err
		}
		if t.kind == sdp.KindVideo {
			f.video = d
		} else {
			f.audio = d
		}
	}
	return f, nil
}
