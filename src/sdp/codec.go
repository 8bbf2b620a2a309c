package sdp

import (
	"slices"
	"strconv"
	"strings"
)

// Codec is one payload type of an RTP media section as its rtpmap, fmtp and rtcp-fb lines describe it together.
type Codec struct {
	PayloadType uint8
	Name        string // as written, e.g. opus, VP8, H264, rtx
	ClockRate   uint32
	Channels    uint16 // 0 when the rtpmap has none
	Fmtp        string // the fmtp value, "" when none
	Feedback    []Feedback
}

// Param returns the value of a format parameter (names compare regardless of case).
func (c Codec) Param(name string) (string, bool) { return lookupParam(ParseFmtpParams(c.Fmtp), name) }

// HasFeedback tells whether the codec has that RTCP feedback.
func (c Codec) HasFeedback(f Feedback) bool { return slices.Contains(c.Feedback, f) }

// staticPayloadTypes are the RFC 3551 payload types a section may list without an rtpmap.
var staticPayloadTypes = map[uint8]RTPMap{
	0:  {Name: "PCMU", ClockRate: 8000, Channels: 1},
	3:  {Name: "GSM", ClockRate: 8000, Channels: 1},
	4:  {Name: "G723", ClockRate: 8000, Channels: 1},
	8:  {Name: "PCMA", ClockRate: 8000, Channels: 1},
	9:  {Name: "G722", ClockRate: 8000, Channels: 1},
	13: {Name: "CN", ClockRate: 8000, Channels: 1},
	18: {Name: "G729", ClockRate: 8000, Channels: 1},
	26: {Name: "JPEG", ClockRate: 90000},
	31: {Name: "H261", ClockRate: 90000},
	34: {Name: "H263", ClockRate: 90000},
}

// Codecs returns the codecs of the section in the order of the m= line (the offerer's preference). A payload type
// without rtpmap is included only when it is a static one (e.g. 0 for PCMU). Wildcard rtcp-fb lines are added to
// every codec's feedback. A non-RTP section has no codecs.
func (m *Media) Codecs() []Codec {
	var codecs []Codec
	for _, pt := range m.PayloadTypes() {
		if c, ok := m.Codec(pt); ok {
			codecs = append(codecs, c)
		}
	}
	return codecs
}

// Codec returns the codec of one payload type of the section.
func (m *Media) Codec(pt uint8) (Codec, bool) {
	c := Codec{PayloadType: pt}
	if i := slices.IndexFunc(m.RTPMaps, func(r RTPMap) bool { return r.PayloadType == pt }); i >= 0 {
		c.Name, c.ClockRate, c.Channels = m.RTPMaps[i].Name, m.RTPMaps[i].ClockRate, m.RTPMaps[i].Channels
	} else if r, ok := staticPayloadTypes[pt]; ok {
		c.Name, c.ClockRate, c.Channels = r.Name, r.ClockRate, r.Channels
	} else {
		return Codec{}, false
	}
	if i := slices.IndexFunc(m.Fmtps, func(f Fmtp) bool { return f.PayloadType == pt }); i >= 0 {
		c.Fmtp = m.Fmtps[i].Value
	}
	for _, fb := range m.RTCPFeedback {
		if (fb.Wildcard || fb.PayloadType == pt) && !slices.Contains(c.Feedback, fb.Feedback) {
			c.Feedback = append(c.Feedback, fb.Feedback)
		}
	}
	return c, true
}

// AddCodec appends the codec to the m= line with its rtpmap, fmtp (when not empty) and rtcp-fb lines.
func (m *Media) AddCodec(c Codec) {
	m.Formats = append(m.Formats, strconv.Itoa(int(c.PayloadType)))
	m.RTPMaps = append(m.RTPMaps, RTPMap{PayloadType: c.PayloadType, Name: c.Name, ClockRate: c.ClockRate,
		Channels: c.Channels})
	if c.Fmtp != "" {
		m.Fmtps = append(m.Fmtps, Fmtp{PayloadType: c.PayloadType, Value: c.Fmtp})
	}
	for _, f := range c.Feedback {
		m.RTCPFeedback = append(m.RTCPFeedback, RTCPFeedback{PayloadType: c.PayloadType, Feedback: f})
	}
}

// IsRTX tells whether the codec is an RTX retransmission format (RFC 4588).
func (c Codec) IsRTX() bool { return strings.EqualFold(c.Name, "rtx") }
