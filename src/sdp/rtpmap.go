package sdp

import (
	"fmt"
	"strconv"
	"strings"
)

// RTPMap is a=rtpmap:<pt> <name>/<clock rate>[/<channels>].
type RTPMap struct {
	PayloadType uint8
	Name        string
	ClockRate   uint32
	Channels    uint16 // 0 when absent
}

func parseRTPMap(v string) (RTPMap, error) {
	pt, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return RTPMap{}, fmt.Errorf("rtpmap needs <pt> <encoding>/<clock rate>")
	}
	p, err := parsePayloadType(pt)
	if err != nil {
		return RTPMap{}, err
	}
	parts := strings.Split(strings.TrimSpace(rest), "/")
	if len(parts) < 2 || len(parts) > 3 || !isToken(parts[0]) {
		return RTPMap{}, fmt.Errorf("encoding %q: want <name>/<clock rate>[/<channels>]", rest)
	}
	rate, err := strconv.ParseUint(parts[1], 10, 32)
	if err != nil || rate == 0 {
		return RTPMap{}, fmt.Errorf("clock rate %q: not a positive 32-bit number", parts[1])
	}
	m := RTPMap{PayloadType: p, Name: parts[0], ClockRate: uint32(rate)}
	if len(parts) == 3 {
		ch, err := strconv.ParseUint(parts[2], 10, 16)
		if err != nil || ch == 0 {
			return RTPMap{}, fmt.Errorf("channels %q: not a positive 16-bit number", parts[2])
		}
		m.Channels = uint16(ch)
	}
	return m, nil
}

func (r RTPMap) value() string {
	v := fmt.Sprintf("%d %s/%d", r.PayloadType, r.Name, r.ClockRate)
	if r.Channels != 0 {
		v += "/" + strconv.Itoa(int(r.Channels))
	}
	return v
}

// Fmtp is a=fmtp:<pt> <format parameters>. Value is kept as written; Params splits it.
type Fmtp struct {
	PayloadType uint8
	Value       string
}

// Params returns the ";"-separated parameters of the fmtp, in order.
func (f Fmtp) Params() []Param { return ParseFmtpParams(f.Value) }

// ParseFmtpParams splits format parameters such as "minptime=10;useinbandfec=1" into Params, in order. It never
// fails: any character is accepted in names and values, empty items are skipped.
func ParseFmtpParams(s string) []Param { return parseParams(s, ";") }

func parseFmtp(v string) (Fmtp, error) {
	pt, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
	p, err := parsePayloadType(pt)
	if err != nil {
		return Fmtp{}, err
	}
	return Fmtp{PayloadType: p, Value: strings.TrimSpace(rest)}, nil
}

func (f Fmtp) value() string {
	if f.Value == "" {
		return strconv.Itoa(int(f.PayloadType))
	}
	return strconv.Itoa(int(f.PayloadType)) + " " + f.Value
}

// Feedback is an RTCP feedback type with its parameter, as written after the payload type of a=rtcp-fb, e.g.
// "nack pli". Words are separated by single spaces.
type Feedback string

// Feedback the MCU knows.
const (
	FeedbackNACK        Feedback = "nack"
	FeedbackPLI         Feedback = "nack pli"
	FeedbackFIR         Feedback = "ccm fir"
	FeedbackREMB        Feedback = "goog-remb"
	FeedbackTransportCC Feedback = "transport-cc"
)

// RTCPFeedback is a=rtcp-fb:<pt|*> <feedback>.
type RTCPFeedback struct {
	PayloadType uint8
	Wildcard    bool // "*": the feedback applies to every payload type of the section
	Feedback    Feedback
}

func parseRTCPFeedback(v string) (RTCPFeedback, error) {
	f := strings.Fields(v)
	if len(f) < 2 {
		return RTCPFeedback{}, fmt.Errorf("rtcp-fb needs <pt> <type>")
	}
	fb := RTCPFeedback{Feedback: Feedback(strings.Join(f[1:], " "))}
	if !isToken(f[1]) {
		return RTCPFeedback{}, fmt.Errorf("feedback type %q is not a token", f[1])
	}
	if f[0] == "*" {
		fb.Wildcard = true
		return fb, nil
	}
	pt, err := parsePayloadType(f[0])
	if err != nil {
		return RTCPFeedback{}, err
	}
	fb.PayloadType = pt
	return fb, nil
}

func (r RTCPFeedback) value() string {
	if r.Wildcard {
		return "* " + string(r.Feedback)
	}
	return strconv.Itoa(int(r.PayloadType)) + " " + string(r.Feedback)
}

// ExtMap is a=extmap:<id>[/<direction>] <uri> [<attributes>] (RFC 8285).
type ExtMap struct {
	ID         uint16 // 1-14 with one-byte headers, up to 255 with two-byte headers
	Direction  Direction
	URI        string
	Attributes string
}

func parseExtMap(v string) (ExtMap, error) {
	f := strings.Fields(v)
	if len(f) < 2 {
		return ExtMap{}, fmt.Errorf("extmap needs <id> <uri>")
	}
	id, dir, hasDir := strings.Cut(f[0], "/")
	n, err := strconv.ParseUint(id, 10, 16)
	if err != nil || n < 1 || n > 255 {
		return ExtMap{}, fmt.Errorf("extmap id %q: want 1 to 255", id)
	}
	e := ExtMap{ID: uint16(n), URI: f[1], Attributes: strings.Join(f[2:], " ")}
	if hasDir {
		d, ok := parseDirection(dir)
		if !ok {
			return ExtMap{}, fmt.Errorf("extmap direction %q", dir)
		}
		e.Direction = d
	}
	if !isVisible(e.URI) {
		return ExtMap{}, fmt.Errorf("extmap uri %q", e.URI)
	}
	return e, nil
}

func (e ExtMap) value() string {
	v := strconv.Itoa(int(e.ID))
	if e.Direction != "" {
		v += "/" + string(e.Direction)
	}
	v += " " + e.URI
	if e.Attributes != "" {
		v += " " + e.Attributes
	}
	return v
}

// ExtMapID returns the id of the header extension with that URI among maps.
func ExtMapID(maps []ExtMap, uri string) (uint16, bool) {
	for _, e := range maps {
		if e.URI == uri {
			return e.ID, true
		}
	}
	return 0, false
}
