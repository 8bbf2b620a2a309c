package negotiate

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/heytribe/live-webrtcsignaling/src/sdp"
)

// AnswerPublisher answers a publisher's offer for its upstream PeerConnection: the server receives one audio and
// one video section, bundled, and rejects every other section with port 0. It returns the answer to send and what
// the media plane needs to receive; the answer is written with sdp's Marshal.
func AnswerPublisher(offer *sdp.Session, local Local, prefs Preferences) (*sdp.Session, *Result, error) {
	if offer == nil {
		return nil, nil, fmt.Errorf("%w: nil offer", ErrBadArgument)
	}
	if err := local.validate(); err != nil {
		return nil, nil, err
	}
	if err := errors.Join(validateCodecs("audio", prefs.Audio), validateCodecs("video", prefs.Video)); err != nil {
		return nil, nil, err
	}
	a := &publisherAnswer{offer: offer, prefs: prefs, bundle: offer.Group("BUNDLE"), accepted: map[string]bool{}}
	result := &Result{Media: make([]Media, len(offer.Media))}
	for i, m := range offer.Media {
		if m == nil {
			return nil, nil, fmt.Errorf("%w: offer media section %d is nil", ErrBadArgument, i)
		}
		result.Media[i] = a.negotiate(i, m)
	}
	if a.anchor == nil {
		return nil, nil, fmt.Errorf("%w: %s", ErrNoMedia, reasons(result.Media))
	}
	remote, err := remoteTransport(offer, a.anchor)
	if err != nil {
		return nil, nil, err
	}
	setup, err := answerSetup(remote.Setup)
	if err != nil {
		return nil, nil, err
	}
	result.Remote = remote
	return a.write(local, result, setup), result, nil
}

// answerSetup is the server's a=setup for an offer's: passive (the server is the DTLS server) unless the offer
// is passive itself, which leaves the server the DTLS client (active). An offer without a=setup is taken as
// active (RFC 4145); holdconn, a connection not to be made yet, has no place in WebRTC.
func answerSetup(offered sdp.Setup) (sdp.Setup, error) {
	switch offered {
	case sdp.SetupActPass, sdp.SetupActive, "":
		return sdp.SetupPassive, nil
	case sdp.SetupPassive:
		return sdp.SetupActive, nil
	default:
		return "", fmt.Errorf("%w: the offer takes DTLS setup %q, want actpass, active or passive", ErrTransport,
			offered)
	}
}

// publisherAnswer walks the offer's sections in order, accepting the first usable one of each kind.
type publisherAnswer struct {
	offer    *sdp.Session
	prefs    Preferences
	bundle   *sdp.Group
	accepted map[string]bool // kinds already accepted
	anchor   *sdp.Media      // first accepted section: its transport is the one BUNDLE uses
}

// negotiate decides one section: accepted with its codec, or rejected with a reason.
func (a *publisherAnswer) negotiate(i int, m *sdp.Media) Media {
	out := Media{Index: i, Kind: m.Kind, MID: m.MID}
	prefs := a.prefs.Audio
	if m.Kind == sdp.KindVideo {
		prefs = a.prefs.Video
	}
	offered := m.Codecs()
	codec, found := chooseCodec(prefs, offered)
	if out.Reason = a.rejection(m, len(prefs) > 0, found, offered); out.Reason != "" {
		out.Rejected = true
		return out
	}
	a.accepted[m.Kind] = true
	if a.anchor == nil {
		a.anchor = m
	}
	out.Direction = sdp.DirectionRecvOnly
	out.Codec = Codec{Codec: codec}
	out.Codec.Feedback = intersect(a.prefs.Feedback, codec.Feedback)
	if rtx, ok := rtxFor(offered, codec.PayloadType); ok {
		out.Codec.RTXPayloadType = rtx.PayloadType
	}
	out.Extensions = a.extensions(m)
	out.RTCPReducedSize = m.RTCPRsize
	out.Streams = streams(m)
	for _, r := range m.RIDs {
		if r.Direction == "send" {
			out.RIDs = append(out.RIDs, r)
		}
	}
	return out
}

