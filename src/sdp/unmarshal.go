package sdp

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Unmarshal parses a session description. See the package documentation for what it accepts and rejects.
func Unmarshal(data []byte) (*Session, error) {
	if len(data) > MaxSize {
		return nil, newParseError(0, "", ErrTooLarge)
	}
	p := parser{s: &Session{}}
	lineNo := 0
	for len(data) > 0 {
		var raw []byte
		raw, data, _ = bytes.Cut(data, []byte("\n"))
		lineNo++
		line := strings.TrimRight(string(raw), " \t\r")
		if line == "" {
			continue
		}
		if err := p.line(line); err != nil {
			return nil, newParseError(lineNo, line, err)
		}
	}
	if err := p.finish(); err != nil {
		return nil, newParseError(0, "", err)
	}
	return p.s, nil
}

// parser holds the state of one Unmarshal: the session being filled, the current media section, and which
// single-valued lines and attributes were already seen (a second one would be ambiguous).
type parser struct {
	s                  *Session
	media              *Media
	started            bool // v= seen
	hasOrigin, hasName bool
	seen               map[string]bool // single-valued keys of the current section, e.g. "o", "a=mid"
	midLines           map[string]bool
}

func (p *parser) line(line string) error {
	for i := 0; i < len(line); i++ {
		if c := line[i]; c < ' ' && c != '\t' || c == 0x7f {
			return fmt.Errorf("control character 0x%02x", c)
		}
	}
	if len(line) < 2 || line[1] != '=' {
		return errors.New("not a <type>=<value> line")
	}
	typ, value := line[0], line[2:]
	if !p.started {
		if typ != 'v' {
			return errors.New("a description must start with v=0")
		}
		if value != "0" {
			return fmt.Errorf("version %q: only 0 exists", value)
		}
		p.started = true
		p.seen = map[string]bool{}
		return nil
	}
	if typ == 'm' {
		return p.startMedia(value)
	}
	if p.media != nil {
		return p.mediaLine(typ, value)
	}
	return p.sessionLine(typ, value)
}

// once rejects a second occurrence of a single-valued key in the current section.
func (p *parser) once(key string) error {
	if p.seen[key] {
		return fmt.Errorf("%s given twice in one section", key)
	}
	p.seen[key] = true
	return nil
}

func (p *parser) sessionLine(typ byte, value string) error {
	s := p.s
	var err error
	switch typ {
	case 'v':
		return errors.New("v= given twice")
	case 'o':
		if err = p.once("o="); err == nil {
			s.Origin, err = parseOrigin(value)
			p.hasOrigin = true
		}
	case 's':
		if err = p.once("s="); err == nil {
			s.Name = value
			p.hasName = true
		}
	case 'i':
		if err = p.once("i="); err == nil {
			s.Info = value
		}
	case 'u':
		if err = p.once("u="); err == nil {
			s.URI = value
		}
	case 'e':
		s.Emails = append(s.Emails, value)
	case 'p':
		s.Phones = append(s.Phones, value)
	case 'c':
		if err = p.once("c="); err == nil {
			s.Connection, err = parseConnection(value)
		}
	case 'b':
		var b Bandwidth
		if b, err = parseBandwidth(value); err == nil {
			s.Bandwidths = append(s.Bandwidths, b)
		}
	case 't':
		var t Timing
		if t, err = parseTiming(value); err == nil {
			s.Timings = append(s.Timings, t)
		}
	case 'r':
		if len(s.Timings) == 0 {
			return errors.New("r= without a t= before it")
		}
		last := &s.Timings[len(s.Timings)-1]
		last.Repeats = append(last.Repeats, value)
	case 'z':
		if err = p.once("z="); err == nil {
			s.TimeZones = value
		}
	case 'k':
		if err = p.once("k="); err == nil {
			s.EncryptKey = value
		}
	case 'a':
		err = p.sessionAttribute(value)
	default:
		err = fmt.Errorf("unknown line type %q", typ)
	}
	return err
}

func (p *parser) startMedia(value string) error {
	m, err := parseMediaLine(value)
	if err != nil {
		return err
	}
	p.closeMedia()
	p.s.Media = append(p.s.Media, m)
	p.media = m
	p.seen = map[string]bool{}
	return nil
}

