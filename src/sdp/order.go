package sdp

import (
	"slices"
)

// codecLineOrder is the canonical order of the payload types that have codec lines (rtpmap, fmtp, rtcp-fb): the
// order of the m= line, then the payload types missing from it, by number.
func codecLineOrder(m *Media) []uint8 {
	order := m.PayloadTypes()
	var missing []uint8
	add := func(pt uint8) {
		if !slices.Contains(order, pt) && !slices.Contains(missing, pt) {
			missing = append(missing, pt)
		}
	}
	for _, r := range m.RTPMaps {
		add(r.PayloadType)
	}
	for _, f := range m.Fmtps {
		add(f.PayloadType)
	}
	for _, fb := range m.RTCPFeedback {
		if !fb.Wildcard {
			add(fb.PayloadType)
		}
	}
	slices.Sort(missing)
	return append(order, missing...)
}

// sortCodecLines orders RTPMaps, Fmtps and RTCPFeedback as Marshal writes them, so that a parsed section and the
// same section parsed again after Marshal are equal whatever order the original document used.
func sortCodecLines(m *Media) {
	order := codecLineOrder(m)
	rank := func(pt uint8) int { return slices.Index(order, pt) }
	slices.SortStableFunc(m.RTPMaps, func(a, b RTPMap) int { return rank(a.PayloadType) - rank(b.PayloadType) })
	slices.SortStableFunc(m.Fmtps, func(a, b Fmtp) int { return rank(a.PayloadType) - rank(b.PayloadType) })
	slices.SortStableFunc(m.RTCPFeedback, func(a, b RTCPFeedback) int {
		return feedbackRank(a, rank) - feedbackRank(b, rank)
	})
}

func feedbackRank(fb RTCPFeedback, rank func(uint8) int) int {
	if fb.Wildcard {
		return -1
	}
	return rank(fb.PayloadType)
}