// rejection tells why a section cannot be accepted, "" when it can.
func (a *publisherAnswer) rejection(m *sdp.Media, takesKind, codecFound bool, offered []sdp.Codec) string {
	direction := m.Direction
	if direction == "" {
		direction = a.offer.Direction
	}
	switch {
	case m.Rejected():
		return "rejected in the offer"
	case m.Kind != sdp.KindAudio && m.Kind != sdp.KindVideo:
		return fmt.Sprintf("%s sections are not supported", m.Kind)
	case !strings.HasSuffix(strings.ToUpper(m.Protocol), "RTP/SAVPF"):
		return fmt.Sprintf("transport %s is not supported", m.Protocol)
	case !direction.Sends():
		return fmt.Sprintf("the offer does not send (%s)", direction)
	case !m.RTCPMux:
		return "rtcp-mux is required"
	case m.MID == "":
		return "a mid is required"
	case !takesKind:
		return fmt.Sprintf("the server takes no %s", m.Kind)
	case a.accepted[m.Kind]:
		return fmt.Sprintf("only one %s section per connection", m.Kind)
	case a.anchor != nil && !(a.bundle.Has(a.anchor.MID) && a.bundle.Has(m.MID)):
		return fmt.Sprintf("not bundled with mid %s", a.anchor.MID)
	case !codecFound:
		return fmt.Sprintf("no codec in common (offered %s)", codecNames(offered))
	}
	return ""
}

// extensions keeps the offered header extensions the server reads, with the offered ids (1 to 14: the answer does
// not allow two-byte headers), that the offerer may send.
func (a *publisherAnswer) extensions(m *sdp.Media) []sdp.ExtMap {
	var out []sdp.ExtMap
	for _, e := range append(append([]sdp.ExtMap(nil), a.offer.ExtMaps...), m.ExtMaps...) {
		usable := e.ID <= maxOneByteExtensions && e.Direction.Sends()
		taken := slices.ContainsFunc(out, func(o sdp.ExtMap) bool { return o.URI == e.URI || o.ID == e.ID })
		if !usable || taken || !slices.Contains(a.prefs.Extensions, e.URI) {
			continue
		}
		answer := sdp.ExtMap{ID: e.ID, URI: e.URI}
		if e.Direction != "" {
			answer.Direction = sdp.DirectionRecvOnly
		}
		out = append(out, answer)
	}
	return out
}

// write builds the answer: accepted sections with the server's transport and setup, recvonly, the chosen codec
// and its RTX; rejected ones with port 0 and their mid.
func (a *publisherAnswer) write(local Local, result *Result, setup sdp.Setup) *sdp.Session {
	s := local.session()
	bundle := sdp.Group{Semantics: "BUNDLE"}
	for i, m := range a.offer.Media {
		r := result.Media[i]
		if r.Rejected {
			s.Media = append(s.Media, rejectedSection(local, m))
			continue
		}
		bundle.MIDs = append(bundle.MIDs, r.MID)
		out := local.media(m.Kind, m.Protocol, r.MID, setup)
		out.Direction = sdp.DirectionRecvOnly
		out.ExtMaps = r.Extensions
		out.RTCPRsize = r.RTCPReducedSize
		out.Bandwidths = a.bandwidths(m.Kind)
		out.AddCodec(r.Codec.Codec)
		if rtx, ok := m.Codec(r.Codec.RTXPayloadType); ok && r.Codec.RTXPayloadType != 0 {
			rtx.Feedback = nil // feedback is about the media, not its retransmissions
			out.AddCodec(rtx)
		}
		s.Media = append(s.Media, out)
	}
	if a.bundle != nil {
		s.Groups = []sdp.Group{bundle} // an answer may only bundle what the offer bundled (RFC 8843)
	}
	return s
}

// bandwidths returns the b= lines capping a section: TIAS (RFC 3890) in bits per second, and AS in kilobits per
// second for browsers that only read AS.
func (a *publisherAnswer) bandwidths(kind string) []sdp.Bandwidth {
	limit := a.prefs.AudioMaxBitrate
	if kind == sdp.KindVideo {
		limit = a.prefs.VideoMaxBitrate
	}
	if limit == 0 {
		return nil
	}
	return []sdp.Bandwidth{{Type: "TIAS", Value: limit}, {Type: "AS", Value: max(limit/1000, 1)}}
}

// rejectedSection answers a section with port 0 (RFC 3264 section 6), keeping its mid so that the browser can match
// it, and one of its formats since an m= line needs one.
func rejectedSection(local Local, m *sdp.Media) *sdp.Media {
	out := &sdp.Media{Kind: m.Kind, Protocol: m.Protocol, Connection: local.connection(), MID: m.MID}
	if len(m.Formats) > 0 {
		out.Formats = m.Formats[:1]
	}
	return out
}

func reasons(media []Media) string {
	var parts []string
	for _, m := range media {
		parts = append(parts, fmt.Sprintf("%s %q: %s", m.Kind, m.MID, m.Reason))
	}
	if len(parts) == 0 {
		return "the offer has no media section"
	}
	return strings.Join(parts, "; ")
}
