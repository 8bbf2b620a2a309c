package negotiate

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/heytribe/live-webrtcsignaling/src/sdp"
)

// listenerProtocol is the transport of every section the server offers.
const listenerProtocol = "UDP/TLS/RTP/SAVPF"

// OfferListener builds the server's offer for a downstream PeerConnection: one sendonly section per track (mids
// "0", "1"...), bundled, with deterministic payload types and header extension ids, the tracks' SSRCs (a FID group
// when RTXSSRC is set), their CNAME and msid, and the server's ICE-lite transport with setup:actpass. Read the
// browser's answer with ReadListenerAnswer.
func OfferListener(local Local, tracks []Track) (*sdp.Session, error) {
	if err := local.validate(); err != nil {
		return nil, err
	}
	if len(tracks) == 0 {
		return nil, fmt.Errorf("%w: no track to offer", ErrBadArgument)
	}
	for i, t := range tracks {
		if err := t.validate(); err != nil {
			return nil, fmt.Errorf("track %d: %w", i, err)
		}
	}
	ids, err := extensionIDs(tracks)
	if err != nil {
		return nil, err
	}
	s := local.session()
	bundle := sdp.Group{Semantics: "BUNDLE"}
	pts := payloadTypes{}
	for i, t := range tracks {
		mid := strconv.Itoa(i)
		m := local.media(t.Kind, listenerProtocol, mid, sdp.SetupActPass)
		m.Direction = sdp.DirectionSendOnly
		m.RTCPRsize = true
		m.MSIDs = []sdp.MSID{{StreamID: t.StreamID, TrackID: t.TrackID}}
		for _, uri := range t.Extensions {
			if !slices.ContainsFunc(m.ExtMaps, func(e sdp.ExtMap) bool { return e.URI == uri }) {
				m.ExtMaps = append(m.ExtMaps, sdp.ExtMap{ID: ids[uri], URI: uri})
			}
		}
		if err := t.addCodecs(m, pts); err != nil {
			return nil, err
		}
		t.addSSRCs(m)
		bundle.MIDs = append(bundle.MIDs, mid)
		s.Media = append(s.Media, m)
	}
	s.Groups = []sdp.Group{bundle}
	return s, nil
}

func (t Track) validate() error {
	switch {
	case t.Kind != sdp.KindAudio && t.Kind != sdp.KindVideo:
		return fmt.Errorf("%w: kind %q", ErrBadArgument, t.Kind)
	case len(t.Codecs) == 0:
		return fmt.Errorf("%w: no codec", ErrBadArgument)
	case t.SSRC == 0 || t.RTXSSRC == t.SSRC:
		return fmt.Errorf("%w: SSRC %d, RTX SSRC %d", ErrBadArgument, t.SSRC, t.RTXSSRC)
	case !isWord(t.CNAME) || !isWord(t.StreamID) || !isWord(t.TrackID):
		return fmt.Errorf("%w: CNAME, StreamID and TrackID must be non-empty words", ErrBadArgument)
	}
	for _, c := range t.Codecs {
		if c.Name == "" || c.ClockRate == 0 || !isWord(c.Name) {
			return fmt.Errorf("%w: codec %+v needs a name and a clock rate", ErrBadArgument, c)
		}
	}
	return nil
}

// isWord: non-empty, visible ASCII without spaces, so that it stays one field of its SDP line.
func isWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// extensionIDs gives each header extension URI one id for the whole offer (BUNDLE requires it), from 1 in order
// of first use.
func extensionIDs(tracks []Track) (map[string]uint16, error) {
	ids := map[string]uint16{}
	for _, t := range tracks {
		for _, uri := range t.Extensions {
			if _, ok := ids[uri]; ok {
				continue
			}
			if len(ids) == maxOneByteExtensions {
				return nil, fmt.Errorf("%w: more than %d header extensions", ErrBadArgument, maxOneByteExtensions)
			}
			if !isWord(uri) {
				return nil, fmt.Errorf("%w: header extension %q", ErrBadArgument, uri)
			}
			ids[uri] = uint16(len(ids) + 1)
		}
	}
	return ids, nil
}

// payloadTypes hands out payload types unique in the whole offer (BUNDLE forbids reusing one across sections).
type payloadTypes map[uint8]bool

// take returns hint when it is dynamic (35-63 or 96-127, the ranges browsers use) and free, otherwise the first
// free one from 96 to 127, then from 35 to 63.
func (p payloadTypes) take(hint uint8) (uint8, error) {
	dynamic := func(pt uint8) bool { return pt >= 96 && pt <= 127 || pt >= 35 && pt <= 63 }
	if dynamic(hint) && !p[hint] {
		p[hint] = true
		return hint, nil
	}
	for _, r := range [][2]uint8{{96, 127}, {35, 63}} {
		for pt := r[0]; pt <= r[1]; pt++ {
			if !p[pt] {
				p[pt] = true
				return pt, nil
			}
		}
	}
	return 0, fmt.Errorf("%w: no payload type left", ErrBadArgument)
}

func (t Track) addCodecs(m *sdp.Media, pts payloadTypes) error {
	for _, c := range t.Codecs {
		pt, err := pts.take(c.PayloadType)
		if err != nil {
			return err
		}
		codec := c.Codec
		codec.PayloadType, codec.Feedback = pt, t.Feedback
		m.AddCodec(codec)
		if t.RTXSSRC == 0 {
			continue
		}
		rtxPT, err := pts.take(c.RTXPayloadType)
		if err != nil {
			return err
		}
		m.AddCodec(sdp.Codec{PayloadType: rtxPT, Name: "rtx", ClockRate: c.ClockRate, Fmtp: "apt=" + strconv.Itoa(int(pt))})
	}
	return nil
}

func (t Track) addSSRCs(m *sdp.Media) {
	ssrcs := []uint32{t.SSRC}
	if t.RTXSSRC != 0 {
		ssrcs = append(ssrcs, t.RTXSSRC)
		m.SSRCGroups = []sdp.SSRCGroup{{Semantics: "FID", SSRCs: ssrcs}}
	}
	for _, ssrc := range ssrcs {
		m.SSRCs = append(m.SSRCs,
			sdp.SSRCAttribute{SSRC: ssrc, Name: "cname", Value: t.CNAME},
			sdp.SSRCAttribute{SSRC: ssrc, Name: "msid", Value: t.StreamID + " " + t.TrackID})
	}
}
