package negotiate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/heytribe/live-webrtcsignaling/src/sdp"
)

// codecMatches tells whether an offered codec is the codec a preference describes.
func codecMatches(want, offered sdp.Codec) bool {
	if !strings.EqualFold(want.Name, offered.Name) || want.ClockRate != offered.ClockRate {
		return false
	}
	if want.Channels != 0 && want.Channels != max(offered.Channels, 1) {
		return false
	}
	switch strings.ToUpper(want.Name) {
	case "H264":
		return h264Matches(want, offered)
	case "VP9":
		return param(want, "profile-id", "0") == param(offered, "profile-id", "0")
	case "AV1":
		return param(want, "profile", "0") == param(offered, "profile", "0")
	}
	return true
}

// h264Matches compares packetization-mode and the profile of profile-level-id, not the level, as RFC 6184 offers
// and answers do (the level only bounds resolution and bitrate).
func h264Matches(want, offered sdp.Codec) bool {
	if param(want, "packetization-mode", "0") != param(offered, "packetization-mode", "0") {
		return false
	}
	wantProfile, _, err := ParseH264ProfileLevelID(param(want, "profile-level-id", h264DefaultProfileLevelID))
	if err != nil {
		return false
	}
	offeredProfile, _, err := ParseH264ProfileLevelID(param(offered, "profile-level-id", h264DefaultProfileLevelID))
	return err == nil && wantProfile == offeredProfile
}

// param returns a format parameter, or def when the fmtp does not have it.
func param(c sdp.Codec, name, def string) string {
	if v, ok := c.Param(name); ok {
		return strings.ToLower(v)
	}
	return def
}

// chooseCodec returns the offered codec of the best preference, and among several offered codecs matching it the
// first in the m= line: the choice never depends on map order.
func chooseCodec(prefs []sdp.Codec, offered []sdp.Codec) (sdp.Codec, bool) {
	for _, want := range prefs {
		for _, c := range offered {
			if codecMatches(want, c) {
				return c, true
			}
		}
	}
	return sdp.Codec{}, false
}

// rtxFor returns the first RTX codec whose apt is pt.
func rtxFor(codecs []sdp.Codec, pt uint8) (sdp.Codec, bool) {
	for _, c := range codecs {
		if c.IsRTX() && param(c, "apt", "") == strconv.Itoa(int(pt)) {
			return c, true
		}
	}
	return sdp.Codec{}, false
}

func codecNames(codecs []sdp.Codec) string {
	var names []string
	for _, c := range codecs {
		if !c.IsRTX() && !slices.Contains(names, c.Name) {
			names = append(names, c.Name)
		}
	}
	return strings.Join(names, ", ")
}

func validateCodecs(kind string, codecs []sdp.Codec) error {
	for _, c := range codecs {
		if c.Name == "" || c.ClockRate == 0 {
			return fmt.Errorf("%w: %s codec %+v needs a name and a clock rate", ErrBadArgument, kind, c)
		}
	}
	return nil
}

// streams reads the remote RTP streams of a section: every SSRC that is not the repair stream of a group (second
// and later members of FID, FEC-FR...), each with its FID retransmission SSRC and its CNAME, in document order.
func streams(m *sdp.Media) []Stream {
	repair := map[uint32]bool{}
	rtx := map[uint32]uint32{}
	for _, g := range m.SSRCGroups {
		if strings.EqualFold(g.Semantics, "SIM") || len(g.SSRCs) < 2 {
			continue
		}
		for _, s := range g.SSRCs[1:] {
			repair[s] = true
		}
		if strings.EqualFold(g.Semantics, "FID") {
			rtx[g.SSRCs[0]] = g.SSRCs[1]
		}
	}
	var out []Stream
	seen := map[uint32]bool{}
	add := func(ssrc uint32) {
		if repair[ssrc] || seen[ssrc] {
			return
		}
		seen[ssrc] = true
		cname, _ := m.SSRCAttributeValue(ssrc, "cname")
		out = append(out, Stream{SSRC: ssrc, RTXSSRC: rtx[ssrc], CNAME: cname})
	}
	for _, a := range m.SSRCs {
		add(a.SSRC)
	}
	for _, g := range m.SSRCGroups {
		for _, s := range g.SSRCs {
			add(s)
		}
	}
	return out
}
