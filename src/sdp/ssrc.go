package sdp

import (
	"fmt"
	"strconv"
	"strings"
)

// SSRCAttribute is a=ssrc:<ssrc> <name>[:<value>] (RFC 5576), e.g. the cname or msid of a stream.
type SSRCAttribute struct {
	SSRC  uint32
	Name  string
	Value string // "" when the line has no ":<value>"
}

// SSRCGroup is a=ssrc-group:<semantics> <ssrc>..., e.g. FID (a stream and its RTX), SIM (simulcast), FEC-FR.
// A section may have several.
type SSRCGroup struct {
	Semantics string
	SSRCs     []uint32
}

func parseSSRC(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("ssrc %q: not a 32-bit unsigned number", s)
	}
	return uint32(n), nil
}

func parseSSRCAttribute(v string) (SSRCAttribute, error) {
	id, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return SSRCAttribute{}, fmt.Errorf("ssrc needs <ssrc> <attribute>")
	}
	ssrc, err := parseSSRC(id)
	if err != nil {
		return SSRCAttribute{}, err
	}
	name, value, _ := strings.Cut(strings.TrimSpace(rest), ":")
	if !isToken(name) {
		return SSRCAttribute{}, fmt.Errorf("ssrc attribute name %q", name)
	}
	return SSRCAttribute{SSRC: ssrc, Name: name, Value: value}, nil
}

func (a SSRCAttribute) value() string {
	v := strconv.FormatUint(uint64(a.SSRC), 10) + " " + a.Name
	if a.Value != "" {
		v += ":" + a.Value
	}
	return v
}

func parseSSRCGroup(v string) (SSRCGroup, error) {
	f := strings.Fields(v)
	if len(f) < 2 || !isToken(f[0]) {
		return SSRCGroup{}, fmt.Errorf("ssrc-group needs <semantics> and ssrcs")
	}
	g := SSRCGroup{Semantics: f[0], SSRCs: make([]uint32, 0, len(f)-1)}
	for _, s := range f[1:] {
		ssrc, err := parseSSRC(s)
		if err != nil {
			return SSRCGroup{}, err
		}
		g.SSRCs = append(g.SSRCs, ssrc)
	}
	return g, nil
}

func (g SSRCGroup) value() string {
	v := g.Semantics
	for _, s := range g.SSRCs {
		v += " " + strconv.FormatUint(uint64(s), 10)
	}
	return v
}
