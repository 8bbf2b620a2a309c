package media

import (
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp/codecs"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
)

// track is one stream a publisher sends (its audio or its video), as the server receives it, and the source that
// forwards it to downtracks: the track is its origin. Everything but the SSRCs learnt from packets is fixed at
// construction; the mutable state belongs to the publisher's inbound goroutine, the source's feeder.
type track struct {
	up    *upstream
	src   *source
	kind  string
	codec negotiate.Codec
	// ssrc and rtxSSRC come from the SDP, or are learnt from the first packet of the track's payload type when
	// the SDP did not say (a browser that only signals mids).
	ssrc, rtxSSRC atomic.Uint32
	// keyframe tells whether a payload starts a keyframe; nil for audio.
	keyframe func(payload []byte) bool
	// extensions are the publisher's header extension ids by URI.
	extensions map[string]uint16

	seq   *rtp.SequenceUnwrapper
	stats *receiveStats
	// nack recovers lost packets; nil when the publisher did not negotiate NACK.
	nack *nackGenerator
	// keyframes throttles the requests for a keyframe sent to the publisher.
	keyframes *keyframeRequester
	// tiers transcodes the track's video; nil when transcoding is off, for audio, or a codec it cannot decode.
	tiers *trackTiers

	// clock is the publisher's last SR for the track, mapped onto the server's clock (nil before the first): the
	// receivers' SRs take their RTP time from it, so that audio and video keep the publisher's relative timing.
	// Written by the publisher's goroutine, read by the feeders of the track's tiers too.
	clock atomic.Pointer[srClock]
}

// srClock maps the server's NTP time onto a track's RTP clock: at the server's NTP time ntp (the publisher's SR's
// NTP time plus the upstream's clock offset) the track's RTP time was rtp.
type srClock struct {
	ntp  uint64
	rtp  uint32
	rate uint32
}

// at is the track's RTP time at the server's NTP time ntp.
func (c *srClock) at(ntp uint64) uint32 {
	return c.rtp + ntpTicks(int64(ntp-c.ntp), c.rate)
}

// newTrack builds the track of an accepted media section of the publisher's answer, and its source.
func newTrack(u *upstream, m negotiate.Media) *track {
	t := &track{
		up:         u,
		kind:       m.Kind,
		codec:      m.Codec,
		extensions: make(map[string]uint16, len(m.Extensions)),
		seq:        rtp.NewSequenceUnwrapper(),
		stats:      newReceiveStats(m.Codec.ClockRate),
		keyframes:  newKeyframeRequester(u.fwd.keyframeInterval),
	}
	if len(m.Streams) > 0 {
		t.ssrc.Store(m.Streams[0].SSRC)
		t.rtxSSRC.Store(m.Streams[0].RTXSSRC)
	}
	for _, e := range m.Extensions {
		t.extensions[e.URI] = e.ID
	}
	if m.Kind == sdp.KindVideo {
		if detect, ok := codecs.KeyframeDetector(m.Codec.Name); ok {
			t.keyframe = detect
		}
	}
	if m.Codec.HasFeedback(sdp.FeedbackNACK) {
		t.nack = newNACKGenerator()
	}
	t.src = u.feeder.newSource(sourceParams{kind: t.kind, codec: t.codec, keyframe: t.keyframe, origin: t})
	if tc := u.fwd.tc; tc != nil && m.Kind == sdp.KindVideo && tc.tc.Decodes(m.Codec.Name) {
		t.tiers = tc.add(t)
	}
	return t
}

// requestKeyframe asks the publisher for a keyframe of the track: of its video, throttled.
func (t *track) requestKeyframe(now time.Duration) {
	if t.kind == sdp.KindVideo {
		t.up.requestKeyframe(now)
	}
}

// rtpTimeAt maps the server's NTP time onto the track's RTP clock through the publisher's last SR and the
// upstream's clock offset, so that the audio and video of one publisher keep their relative timing.
func (t *track) rtpTimeAt(ntp uint64) (uint32, bool) {
	c := t.clock.Load()
	if c == nil {
		return 0, false
	}
	return c.at(ntp), true
}
