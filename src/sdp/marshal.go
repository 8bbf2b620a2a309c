package sdp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Marshal writes the session description with CRLF line endings, in the order browsers use. It fails when a value
// would not survive a round trip: a control character (CR, LF...) anywhere, a nil media section.
func (s *Session) Marshal() ([]byte, error) {
	if s == nil {
		return nil, errors.New("sdp: Marshal of a nil *Session")
	}
	w := &writer{}
	w.line("v", "0")
	w.line("o", s.Origin.value())
	w.line("s", s.Name)
	w.optional("i", s.Info)
	w.optional("u", s.URI)
	for _, e := range s.Emails {
		w.line("e", e)
	}
	for _, p := range s.Phones {
		w.line("p", p)
	}
	if s.Connection != nil {
		w.line("c", s.Connection.value())
	}
	for _, b := range s.Bandwidths {
		w.line("b", b.value())
	}
	for _, t := range s.Timings {
		w.line("t", strconv.FormatUint(t.Start, 10)+" "+strconv.FormatUint(t.Stop, 10))
		for _, r := range t.Repeats {
			w.line("r", r)
		}
	}
	w.optional("z", s.TimeZones)
	w.optional("k", s.EncryptKey)
	for _, g := range s.Groups {
		w.attr("group", g.value())
	}
	w.flag("ice-lite", s.ICELite)
	w.transport(s.Transport)
	w.flag("extmap-allow-mixed", s.ExtMapMixed)
	for _, e := range s.ExtMaps {
		w.attr("extmap", e.value())
	}
	w.flag(string(s.Direction), s.Direction != "")
	w.flag("end-of-candidates", s.EndOfCandidates)
	w.unknown(s.Attributes)
	for i, m := range s.Media {
		if m == nil {
			return nil, fmt.Errorf("sdp: Marshal: media section %d is nil", i)
		}
		w.media(m)
	}
	if w.err != nil {
		return nil, w.err
	}
	return []byte(w.b.String()), nil
}

// writer accumulates lines and remembers the first value that cannot be written.
type writer struct {
	b   strings.Builder
	err error
}

func (w *writer) line(typ, value string) {
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < ' ' && c != '\t' || c == 0x7f) && w.err == nil {
			w.err = fmt.Errorf("sdp: Marshal: control character 0x%02x in %s=%q", c, typ, value)
		}
	}
	w.b.WriteString(typ)
	w.b.WriteByte('=')
	w.b.WriteString(value)
	w.b.WriteString("\r\n")
}

func (w *writer) optional(typ, value string) {
	if value != "" {
		w.line(typ, value)
	}
}

func (w *writer) attr(key, value string) { w.line("a", key+":"+value) }

func (w *writer) flag(key string, on bool) {
	if on {
		w.line("a", key)
	}
}

func (w *writer) unknown(attrs []Attribute) {
	for _, a := range attrs {
		w.line("a", a.line())
	}
}

func (w *writer) transport(t Transport) {
	if t.ICEUfrag != "" {
		w.attr("ice-ufrag", t.ICEUfrag)
	}
	if t.ICEPwd != "" {
		w.attr("ice-pwd", t.ICEPwd)
	}
	if len(t.ICEOptions) > 0 {
		w.attr("ice-options", strings.Join(t.ICEOptions, " "))
	}
	for _, f := range t.Fingerprints {
		w.attr("fingerprint", f.value())
	}
	if t.Setup != "" {
		w.attr("setup", string(t.Setup))
	}
}

func (w *writer) media(m *Media) {
	w.line("m", m.mediaLine())
	w.optional("i", m.Title)
	if m.Connection != nil {
		w.line("c", m.Connection.value())
	}
	for _, b := range m.Bandwidths {
		w.line("b", b.value())
	}
	w.optional("k", m.EncryptKey)
	if m.MID != "" {
		w.attr("mid", m.MID)
	}
	w.flag("bundle-only", m.BundleOnly)
	w.transport(m.Transport)
	w.flag("extmap-allow-mixed", m.ExtMapMixed)
	for _, e := range m.ExtMaps {
		w.attr("extmap", e.value())
	}
	w.flag(string(m.Direction), m.Direction != "")
	for _, id := range m.MSIDs {
		w.attr("msid", id.value())
	}
	w.flag("rtcp-mux", m.RTCPMux)
	w.flag("rtcp-mux-only", m.RTCPMuxOnly)
	w.flag("rtcp-rsize", m.RTCPRsize)
	w.codecs(m)
	for _, g := range m.SSRCGroups {
		w.attr("ssrc-group", g.value())
	}
	for _, a := range m.SSRCs {
		w.attr("ssrc", a.value())
	}
	for _, r := range m.RIDs {
		w.attr("rid", r.value())
	}
	if m.Simulcast != nil {
		w.attr("simulcast", m.Simulcast.value())
	}
	w.unknown(m.Attributes)
	for _, c := range m.Candidates {
		w.attr("candidate", c.value())
	}
	w.flag("end-of-candidates", m.EndOfCandidates)
}

// codecs writes rtpmap, fmtp and rtcp-fb grouped by payload type in canonical order, as browsers do.
func (w *writer) codecs(m *Media) {
	for _, fb := range m.RTCPFeedback {
		if fb.Wildcard {
			w.attr("rtcp-fb", fb.value())
		}
	}
	for _, pt := range codecLineOrder(m) {
		for _, r := range m.RTPMaps {
			if r.PayloadType == pt {
				w.attr("rtpmap", r.value())
			}
		}
		for _, f := range m.Fmtps {
			if f.PayloadType == pt {
				w.attr("fmtp", f.value())
			}
		}
		for _, fb := range m.RTCPFeedback {
			if !fb.Wildcard && fb.PayloadType == pt {
				w.attr("rtcp-fb", fb.value())
			}
		}
	}
}
