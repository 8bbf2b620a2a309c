package sdp

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// Session is a whole session description.
type Session struct {
	Origin      Origin   // o=
	Name        string   // s=
	Info        string   // i=, "" when absent
	URI         string   // u=
	Emails      []string // e=
	Phones      []string // p=
	Connection  *Connection
	Bandwidths  []Bandwidth
	Timings     []Timing // t= with its r= lines
	TimeZones   string   // z=, kept as written
	EncryptKey  string   // k=, obsolete, kept as written
	Groups      []Group  // a=group
	ICELite     bool     // a=ice-lite
	Transport   Transport
	Direction   Direction // default direction of every media section
	ExtMaps     []ExtMap  // session-level a=extmap, applying to every media section
	ExtMapMixed bool      // a=extmap-allow-mixed
	// EndOfCandidates is a=end-of-candidates at session level (RFC 8840 allows both levels).
	EndOfCandidates bool
	Attributes      []Attribute // attributes this package does not interpret, in document order
	Media           []*Media
}

// Origin is the o= line.
type Origin struct {
	Username       string
	SessionID      uint64
	SessionVersion uint64
	NetworkType    string // "IN"
	AddressType    string // "IP4" or "IP6"
	Address        string
}

// Connection is a c= line.
type Connection struct {
	NetworkType string // "IN"
	AddressType string // "IP4" or "IP6"
	Address     string // may carry a /ttl suffix for multicast
}

// Bandwidth is a b= line, e.g. AS:2000 or TIAS:1000000.
type Bandwidth struct {
	Type  string
	Value uint64
}

// Timing is a t= line and the r= lines that follow it (kept as written).
type Timing struct {
	Start, Stop uint64
	Repeats     []string
}

// Transport groups the ICE and DTLS attributes, which may appear at session level, media level or both.
type Transport struct {
	ICEUfrag     string
	ICEPwd       string
	ICEOptions   []string
	Fingerprints []Fingerprint
	Setup        Setup
}

// Merge returns t completed by the fields t lacks from fallback (typically a media section's transport and the
// session's).
func (t Transport) Merge(fallback Transport) Transport {
	if t.ICEUfrag == "" {
		t.ICEUfrag = fallback.ICEUfrag
	}
	if t.ICEPwd == "" {
		t.ICEPwd = fallback.ICEPwd
	}
	if t.ICEOptions == nil {
		t.ICEOptions = fallback.ICEOptions
	}
	if t.Fingerprints == nil {
		t.Fingerprints = fallback.Fingerprints
	}
	if t.Setup == "" {
		t.Setup = fallback.Setup
	}
	return t
}

// MediaByMID returns the media section with that mid, or nil.
func (s *Session) MediaByMID(mid string) *Media {
	for _, m := range s.Media {
		if m != nil && m.MID == mid {
			return m
		}
	}
	return nil
}

// Group returns the first a=group with these semantics (e.g. "BUNDLE"), or nil.
func (s *Session) Group(semantics string) *Group {
	for i := range s.Groups {
		if strings.EqualFold(s.Groups[i].Semantics, semantics) {
			return &s.Groups[i]
		}
	}
	return nil
}

func parseOrigin(v string) (Origin, error) {
	f := strings.Fields(v)
	if len(f) != 6 {
		return Origin{}, fmt.Errorf("o= needs 6 fields, got %d", len(f))
	}
	id, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return Origin{}, fmt.Errorf("session id %q: not a 64-bit unsigned number", f[1])
	}
	version, err := strconv.ParseUint(f[2], 10, 64)
	if err != nil {
		return Origin{}, fmt.Errorf("session version %q: not a 64-bit unsigned number", f[2])
	}
	for _, t := range []string{f[0], f[3], f[4]} {
		if !isToken(t) {
			return Origin{}, fmt.Errorf("bad field %q", t)
		}
	}
	return Origin{Username: f[0], SessionID: id, SessionVersion: version, NetworkType: f[3], AddressType: f[4],
		Address: f[5]}, nil
}

func (o Origin) value() string {
	return fmt.Sprintf("%s %d %d %s %s %s", o.Username, o.SessionID, o.SessionVersion, o.NetworkType, o.AddressType,
		o.Address)
}

func parseConnection(v string) (*Connection, error) {
	f := strings.Fields(v)
	if len(f) != 3 {
		return nil, fmt.Errorf("c= needs 3 fields, got %d", len(f))
	}
	if !isToken(f[0]) || !isToken(f[1]) {
		return nil, fmt.Errorf("bad network or address type in %q", v)
	}
	return &Connection{NetworkType: f[0], AddressType: f[1], Address: f[2]}, nil
}

func (c Connection) value() string {
	return c.NetworkType + " " + c.AddressType + " " + c.Address
}

func parseBandwidth(v string) (Bandwidth, error) {
	typ, val, ok := strings.Cut(v, ":")
	if !ok || !isToken(typ) {
		return Bandwidth{}, fmt.Errorf("b= must be <type>:<value>")
	}
	n, err := strconv.ParseUint(val, 10, 64)
	if err != nil {
		return Bandwidth{}, fmt.Errorf("bandwidth %q: not a number", val)
	}
	return Bandwidth{Type: typ, Value: n}, nil
}

func (b Bandwidth) value() string {
	return b.Type + ":" + strconv.FormatUint(b.Value, 10)
}

func parseTiming(v string) (Timing, error) {
	f := strings.Fields(v)
	if len(f) != 2 {
		return Timing{}, fmt.Errorf("t= needs 2 fields, got %d", len(f))
	}
	start, err1 := strconv.ParseUint(f[0], 10, 64)
	stop, err2 := strconv.ParseUint(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		return Timing{}, fmt.Errorf("t= times must be numbers")
	}
	return Timing{Start: start, Stop: stop}, nil
}

// NewSessionID returns a random o= session id below 2^62, as JSEP asks (RFC 8829 section 5.2.1).
func NewSessionID() (uint64, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint64(b[:]) >> 2, nil
}