func (p *parser) mediaLine(typ byte, value string) error {
	m := p.media
	var err error
	switch typ {
	case 'i':
		if err = p.once("i="); err == nil {
			m.Title = value
		}
	case 'c':
		if err = p.once("c="); err == nil {
			m.Connection, err = parseConnection(value)
		}
	case 'b':
		var b Bandwidth
		if b, err = parseBandwidth(value); err == nil {
			m.Bandwidths = append(m.Bandwidths, b)
		}
	case 'k':
		if err = p.once("k="); err == nil {
			m.EncryptKey = value
		}
	case 'a':
		err = p.mediaAttribute(value)
	default:
		err = fmt.Errorf("%c= is not allowed in a media section", typ)
	}
	return err
}

// splitAttribute cuts "key:value" or "key"; property tells that there was no colon.
func splitAttribute(v string) (key, value string, property bool, err error) {
	key, value, hasValue := strings.Cut(v, ":")
	if !isToken(key) {
		return "", "", false, fmt.Errorf("attribute name %q is not a token", key)
	}
	return key, value, !hasValue, nil
}

// transportAttribute handles the attributes allowed at both levels; handled is false for any other key.
func (p *parser) transportAttribute(t *Transport, key, value string) (handled bool, err error) {
	switch key {
	case "ice-ufrag":
		if err = p.once("a=ice-ufrag"); err == nil {
			if !isVisible(value) {
				return true, fmt.Errorf("ice-ufrag %q", value)
			}
			t.ICEUfrag = value
		}
	case "ice-pwd":
		if err = p.once("a=ice-pwd"); err == nil {
			if !isVisible(value) {
				return true, fmt.Errorf("ice-pwd must be visible characters")
			}
			t.ICEPwd = value
		}
	case "ice-options":
		if err = p.once("a=ice-options"); err == nil {
			t.ICEOptions = strings.Fields(value)
			if len(t.ICEOptions) == 0 {
				return true, errors.New("ice-options without any option")
			}
		}
	case "fingerprint":
		var f Fingerprint
		if f, err = parseFingerprint(value); err == nil {
			t.Fingerprints = append(t.Fingerprints, f)
		}
	case "setup":
		if err = p.once("a=setup"); err == nil {
			t.Setup, err = parseSetup(strings.TrimSpace(value))
		}
	default:
		return false, nil
	}
	return true, err
}

// direction sets one of the four direction attributes; a second one in a section is ambiguous.
func (p *parser) direction(d *Direction, key string) (bool, error) {
	dir, ok := parseDirection(key)
	if !ok {
		return false, nil
	}
	if err := p.once("a=<direction>"); err != nil {
		return true, err
	}
	*d = dir
	return true, nil
}

func (p *parser) extMap(maps *[]ExtMap, value string) error {
	e, err := parseExtMap(value)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(*maps, func(o ExtMap) bool { return o.ID == e.ID }) {
		return fmt.Errorf("extmap id %d given twice", e.ID)
	}
	*maps = append(*maps, e)
	return nil
}

func (p *parser) sessionAttribute(v string) error {
	key, value, property, err := splitAttribute(v)
	if err != nil {
		return err
	}
	s := p.s
	if handled, err := p.transportAttribute(&s.Transport, key, value); handled {
		return err
	}
	if handled, err := p.direction(&s.Direction, key); handled {
		return propertyOnly(key, property, err)
	}
	switch key {
	case "group":
		g, err := parseGroup(value)
		if err != nil {
			return err
		}
		s.Groups = append(s.Groups, g)
	case "ice-lite":
		s.ICELite = true
		return propertyOnly(key, property, nil)
	case "extmap-allow-mixed":
		s.ExtMapMixed = true
		return propertyOnly(key, property, nil)
	case "end-of-candidates":
		s.EndOfCandidates = true
		return propertyOnly(key, property, nil)
	case "extmap":
		return p.extMap(&s.ExtMaps, value)
	default:
		s.Attributes = append(s.Attributes, Attribute{Key: key, Value: value, Property: property})
	}
	return nil
}

func propertyOnly(key string, property bool, err error) error {
	if err == nil && !property {
		return fmt.Errorf("a=%s takes no value", key)
	}
	return err
}

