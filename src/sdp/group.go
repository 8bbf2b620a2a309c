package sdp

import (
	"fmt"
	"slices"
	"strings"
)

// Group is a=group:<semantics> <mid>... (RFC 5888), e.g. BUNDLE (RFC 8843).
type Group struct {
	Semantics string
	MIDs      []string
}

// Has tells whether the group lists that mid.
func (g *Group) Has(mid string) bool { return g != nil && slices.Contains(g.MIDs, mid) }

func parseGroup(v string) (Group, error) {
	f := strings.Fields(v)
	if len(f) == 0 || !isToken(f[0]) {
		return Group{}, fmt.Errorf("group needs <semantics> and mids")
	}
	g := Group{Semantics: f[0]}
	if len(f) > 1 {
		g.MIDs = f[1:]
	}
	for _, mid := range g.MIDs {
		if !isToken(mid) {
			return Group{}, fmt.Errorf("bad mid %q", mid)
		}
	}
	return g, nil
}

func (g Group) value() string {
	return strings.Join(append([]string{g.Semantics}, g.MIDs...), " ")
}

// MSID is a=msid:<stream id> [<track id>] (RFC 8830).
type MSID struct {
	StreamID string
	TrackID  string // "" when absent
}

func parseMSID(v string) (MSID, error) {
	f := strings.Fields(v)
	if len(f) < 1 || len(f) > 2 {
		return MSID{}, fmt.Errorf("msid needs <stream id> [<track id>]")
	}
	m := MSID{StreamID: f[0]}
	if len(f) == 2 {
		m.TrackID = f[1]
	}
	return m, nil
}

func (m MSID) value() string {
	if m.TrackID == "" {
		return m.StreamID
	}
	return m.StreamID + " " + m.TrackID
}
