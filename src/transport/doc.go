// Package transport owns the media plane's sockets: UDP, and ICE-TCP (RFC 6544) for browsers whose UDP is blocked.
// It reads datagrams and frames, sorts them by protocol (RFC 7983) and routes each one to the Endpoint of the
// WebRTC session it belongs to; it writes what the sessions send. It knows nothing of ICE, DTLS or SRTP beyond the
// first byte and the USERNAME of a STUN check: checking credentials is the session's job (package webrtc).
//
// # Addresses
//
// The candidates advertised are the public addresses when the deployment sets them (Config.PublicIPv4 and
// PublicIPv6, PUBLIC_IPV4 and PUBLIC_IPV6; behind a 1:1 NAT say): exactly those. Otherwise they are the host's
// usable interface addresses, so that a browser on the same machine or the same LAN can reach the server without
// any setting: interfaces up and running (Config.Interfaces, MEDIA_INTERFACES, may name the ones to use), IPv4
// then IPv6, without IPv4 or IPv6 link-local addresses (fe80::/10 needs a zone and browsers do not pair it), the
// loopback ones last (a browser pairs them only with a test flag). They are read again for new Endpoints when
// older than 10 s, so that a laptop that changes networks advertises its new address. Each Endpoint keeps the
// addresses of its creation: Endpoint.LocalAddrs gives its UDP candidates, Endpoint.LocalTCPAddrs its passive
// ICE-TCP ones (the same addresses, on the TCP port).
//
//	m, err := transport.NewMuxWith(transport.Config{Port: 42042, PublicIPv4: publicIP})
//	ep, err := m.NewEndpoint(localUfrag) // STUN checks whose USERNAME starts with localUfrag reach ep
//	candidates := ep.LocalAddrs()        // for the session's SDP
//	for p := range ep.Inbound() {        // one goroutine per Endpoint
//		... // after a valid check: ep.Bind(p.Source), and DTLS, RTP and RTCP from there reach ep too
//		p.Release()
//	}
//	err = ep.WriteTo(datagram, peer)
//	err = ep.Close() // then m.Close() for the sockets
//
// # Sockets
//
// By default (Config.Port, UDP_PORT) one UDP socket per address family serves every session: IPv4, and IPv6 when
// served (PublicIPv6 set, or the host has IPv6 and no public address is set). The sockets bind every interface
// (Config.ListenIPv4, ListenIPv6 narrow that), and a reply leaves from the address the kernel picks for its
// destination. With Config.PortMin and Config.PortMax (UDP_PORT_RANGE) each Endpoint gets its own socket(s) on a
// free port of the range instead, for deployments whose firewalls want one port per peer.
//
// With Config.TCP (ICE_TCP_PORT), one TCP listener per family on Config.TCPPort serves every session, in range mode
// too. Browsers connect to it (they are the active side) and send RFC 4571 frames: a 16-bit length, then one
// STUN, DTLS, RTP or RTCP packet.
//
// # Routing
//
// One read pump per UDP socket reads into pooled buffers and routes each datagram without allocating:
//
//   - first byte 0..3 (STUN): a Binding request is routed by the local ufrag of its USERNAME ("local:remote") to
//     the Endpoint registered under that ufrag (unknown ufrag: dropped and counted, DropUnknownUfrag). Other STUN
//     messages (indications, responses) are routed like media, by source.
//   - first byte 20..63 (DTLS) and 128..191 (RTP, RTCP): routed by source address to the Endpoint that bound it
//     with Endpoint.Bind, which the session does after a valid connectivity check (unknown source: dropped and
//     counted, DropUnknownSource). A source is bound to at most one Endpoint: the latest Bind wins.
//   - anything else: dropped and counted (DropUnknownKind).
//
// An ICE-TCP connection is routed the same way, with the connection in place of the source address: its first
// frame must be a Binding request whose ufrag names an Endpoint, which then gets every later frame of the
// connection (its STUN at once, whatever the USERNAME says, its DTLS and SRTP once the session has bound the
// connection after a verified check). A Packet's Source is an Addr: the UDP source address, or the remote end of
// the connection with Network TCP; the session binds it and writes to it alike.
//
// Delivery is a non-blocking push into the Endpoint's bounded queue (full: dropped and counted, DropQueueFull), so
// a slow session never stalls a socket, a connection or the other sessions. The session reads Endpoint.Inbound,
// handles each Packet and gives its buffer back with Packet.Release.
//
// # ICE-TCP limits
//
// A connection is a resource a stranger can hold, so each is bounded. Its reader closes it on the first frame
// that is not a Binding request naming a session, on a frame of an unknown kind or empty (TCPStats.ClosedGarbage),
// and on a frame longer than MaxDatagramSize (ClosedOversize: a browser never sends one, and no buffer grows for
// it). A connection without a verified check within Config.TCPBindTimeout is closed (ClosedBindTimeout), and at
// most Config.TCPMaxUnbound such connections exist at once: past that, new ones are closed at once (Rejected).
// Writes go through a queue per connection bounded in bytes (Config.TCPWriteQueue): WriteTo appends the frame and
// returns, its own writer goroutine writes the queue in one call; a full queue drops the frame and counts it
// (DropQueueFull, ErrWriteQueueFull), and a write blocked past Config.TCPWriteTimeout closes the connection
// (ClosedWriteStall). A peer that never reads thus loses its own frames, then its connection, and nobody else
// waits. An Endpoint keeps at most MaxBoundSources bound sources: a connection pushed out is closed.
//
// # Concurrency and lifetime
//
// A Mux and its Endpoints are safe for concurrent use. Endpoint.WriteTo may be called from any goroutine (the
// socket serialises writes, the connection's queue is locked). Endpoint.Close unregisters the ufrag and every
// bound source, closes the Endpoint's ICE-TCP connections and, in range mode, its own sockets (waiting for their
// pumps), and releases the packets still queued; Mux.Close closes every socket, listener, connection and Endpoint
// and returns once every pump has ended. Every pump recovers from a panic and logs it: a UDP or accept pump goes
// on, a connection's reader or writer closes its connection (its framing is lost).
//
// # Counters
//
// Mux.Stats and Endpoint.Stats return atomic counters: datagrams and bytes in and out, drops by reason, and for
// ICE-TCP (Stats.TCP) connections accepted, rejected and closed by cause, frames and bytes, write queue drops.
package transport
