package negotiate

import (
	"fmt"
	"slices"

	"github.com/heytribe/live-webrtcsignaling/src/sdp"
)

// ReadListenerAnswer reads a browser's answer to an offer made by OfferListener: per section, the codec and RTX
// payload type the browser accepted, the feedback and header extensions both sides share; and the browser's ICE
// credentials, fingerprints and DTLS role. The offer's setup is actpass, so the browser chooses (RFC 5763 section
// 5): active (browsers' usual choice, the server is the DTLS server) or passive (pion's for an ICE-lite offerer:
// the server is the DTLS client); an answer without a=setup is taken as active, as RFC 4145 says.
func ReadListenerAnswer(offer, answer *sdp.Session) (*Result, error) {
	if offer == nil || answer == nil {
		return nil, fmt.Errorf("%w: nil offer or answer", ErrBadArgument)
	}
	if len(answer.Media) != len(offer.Media) {
		return nil, fmt.Errorf("%w: %d sections answer %d offered", ErrAnswerMismatch, len(answer.Media),
			len(offer.Media))
	}
	result := &Result{Media: make([]Media, len(offer.Media))}
	var anchor *sdp.Media
	for i, o := range offer.Media {
		a := answer.Media[i]
		if o == nil || a == nil {
			return nil, fmt.Errorf("%w: media section %d is nil", ErrBadArgument, i)
		}
		m, err := readAnswerSection(i, answer, o, a)
		if err != nil {
			return nil, err
		}
		if !m.Rejected && anchor == nil {
			anchor = a
		}
		result.Media[i] = m
	}
	if anchor == nil {
		return nil, fmt.Errorf("%w: the answer rejects every section", ErrNoMedia)
	}
	remote, err := remoteTransport(answer, anchor)
	if err != nil {
		return nil, err
	}
	switch remote.Setup {
	case sdp.SetupActive, sdp.SetupPassive, "":
	default:
		return nil, fmt.Errorf("%w: the answer takes DTLS setup %q, want active or passive", ErrTransport,
			remote.Setup)
	}
	result.Remote = remote
	return result, nil
}

func readAnswerSection(i int, answer *sdp.Session, o, a *sdp.Media) (Media, error) {
	if a.Kind != o.Kind || a.MID != o.MID {
		return Media{}, fmt.Errorf("%w: section %d is %s %q, offered %s %q", ErrAnswerMismatch, i, a.Kind, a.MID,
			o.Kind, o.MID)
	}
	m := Media{Index: i, Kind: o.Kind, MID: o.MID}
	if a.Rejected() {
		m.Rejected, m.Reason = true, "rejected in the answer"
		return m, nil
	}
	direction := a.Direction
	if direction == "" {
		direction = answer.Direction
	}
	switch direction {
	case sdp.DirectionRecvOnly:
		m.Direction = sdp.DirectionSendOnly
	case sdp.DirectionInactive:
		m.Direction = sdp.DirectionInactive
	default:
		return Media{}, fmt.Errorf("%w: section %q answers %q to a sendonly offer", ErrAnswerMismatch, o.MID,
			direction)
	}
	codec, err := acceptedCodec(o, a)
	if err != nil {
		return Media{}, err
	}
	m.Codec = codec
	for _, e := range a.ExtMaps {
		if _, offered := sdp.ExtMapID(o.ExtMaps, e.URI); offered {
			m.Extensions = append(m.Extensions, sdp.ExtMap{ID: e.ID, URI: e.URI})
		}
	}
	m.RTCPReducedSize = a.RTCPRsize && o.RTCPRsize
	m.Streams = streams(a)
	return m, nil
}

// acceptedCodec returns the first codec of the answer's m= line (its preference) that the offer has, with the RTX
// payload type whose apt points to it and the feedback both sides listed.
func acceptedCodec(o, a *sdp.Media) (Codec, error) {
	offered := o.Codecs()
	for _, c := range a.Codecs() {
		if c.IsRTX() {
			continue
		}
		mine, ok := o.Codec(c.PayloadType)
		if !ok || !codecMatches(sdp.Codec{Name: mine.Name, ClockRate: mine.ClockRate, Channels: mine.Channels,
			Fmtp: mine.Fmtp}, c) {
			return Codec{}, fmt.Errorf("%w: section %q answers payload type %d (%s) that the offer does not have",
				ErrAnswerMismatch, o.MID, c.PayloadType, c.Name)
		}
		out := Codec{Codec: c}
		out.Feedback = slices.DeleteFunc(slices.Clone(c.Feedback), func(f sdp.Feedback) bool {
			return !mine.HasFeedback(f)
		})
		if rtx, ok := rtxFor(a.Codecs(), c.PayloadType); ok {
			if _, offeredRTX := rtxFor(offered, c.PayloadType); offeredRTX {
				out.RTXPayloadType = rtx.PayloadType
			}
		}
		return out, nil
	}
	return Codec{}, fmt.Errorf("%w: section %q accepted without any codec", ErrAnswerMismatch, o.MID)
}
