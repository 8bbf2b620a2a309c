package sdp

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Candidate is an ICE candidate (RFC 8839 section 5.1), as in a=candidate or in a trickled candidate string.
type Candidate struct {
	Foundation string
	Component  uint16 // 1 for RTP (and RTP+RTCP with rtcp-mux), 2 for RTCP
	Transport  string // lower case: udp or tcp
	Priority   uint32
	// Address is an IPv4 or IPv6 address, or a host name: browsers hide host addresses behind mDNS names such as
	// 1f0c5a4e-d7a5-4c1d-8a6b-3e5d2b8c9f10.local.
	Address        string
	Port           uint16
	Type           string // host, srflx, prflx or relay
	RelatedAddress string // raddr, "" when absent
	RelatedPort    uint16 // rport
	HasRelatedPort bool
	TCPType        string  // active, passive or so (RFC 6544), "" for UDP
	Extensions     []Param // other name/value pairs, e.g. generation 0, network-id 1, ufrag abcd
}

// Addr returns the candidate's IP address, false when it is a host name.
func (c Candidate) Addr() (netip.Addr, bool) {
	a, err := netip.ParseAddr(c.Address)
	return a.Unmap(), err == nil
}

// IsMDNS tells whether the address is an mDNS host name (ends in .local).
func (c Candidate) IsMDNS() bool {
	return strings.HasSuffix(strings.ToLower(c.Address), ".local")
}

// ParseCandidate parses a candidate as found in a=candidate lines or in trickled ICE candidate strings: with or
// without the "a=" and "candidate:" prefixes.
func ParseCandidate(s string) (Candidate, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "a=")
	s = strings.TrimPrefix(s, "candidate:")
	return parseCandidate(s)
}

func parseCandidate(v string) (Candidate, error) {
	f := strings.Fields(v)
	if len(f) < 8 || f[6] != "typ" {
		return Candidate{}, fmt.Errorf("candidate needs <foundation> <component> <transport> <priority> <address> " +
			"<port> typ <type>")
	}
	c := Candidate{Foundation: f[0], Transport: strings.ToLower(f[2]), Address: f[4], Type: f[7]}
	if len(c.Foundation) > 32 || !isVisible(c.Foundation) {
		return Candidate{}, fmt.Errorf("foundation %q", c.Foundation)
	}
	component, err := strconv.ParseUint(f[1], 10, 16)
	if err != nil || component < 1 || component > 256 {
		return Candidate{}, fmt.Errorf("component %q: want 1 to 256", f[1])
	}
	c.Component = uint16(component)
	if !isToken(c.Transport) {
		return Candidate{}, fmt.Errorf("transport %q", f[2])
	}
	priority, err := strconv.ParseUint(f[3], 10, 32)
	if err != nil {
		return Candidate{}, fmt.Errorf("priority %q: not a 32-bit unsigned number", f[3])
	}
	c.Priority = uint32(priority)
	if !isAddress(c.Address) {
		return Candidate{}, fmt.Errorf("address %q: neither an IP address nor a host name", c.Address)
	}
	if c.Port, err = parsePort(f[5]); err != nil {
		return Candidate{}, err
	}
	if !isToken(c.Type) {
		return Candidate{}, fmt.Errorf("candidate type %q", c.Type)
	}
	if err := c.parseExtensions(f[8:]); err != nil {
		return Candidate{}, err
	}
	return c, nil
}

// parseExtensions reads the name/value pairs after the type: raddr, rport and tcptype get their fields, the others
// are kept in order.
func (c *Candidate) parseExtensions(f []string) error {
	if len(f)%2 != 0 {
		return fmt.Errorf("candidate extension %q without a value", f[len(f)-1])
	}
	seen := make(map[string]bool, len(f)/2)
	for i := 0; i < len(f); i += 2 {
		name, value := f[i], f[i+1]
		if !isToken(name) {
			return fmt.Errorf("candidate extension name %q", name)
		}
		if seen[name] {
			return fmt.Errorf("candidate extension %s given twice", name)
		}
		seen[name] = true
		switch name {
		case "raddr":
			if !isAddress(value) {
				return fmt.Errorf("raddr %q: neither an IP address nor a host name", value)
			}
			c.RelatedAddress = value
		case "rport":
			port, err := parsePort(value)
			if err != nil {
				return err
			}
			c.RelatedPort, c.HasRelatedPort = port, true
		case "tcptype":
			if !isToken(value) {
				return fmt.Errorf("tcptype %q", value)
			}
			c.TCPType = value
		default:
			c.Extensions = append(c.Extensions, Param{Name: name, Value: value})
		}
	}
	return nil
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("port %q: not a number from 0 to 65535", s)
	}
	return uint16(n), nil
}

// isAddress accepts an IP address or a DNS name made of letters, digits, "-" and "_" labels (mDNS names are UUIDs
// followed by .local).
func isAddress(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

func (c Candidate) value() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d %s %d %s %d typ %s", c.Foundation, c.Component, c.Transport, c.Priority, c.Address,
		c.Port, c.Type)
	if c.RelatedAddress != "" {
		b.WriteString(" raddr " + c.RelatedAddress)
	}
	if c.HasRelatedPort {
		b.WriteString(" rport " + strconv.Itoa(int(c.RelatedPort)))
	}
	if c.TCPType != "" {
		b.WriteString(" tcptype " + c.TCPType)
	}
	for _, e := range c.Extensions {
		b.WriteString(" " + e.Name + " " + e.Value)
	}
	return b.String()
}

// String returns the candidate in the form trickle ICE uses: "candidate:<foundation> <component> ...".
func (c Candidate) String() string { return "candidate:" + c.value() }
