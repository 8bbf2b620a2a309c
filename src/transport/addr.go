package transport

import "net/netip"

// Network is the transport protocol a peer is reached over.
type Network uint8

// The networks of the media plane: UDP, and ICE-TCP (RFC 6544) for peers whose UDP is blocked.
const (
	UDP Network = iota
	TCP
)

// String names the network as candidates do: "udp" or "tcp".
func (n Network) String() string {
	if n == TCP {
		return "tcp"
	}
	return "udp"
}

// Addr is where a peer is reached: the source address of its UDP datagrams, or the remote end of its ICE-TCP
// connection (one connection per remote address and port). It is comparable: a session compares the source of a
// check with its selected Addr.
type Addr struct {
	AddrPort netip.AddrPort
	Network  Network
}

// UDPAddr is the Addr of a UDP peer.
func UDPAddr(a netip.AddrPort) Addr { return Addr{AddrPort: a, Network: UDP} }

// TCPAddr is the Addr of the remote end of an ICE-TCP connection.
func TCPAddr(a netip.AddrPort) Addr { return Addr{AddrPort: a, Network: TCP} }

// IsValid reports whether the address and port are set.
func (a Addr) IsValid() bool { return a.AddrPort.IsValid() }

// String is the address and port, followed by "/tcp" for ICE-TCP: a UDP Addr prints as its netip.AddrPort.
func (a Addr) String() string {
	if a.Network == TCP {
		return a.AddrPort.String() + "/tcp"
	}
	return a.AddrPort.String()
}

// unmap returns a with an IPv4-mapped IPv6 address made IPv4, as the routes store it.
func (a Addr) unmap() Addr {
	a.AddrPort = netip.AddrPortFrom(a.AddrPort.Addr().Unmap(), a.AddrPort.Port())
	return a
}
