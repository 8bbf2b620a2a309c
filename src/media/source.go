package media

import (
	"slices"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
)

// source is a stream that downtracks receive: a publisher's track today, a transcoded tier later. It holds the
// downtracks it feeds (and those switching to it), a copy-on-write list read with one atomic load per packet, and
// gets its packets on one goroutine, its feeder's. What differs between kinds of source is behind origin: how a
// keyframe is asked for and how the source's RTP clock maps onto the server's.
type source struct {
	feeder *feeder
	origin origin
	kind   string
	// codec is what the source's packets carry: a downtrack forwards them under the payload type its receiver
	// negotiated for it, on the codec's clock.
	codec negotiate.Codec
	// keyframe tells whether a payload starts a keyframe; nil for audio.
	keyframe func(payload []byte) bool

	// downtracks is written under the forwarder's lock (add, remove). A downtrack is on the list of its route's
	// sources: the one that feeds it and, during a switch, the one it switches to.
	downtracks atomic.Pointer[[]*downtrack]
}

// origin is what makes a source's stream.
type origin interface {
	// requestKeyframe asks for a keyframe, throttled; safe from any goroutine.
	requestKeyframe(now time.Duration)
	// rtpTimeAt is the source's RTP time at the server's NTP time ntp, for the SRs of the downtracks it feeds; ok
	// is false while the source cannot tell. Called on the source's goroutine.
	rtpTimeAt(ntp uint64) (ts uint32, ok bool)
}

// sourceParams describe a source's stream.
type sourceParams struct {
	kind     string
	codec    negotiate.Codec
	keyframe func(payload []byte) bool
	origin   origin
}

// add and remove change the downtrack list; the forwarder's lock serialises them, and the feeder's goroutine reads
// a consistent snapshot.
func (s *source) add(d *downtrack) {
	old := *s.downtracks.Load()
	if slices.Contains(old, d) {
		return
	}
	next := make([]*downtrack, 0, len(old)+1)
	next = append(append(next, old...), d)
	s.downtracks.Store(&next)
}

func (s *source) remove(d *downtrack) {
	old := *s.downtracks.Load()
	if !slices.Contains(old, d) {
		return
	}
	next := make([]*downtrack, 0, len(old)-1)
	for _, e := range old {
		if e != d {
			next = append(next, e)
		}
	}
	s.downtracks.Store(&next)
}

// fanOut forwards one packet of the source to every connected downtrack it feeds: pkt as received, h its parsed
// header, payloadOffset where its payload starts, keyframe whether it starts one. While a downtrack waits for a
// keyframe (its start, or a switch to this source), the origin is asked again at every throttle interval: a browser
// ignores a request that comes within 300 ms of its last keyframe, which is what a receiver starting just after the
// publisher sends.
func (s *source) fanOut(pkt []byte, h *rtp.Header, payloadOffset int, keyframe bool, now time.Duration) {
	waiting := false
	for _, d := range *s.downtracks.Load() {
		if !d.downlink.connected.Load() {
			continue
		}
		if d.alone.Load() == s {
			d.forward(pkt, h, payloadOffset, keyframe, now)
			waiting = waiting || d.waitingKeyframe
		} else if s.forwardSwitching(d, d.route.Load(), pkt, h, payloadOffset, keyframe, now) {
			waiting = true
		}
	}
	if waiting {
		s.origin.requestKeyframe(now)
	}
}
