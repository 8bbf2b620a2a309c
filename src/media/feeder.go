package media

import (
	"log/slog"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
)

// requestQueue is how many retransmission requests from receivers wait for a feeder's goroutine.
const requestQueue = 512

// retransmitRequest is a receiver's NACK for one packet, served by the goroutine that owns the downtrack's history.
type retransmitRequest struct {
	d   *downtrack
	seq uint16
}

// feeder is the goroutine that drives one or more sources: a publisher session's inbound goroutine for its tracks,
// later a transcoder's output for its tier. It gives the sources their packets, and it alone touches the downtracks
// they feed (send histories, rewriters, SR counters), so none of that takes a lock. Retransmission requests come from
// the receivers' goroutines: they are queued (bounded) and served before the feeder's next packet. Once a second
// the feeder sends the SRs of those downtracks.
type feeder struct {
	fwd      *forwarder
	log      *slog.Logger
	sources  []*source
	requests chan retransmitRequest

	// State of the feeder's goroutine.
	out  []byte
	srs  []rtcp.SenderReport
	sdes rtcp.SourceDescription
}

func newFeeder(fw *forwarder, log *slog.Logger) *feeder {
	return &feeder{
		fwd:      fw,
		log:      log,
		requests: make(chan retransmitRequest, requestQueue),
		out:      make([]byte, 0, sendBufferSize),
		srs:      make([]rtcp.SenderReport, 2),
		sdes:     rtcp.SourceDescription{Chunks: make([]rtcp.SourceDescriptionChunk, 0, 2)},
	}
}

// newSource adds a source driven by the feeder; sources are made before the feeder's goroutine runs.
func (f *feeder) newSource(p sourceParams) *source {
	s := &source{feeder: f, origin: p.origin, kind: p.kind, codec: p.codec, keyframe: p.keyframe}
	s.downtracks.Store(&[]*downtrack{})
	f.sources = append(f.sources, s)
	return s
}

// requestRetransmission queues a receiver's NACK for the feeder's goroutine; safe from any goroutine, it never
// blocks.
func (f *feeder) requestRetransmission(d *downtrack, seq uint16) {
	select {
	case f.requests <- retransmitRequest{d: d, seq: seq}:
	default:
		f.fwd.counters.dropRequestQueueFull.Add(1)
	}
}

// serve resends the packets receivers asked for since the feeder's last packet.
func (f *feeder) serve(now time.Duration) {
	for {
		select {
		case r := <-f.requests:
			f.retransmit(r, now)
		default:
			return
		}
	}
}

// retransmit serves one request if the feeder feeds its downtrack, else passes it on to the feeder that does.
func (f *feeder) retransmit(req retransmitRequest, now time.Duration) {
	d := req.d
	if s := d.alone.Load(); s != nil {
		if s.feeder == f {
			d.retransmit(req.seq, now)
		} else {
			s.feeder.requestRetransmission(d, req.seq)
		}
		return
	}
	d.switchMu.Lock()
	defer d.switchMu.Unlock()
	if r := d.route.Load(); r.from.feeder == f {
		d.retransmit(req.seq, now)
	} else {
		r.from.feeder.requestRetransmission(d, req.seq)
	}
}

// report renews the retransmission budgets of the downtracks the feeder's sources feed, and sends each connected
// downlink an SR per stream it gets from them and one SDES with the publisher's CNAME, in one packet: a downlink's
// audio and video from one feeder share it, so that both SRs carry the same NTP time. A downtrack whose switch is
// pending waits for the next report.
func (f *feeder) report(now time.Duration, wall time.Time) {
	ntp := rtcp.NTPTime(wall)
	for _, s := range f.sources {
		for _, d := range *s.downtracks.Load() {
			if !d.fedBy(s) {
				continue
			}
			d.renewResends(now)
			if !d.downlink.connected.Load() {
				continue
			}
			var other *downtrack
			if p := d.partner; p != nil && f.feedsAlone(p) {
				if d.kind == sdp.KindVideo {
					continue // reported with its audio
				}
				other = p
			}
			f.sendSenderReports(d.downlink, ntp, now, d, other)
		}
	}
}

// feedsAlone reports whether one of the feeder's sources alone feeds d.
func (f *feeder) feedsAlone(d *downtrack) bool {
	s := d.alone.Load()
	return s != nil && s.feeder == f
}

// sendSenderReports sends dl an SR for each of a and b (b may be nil) that has sent something, and the SDES.
func (f *feeder) sendSenderReports(dl *downlink, ntp uint64, now time.Duration, a, b *downtrack) {
	srs := f.srs[:0]
	f.sdes.Chunks = f.sdes.Chunks[:0]
	for _, d := range [2]*downtrack{a, b} {
		if d == nil || !d.sent {
			continue
		}
		srs = append(srs, rtcp.SenderReport{SSRC: d.ssrc, NTPTime: ntp, RTPTime: d.rtpTimeAt(ntp, now),
			PacketCount: d.packets, OctetCount: d.octets})
		f.sdes.Chunks = append(f.sdes.Chunks, rtcp.SourceDescriptionChunk{SSRC: d.ssrc})
	}
	if len(srs) == 0 {
		return
	}
	out := f.out[:0]
	var err error
	for i := range srs {
		if out, err = srs[i].AppendTo(out); err != nil {
			break
		}
	}
	if err == nil {
		out, err = dl.appendSDES(out, &f.sdes)
	}
	if err != nil {
		f.log.Warn("sender report not built", "err", err)
		return
	}
	f.out = out
	_ = dl.sess.WriteRTCP(out)
}