func (p *parser) mediaAttribute(v string) error {
	key, value, property, err := splitAttribute(v)
	if err != nil {
		return err
	}
	m := p.media
	if handled, err := p.transportAttribute(&m.Transport, key, value); handled {
		return err
	}
	if handled, err := p.direction(&m.Direction, key); handled {
		return propertyOnly(key, property, err)
	}
	if flag := mediaFlag(m, key); flag != nil {
		*flag = true
		return propertyOnly(key, property, nil)
	}
	if m.IsRTP() {
		if handled, err := p.rtpAttribute(key, value); handled {
			return err
		}
	}
	switch key {
	case "mid":
		if err := p.once("a=mid"); err != nil {
			return err
		}
		if !isToken(value) {
			return fmt.Errorf("mid %q is not a token", value)
		}
		if p.midLines == nil {
			p.midLines = map[string]bool{}
		}
		if p.midLines[value] {
			return fmt.Errorf("mid %q used by two media sections", value)
		}
		p.midLines[value] = true
		m.MID = value
	case "extmap":
		return p.extMap(&m.ExtMaps, value)
	case "msid":
		id, err := parseMSID(value)
		if err != nil {
			return err
		}
		m.MSIDs = append(m.MSIDs, id)
	case "candidate":
		c, err := parseCandidate(value)
		if err != nil {
			return err
		}
		m.Candidates = append(m.Candidates, c)
	default:
		m.Attributes = append(m.Attributes, Attribute{Key: key, Value: value, Property: property})
	}
	return nil
}

// mediaFlag returns the field of a property attribute of media sections, nil for any other key.
func mediaFlag(m *Media, key string) *bool {
	switch key {
	case "rtcp-mux":
		return &m.RTCPMux
	case "rtcp-mux-only":
		return &m.RTCPMuxOnly
	case "rtcp-rsize":
		return &m.RTCPRsize
	case "bundle-only":
		return &m.BundleOnly
	case "extmap-allow-mixed":
		return &m.ExtMapMixed
	case "end-of-candidates":
		return &m.EndOfCandidates
	}
	return nil
}

// rtpAttribute handles the attributes that only mean something in an RTP section.
func (p *parser) rtpAttribute(key, value string) (bool, error) {
	m := p.media
	switch key {
	case "rtpmap":
		r, err := parseRTPMap(value)
		if err != nil {
			return true, err
		}
		if slices.ContainsFunc(m.RTPMaps, func(o RTPMap) bool { return o.PayloadType == r.PayloadType }) {
			return true, fmt.Errorf("rtpmap for payload type %d given twice", r.PayloadType)
		}
		m.RTPMaps = append(m.RTPMaps, r)
	case "fmtp":
		f, err := parseFmtp(value)
		if err != nil {
			return true, err
		}
		if slices.ContainsFunc(m.Fmtps, func(o Fmtp) bool { return o.PayloadType == f.PayloadType }) {
			return true, fmt.Errorf("fmtp for payload type %d given twice", f.PayloadType)
		}
		m.Fmtps = append(m.Fmtps, f)
	case "rtcp-fb":
		fb, err := parseRTCPFeedback(value)
		if err != nil {
			return true, err
		}
		m.RTCPFeedback = append(m.RTCPFeedback, fb)
	case "ssrc":
		a, err := parseSSRCAttribute(value)
		if err != nil {
			return true, err
		}
		m.SSRCs = append(m.SSRCs, a)
	case "ssrc-group":
		g, err := parseSSRCGroup(value)
		if err != nil {
			return true, err
		}
		m.SSRCGroups = append(m.SSRCGroups, g)
	case "rid":
		r, err := parseRID(value)
		if err != nil {
			return true, err
		}
		if slices.ContainsFunc(m.RIDs, func(o RID) bool { return o.ID == r.ID }) {
			return true, fmt.Errorf("rid %q given twice", r.ID)
		}
		m.RIDs = append(m.RIDs, r)
	case "simulcast":
		if err := p.once("a=simulcast"); err != nil {
			return true, err
		}
		s, err := parseSimulcast(value)
		if err != nil {
			return true, err
		}
		m.Simulcast = s
	default:
		return false, nil
	}
	return true, nil
}

// closeMedia puts the codec lines of the section just read in canonical order (see sortCodecLines).
func (p *parser) closeMedia() {
	if p.media != nil {
		sortCodecLines(p.media)
	}
}

// finish checks what only the whole document can tell: the mandatory lines.
func (p *parser) finish() error {
	p.closeMedia()
	switch {
	case !p.started:
		return errors.New("empty description: no v= line")
	case !p.hasOrigin:
		return errors.New("no o= line")
	case !p.hasName:
		return errors.New("no s= line")
	case len(p.s.Timings) == 0:
		return errors.New("no t= line")
	}
	return nil
}
