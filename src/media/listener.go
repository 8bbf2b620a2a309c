package media

import (
	"log/slog"

	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
)

// listener is the session through which one participant (the receiver) gets another's stream (the publisher's):
// one per (receiver, publisher) pair, as the Plane sees it: the offers made on it and their answers. Its media
// side, fed by the publisher's upstream, is its downlink.
type listener struct {
	plane     *Plane
	receiver  *participant
	publisher *participant
	sess      session
	down      *downlink
	log       *slog.Logger

	// Guarded by the Plane's lock.
	local   negotiate.Local
	kinds   []string     // the kinds of the offer's sections, in order: a renegotiation must keep them
	offer   *sdp.Session // the offer waiting for an answer, nil once answered
	offered *upstream    // the upstream the latest offer describes
	// remoteSet: the session has its remote transport, from the answer to its first offer.
	remoteSet bool
	// remoteUfrag is the browser's ICE ufrag: a renegotiation answered with another one comes from a new
	// connection.
	remoteUfrag string
}

func newListener(p *Plane, receiver, publisher *participant) *listener {
	return &listener{plane: p, receiver: receiver, publisher: publisher}
}

// tracks are the sections of an offer for up's stream: the publisher's codecs as negotiated, so that packets are
// forwarded unchanged but for the header, with the downlink's SSRCs and the publisher's CNAME and stream id.
func (l *listener) tracks(up *upstream) []negotiate.Track {
	d := l.down
	tracks := make([]negotiate.Track, 0, len(up.tracks))
	for _, t := range up.tracks {
		tr := negotiate.Track{Kind: t.kind, Codecs: []negotiate.Codec{t.codec}, CNAME: string(d.cname),
			StreamID: l.publisher.socketID, TrackID: t.kind}
		cfg := &l.plane.cfg
		tr.Feedback, tr.Extensions = cfg.listenerFeedback(t.kind), cfg.listenerExtensions(t.kind)
		if t.kind == sdp.KindVideo {
			tr.SSRC, tr.RTXSSRC = d.videoSSRC, d.rtxSSRC
		} else {
			tr.SSRC = d.audioSSRC
		}
		tracks = append(tracks, tr)
	}
	return tracks
}
