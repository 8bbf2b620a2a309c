package sdp

import (
	"fmt"
	"strconv"
	"strings"
)

// Media kinds of the m= line.
const (
	KindAudio       = "audio"
	KindVideo       = "video"
	KindApplication = "application"
)

// Media is one media section: an m= line and what follows it up to the next one.
type Media struct {
	Kind       string   // audio, video, application...
	Port       uint16   // 0 rejects the section, unless BundleOnly
	PortCount  uint16   // the /n after the port, 0 when absent
	Protocol   string   // e.g. UDP/TLS/RTP/SAVPF
	Formats    []string // payload types (RTP) or formats such as webrtc-datachannel
	Title      string   // i=
	Connection *Connection
	Bandwidths []Bandwidth
	EncryptKey string // k=, obsolete, kept as written

	MID          string
	Transport    Transport
	Direction    Direction // "" when the section has none (the session's applies, else sendrecv)
	ExtMaps      []ExtMap
	ExtMapMixed  bool
	MSIDs        []MSID
	RTCPMux      bool
	RTCPMuxOnly  bool
	RTCPRsize    bool
	BundleOnly   bool
	RTPMaps      []RTPMap
	Fmtps        []Fmtp
	RTCPFeedback []RTCPFeedback
	SSRCGroups   []SSRCGroup
	SSRCs        []SSRCAttribute
	RIDs         []RID
	Simulcast    *Simulcast
	// Candidates and EndOfCandidates come last when written, as browsers expect.
	Candidates      []Candidate
	EndOfCandidates bool
	Attributes      []Attribute // attributes this package does not interpret, in document order
}

// IsRTP tells whether the section carries RTP, so that its formats are payload types.
func (m *Media) IsRTP() bool {
	return strings.Contains(strings.ToUpper(m.Protocol), "RTP/")
}

// Rejected tells whether the m= line has port 0 without a=bundle-only (RFC 8843), i.e. the section is off.
func (m *Media) Rejected() bool {
	return m.Port == 0 && !m.BundleOnly
}

// PayloadTypes returns the numeric formats of the m= line, in order (empty for a non-RTP section).
func (m *Media) PayloadTypes() []uint8 {
	var pts []uint8
	for _, f := range m.Formats {
		if pt, err := parsePayloadType(f); err == nil {
			pts = append(pts, pt)
		}
	}
	return pts
}

// SSRCAttributeValue returns the value of the first a=ssrc line for ssrc with that attribute name (e.g. "cname").
func (m *Media) SSRCAttributeValue(ssrc uint32, name string) (string, bool) {
	for _, a := range m.SSRCs {
		if a.SSRC == ssrc && strings.EqualFold(a.Name, name) {
			return a.Value, true
		}
	}
	return "", false
}

func parsePayloadType(s string) (uint8, error) {
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil || n > 127 {
		return 0, fmt.Errorf("payload type %q: not a number from 0 to 127", s)
	}
	return uint8(n), nil
}

func parseMediaLine(v string) (*Media, error) {
	f := strings.Fields(v)
	if len(f) < 3 {
		return nil, fmt.Errorf("m= needs <media> <port> <proto> and formats")
	}
	m := &Media{Kind: f[0], Protocol: f[2]}
	if !isToken(m.Kind) {
		return nil, fmt.Errorf("bad media type %q", m.Kind)
	}
	if !isProtocol(m.Protocol) {
		return nil, fmt.Errorf("bad transport protocol %q", m.Protocol)
	}
	port, count, hasCount := strings.Cut(f[1], "/")
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("port %q: not a number from 0 to 65535", port)
	}
	m.Port = uint16(p)
	if hasCount {
		n, err := strconv.ParseUint(count, 10, 16)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("number of ports %q: not a positive 16-bit number", count)
		}
		m.PortCount = uint16(n)
	}
	if len(f) == 3 && m.Port != 0 {
		return nil, fmt.Errorf("m= line without any format")
	}
	if len(f) > 3 {
		m.Formats = f[3:]
	}
	seen := make(map[string]bool, len(m.Formats))
	for _, format := range m.Formats {
		if m.IsRTP() {
			if _, err := parsePayloadType(format); err != nil {
				return nil, err
			}
		} else if !isToken(format) {
			return nil, fmt.Errorf("bad format %q", format)
		}
		if seen[format] {
			return nil, fmt.Errorf("format %s listed twice", format)
		}
		seen[format] = true
	}
	return m, nil
}

func (m *Media) mediaLine() string {
	port := strconv.Itoa(int(m.Port))
	if m.PortCount != 0 {
		port += "/" + strconv.Itoa(int(m.PortCount))
	}
	return strings.Join(append([]string{m.Kind, port, m.Protocol}, m.Formats...), " ")
}

func isProtocol(s string) bool {
	for _, part := range strings.Split(s, "/") {
		if !isToken(part) {
			return false
		}
	}
	return true
}

// Direction is the media direction attribute (RFC 8866 section 6.7).
type Direction string

// Directions.
const (
	DirectionSendRecv Direction = "sendrecv"
	DirectionSendOnly Direction = "sendonly"
	DirectionRecvOnly Direction = "recvonly"
	DirectionInactive Direction = "inactive"
)

// Reverse returns the direction the other side of an offer/answer sees: sendonly becomes recvonly and back.
func (d Direction) Reverse() Direction {
	switch d {
	case DirectionSendOnly:
		return DirectionRecvOnly
	case DirectionRecvOnly:
		return DirectionSendOnly
	}
	return d
}

// Sends tells whether the direction includes sending (an empty direction means sendrecv).
func (d Direction) Sends() bool {
	return d == DirectionSendRecv || d == DirectionSendOnly || d == ""
}

// Receives tells whether the direction includes receiving (an empty direction means sendrecv).
func (d Direction) Receives() bool {
	return d == DirectionSendRecv || d == DirectionRecvOnly || d == ""
}

func parseDirection(s string) (Direction, bool) {
	switch d := Direction(s); d {
	case DirectionSendRecv, DirectionSendOnly, DirectionRecvOnly, DirectionInactive:
		return d, true
	}
	return "", false
}

// Setup is the DTLS role attribute a=setup (RFC 4145, RFC 8842).
type Setup string

// Setup roles.
const (
	SetupActive   Setup = "active"
	SetupPassive  Setup = "passive"
	SetupActPass  Setup = "actpass"
	SetupHoldConn Setup = "holdconn"
)

func parseSetup(s string) (Setup, error) {
	switch v := Setup(s); v {
	case SetupActive, SetupPassive, SetupActPass, SetupHoldConn:
		return v, nil
	}
	return "", fmt.Errorf("setup %q: want active, passive, actpass or holdconn", s)
}
