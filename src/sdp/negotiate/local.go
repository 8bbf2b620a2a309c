package negotiate

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/stun"
)

func (l Local) validate() error {
	if !stun.ValidICECredential(l.ICEUfrag, stun.MinICEUfragLen) {
		return fmt.Errorf("%w: ice-ufrag must have %d to %d letters, digits, + and /", ErrBadArgument,
			stun.MinICEUfragLen, stun.MaxICECredentialLen)
	}
	if !stun.ValidICECredential(l.ICEPwd, stun.MinICEPwdLen) {
		return fmt.Errorf("%w: ice-pwd must have %d to %d letters, digits, + and /", ErrBadArgument,
			stun.MinICEPwdLen, stun.MaxICECredentialLen)
	}
	if len(l.Fingerprints) == 0 {
		return fmt.Errorf("%w: no certificate fingerprint", ErrBadArgument)
	}
	for _, f := range l.Fingerprints {
		if _, err := f.Bytes(); err != nil || f.HashFunction == "" {
			return fmt.Errorf("%w: fingerprint %q %q", ErrBadArgument, f.HashFunction, f.Value)
		}
	}
	if len(l.Addrs) == 0 {
		return fmt.Errorf("%w: no host address", ErrBadArgument)
	}
	if len(l.Addrs)+len(l.TCPAddrs) > maxCandidates {
		return fmt.Errorf("%w: %d candidates, at most %d", ErrBadArgument, len(l.Addrs)+len(l.TCPAddrs), maxCandidates)
	}
	for _, a := range append(l.Addrs[:len(l.Addrs):len(l.Addrs)], l.TCPAddrs...) {
		if !a.IsValid() || a.Port() == 0 || a.Addr().IsUnspecified() {
			return fmt.Errorf("%w: host address %v", ErrBadArgument, a)
		}
	}
	return nil
}

// session returns the session part the server writes in its offers and answers.
func (l Local) session() *sdp.Session {
	addr := l.Addrs[0].Addr().Unmap()
	return &sdp.Session{
		Origin: sdp.Origin{Username: "-", SessionID: l.SessionID, SessionVersion: l.SessionVersion,
			NetworkType: "IN", AddressType: addressType(addr.Is6()), Address: addr.String()},
		Name:    "-",
		Timings: []sdp.Timing{{}},
		ICELite: true,
	}
}

// media returns a media section with the server's address, ICE credentials, fingerprints, DTLS role and host
// candidates.
func (l Local) media(kind, protocol, mid string, setup sdp.Setup) *sdp.Media {
	return &sdp.Media{
		Kind:       kind,
		Port:       l.Addrs[0].Port(),
		Protocol:   protocol,
		Connection: l.connection(),
		MID:        mid,
		Transport: sdp.Transport{ICEUfrag: l.ICEUfrag, ICEPwd: l.ICEPwd,
			Fingerprints: append([]sdp.Fingerprint(nil), l.Fingerprints...), Setup: setup},
		RTCPMux:         true,
		Candidates:      l.candidates(),
		EndOfCandidates: true,
	}
}

// connection is the c= line of the first address.
func (l Local) connection() *sdp.Connection {
	addr := l.Addrs[0].Addr().Unmap()
	return &sdp.Connection{NetworkType: "IN", AddressType: addressType(addr.Is6()), Address: addr.String()}
}

// Candidate priorities (RFC 8445 section 5.1.2.1): type preference << 24 | local preference << 8 | 256 - component.
const (
	component = 1
	// udpTypePreference is RFC 8445's recommended value for host candidates.
	udpTypePreference = 126
	// tcpTypePreference ranks every ICE-TCP candidate below every UDP host one, as browsers rank their own
	// (libwebrtc gives host TCP 90), so that UDP wins whenever it works.
	tcpTypePreference = 90
	// passiveDirection is RFC 6544 section 4.2's direction preference of a passive host candidate, the high bits
	// of its local preference.
	passiveDirection = 4
	// maxCandidates keeps the local preferences of each kind distinct and within their bits.
	maxCandidates = 1 << 12
)

// candidates returns one UDP host candidate per address, then one passive ICE-TCP host candidate per TCP address,
// the first of each preferred.
func (l Local) candidates() []sdp.Candidate {
	out := make([]sdp.Candidate, 0, len(l.Addrs)+len(l.TCPAddrs))
	for i, a := range l.Addrs {
		out = append(out, hostCandidate(len(out)+1, "udp", udpTypePreference, uint32(65535-i), a))
	}
	for i, a := range l.TCPAddrs {
		c := hostCandidate(len(out)+1, "tcp", tcpTypePreference, passiveDirection<<13|uint32(8191-i), a)
		c.TCPType = "passive"
		out = append(out, c)
	}
	return out
}

// hostCandidate is the host candidate of address a with its foundation (distinct for every address and transport)
// and priority.
func hostCandidate(foundation int, transport string, typePreference, localPreference uint32, a netip.AddrPort) sdp.Candidate {
	return sdp.Candidate{
		Foundation: strconv.Itoa(foundation),
		Component:  component,
		Transport:  transport,
		Priority:   typePreference<<24 | localPreference<<8 | (256 - component),
		Address:    a.Addr().Unmap().String(),
		Port:       a.Port(),
		Type:       "host",
	}
}

func addressType(ipv6 bool) string {
	if ipv6 {
		return "IP6"
	}
	return "IP4"
}

// remoteTransport reads the remote ICE and DTLS parameters of section m (falling back to the session level).
func remoteTransport(s *sdp.Session, m *sdp.Media) (Transport, error) {
	t := m.Transport.Merge(s.Transport)
	if t.ICEUfrag == "" || t.ICEPwd == "" {
		return Transport{}, fmt.Errorf("%w: no ice-ufrag or ice-pwd for mid %q", ErrTransport, m.MID)
	}
	if len(t.Fingerprints) == 0 {
		return Transport{}, fmt.Errorf("%w: no DTLS fingerprint for mid %q", ErrTransport, m.MID)
	}
	return Transport{
		ICEUfrag: t.ICEUfrag, ICEPwd: t.ICEPwd, ICELite: s.ICELite, ICEOptions: t.ICEOptions,
		Fingerprints: t.Fingerprints, Setup: t.Setup, Candidates: m.Candidates,
		EndOfCandidates: m.EndOfCandidates || s.EndOfCandidates,
	}, nil
}
