package sdp

import (
	"fmt"
	"strings"
)

// RID is a=rid:<id> <send|recv> [<restrictions>] (RFC 8851): one RTP stream identifier for simulcast.
type RID struct {
	ID           string
	Direction    string // "send" or "recv"
	PayloadTypes []uint8
	Restrictions []Param // the other restrictions, e.g. max-width=1280, in order
}

// Simulcast is a=simulcast (RFC 8853): the simulcast streams sent and received, each a list of alternative rids.
type Simulcast struct {
	Send [][]SimulcastRID
	Recv [][]SimulcastRID
}

// SimulcastRID is one rid in a=simulcast, paused when written with a "~" prefix.
type SimulcastRID struct {
	ID     string
	Paused bool
}

func isRIDID(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func parseRID(v string) (RID, error) {
	f := strings.Fields(v)
	if len(f) < 2 || len(f) > 3 {
		return RID{}, fmt.Errorf("rid needs <id> <send|recv> [<restrictions>]")
	}
	r := RID{ID: f[0], Direction: f[1]}
	if !isRIDID(r.ID) {
		return RID{}, fmt.Errorf("rid id %q: want letters, digits, - and _", r.ID)
	}
	if r.Direction != "send" && r.Direction != "recv" {
		return RID{}, fmt.Errorf("rid direction %q: want send or recv", r.Direction)
	}
	if len(f) == 3 {
		for _, p := range parseParams(f[2], ";") {
			if p.Name != "pt" {
				r.Restrictions = append(r.Restrictions, p)
				continue
			}
			if r.PayloadTypes != nil {
				return RID{}, fmt.Errorf("rid pt given twice")
			}
			for _, s := range strings.Split(p.Value, ",") {
				pt, err := parsePayloadType(s)
				if err != nil {
					return RID{}, err
				}
				r.PayloadTypes = append(r.PayloadTypes, pt)
			}
		}
	}
	return r, nil
}

func (r RID) value() string {
	var items []string
	if len(r.PayloadTypes) > 0 {
		pts := make([]string, len(r.PayloadTypes))
		for i, pt := range r.PayloadTypes {
			pts[i] = fmt.Sprint(pt)
		}
		items = append(items, "pt="+strings.Join(pts, ","))
	}
	for _, p := range r.Restrictions {
		if p.Value == "" {
			items = append(items, p.Name)
		} else {
			items = append(items, p.Name+"="+p.Value)
		}
	}
	v := r.ID + " " + r.Direction
	if len(items) > 0 {
		v += " " + strings.Join(items, ";")
	}
	return v
}

func parseSimulcast(v string) (*Simulcast, error) {
	f := strings.Fields(v)
	if len(f) != 2 && len(f) != 4 {
		return nil, fmt.Errorf("simulcast needs send <streams> and/or recv <streams>")
	}
	s := &Simulcast{}
	for i := 0; i < len(f); i += 2 {
		streams, err := parseSimulcastStreams(f[i+1])
		if err != nil {
			return nil, err
		}
		switch {
		case f[i] == "send" && s.Send == nil:
			s.Send = streams
		case f[i] == "recv" && s.Recv == nil:
			s.Recv = streams
		default:
			return nil, fmt.Errorf("simulcast direction %q unknown or repeated", f[i])
		}
	}
	return s, nil
}

func parseSimulcastStreams(v string) ([][]SimulcastRID, error) {
	var streams [][]SimulcastRID
	for _, stream := range strings.Split(v, ";") {
		var alternatives []SimulcastRID
		for _, id := range strings.Split(stream, ",") {
			rid := SimulcastRID{ID: strings.TrimPrefix(id, "~"), Paused: strings.HasPrefix(id, "~")}
			if !isRIDID(rid.ID) {
				return nil, fmt.Errorf("simulcast rid %q", id)
			}
			alternatives = append(alternatives, rid)
		}
		streams = append(streams, alternatives)
	}
	return streams, nil
}

func (s Simulcast) value() string {
	var parts []string
	if len(s.Send) > 0 {
		parts = append(parts, "send "+simulcastStreams(s.Send))
	}
	if len(s.Recv) > 0 {
		parts = append(parts, "recv "+simulcastStreams(s.Recv))
	}
	return strings.Join(parts, " ")
}

func simulcastStreams(streams [][]SimulcastRID) string {
	out := make([]string, len(streams))
	for i, alternatives := range streams {
		ids := make([]string, len(alternatives))
		for j, rid := range alternatives {
			ids[j] = rid.ID
			if rid.Paused {
				ids[j] = "~" + rid.ID
			}
		}
		out[i] = strings.Join(ids, ",")
	}
	return strings.Join(out, ";")
}
