package media

import (
	"log/slog"
	"strings"

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
// forwarded unchanged but for the header, with the downlink's SSRCs and the publisher's CNAME and stream id. When
// the server transcodes the publisher's video, the other codecs it can encode follow the publisher's: a receiver
// that answers one of them gets a tier in it.
func (l *listener) tracks(up *upstream) []negotiate.Track {
	d := l.down
	tracks := make([]negotiate.Track, 0, len(up.tracks))
	for _, t := range up.tracks {
		tr := negotiate.Track{Kind: t.kind, Codecs: []negotiate.Codec{t.codec}, CNAME: string(d.cname),
			StreamID: l.publisher.socketID, TrackID: t.kind}
		cfg := &l.plane.cfg
		tr.Feedback, tr.Extensions = cfg.listenerFeedback(t.kind), cfg.listenerExtensions(t.kind)
		if t.tiers != nil {
			tr.Codecs = append(tr.Codecs, l.plane.translations(t.codec)...)
		}
		if t.kind == sdp.KindVideo {
			tr.SSRC, tr.RTXSSRC = d.videoSSRC, d.rtxSSRC
		} else {
			tr.SSRC = d.audioSSRC
		}
		tracks = append(tracks, tr)
	}
	return tracks
}

// translations are the video codecs a publisher's video can be transcoded into besides its own, in the order of
// Config.VideoCodecs.
func (p *Plane) translations(own negotiate.Codec) []negotiate.Codec {
	var out []negotiate.Codec
	for _, c := range p.prefs.Video {
		if !strings.EqualFold(c.Name, own.Name) && p.cfg.Transcoder.Encodes(c.Name) {
			out = append(out, negotiate.Codec{Codec: sdp.Codec{Name: c.Name, ClockRate: c.ClockRate, Fmtp: c.Fmtp}})
		}
	}
	return out
}
