package media

import (
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp/codecs"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
)

// track is one stream a publisher sends (its audio or its video), as the server receives it. Everything but the
// SSRCs learnt from packets is fixed at construction; the mutable state belongs to the publisher's inbound
// goroutine.
type track struct {
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

	// The publisher's last SR: the RTP timestamp of its NTP instant, mapped onto the server's clock through the
	// upstream's clock offset, so that listeners' SRs keep audio and video in sync.
	srNTP uint64
	srRTP uint32
	hasSR bool
}

// newTrack builds the track of an accepted media section of the publisher's answer.
func newTrack(m negotiate.Media, keyframeInterval time.Duration) *track {
	t := &track{
		kind:       m.Kind,
		codec:      m.Codec,
		extensions: make(map[string]uint16, len(m.Extensions)),
		seq:        rtp.NewSequenceUnwrapper(),
		stats:      newReceiveStats(m.Codec.ClockRate),
		keyframes:  newKeyframeRequester(keyframeInterval),
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
	return t
}
