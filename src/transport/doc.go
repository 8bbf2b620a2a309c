// Package transport owns the media plane's UDP sockets: it reads datagrams, sorts them by protocol (RFC 7983) and
// routes each one to the Endpoint of the WebRTC session it belongs to; it writes what the sessions send. It knows
// nothing of ICE, DTLS or SRTP beyond the first byte and the USERNAME of a STUN check: checking credentials is the
// session's job (package webrtc).
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
// By default (Config.Port, UDP_PORT) one socket per address family serves every session: one for IPv4, and one for
// IPv6 when Config.PublicIPv6 is set. With Config.PortMin and Config.PortMax (UDP_PORT_RANGE) each Endpoint gets
// its own socket(s) on a free port of the range instead, for deployments whose firewalls want one port per peer.
// Endpoint.LocalAddrs gives the candidates to put in SDP: the public addresses with the port the Endpoint is
// reached on.
//
// # Routing
//
// One read pump per socket reads into pooled buffers and routes each datagram without allocating:
//
//   - first byte 0..3 (STUN): a Binding request is routed by the local ufrag of its USERNAME ("local:remote") to
//     the Endpoint registered under that ufrag (unknown ufrag: dropped and counted, DropUnknownUfrag). Other STUN
//     messages (indications, responses) are routed like media, by source.
//   - first byte 20..63 (DTLS) and 128..191 (RTP, RTCP): routed by source address to the Endpoint that bound it
//     with Endpoint.Bind, which the session does after a valid connectivity check (unknown source: dropped and
//     counted, DropUnknownSource). A source is bound to at most one Endpoint: the latest Bind wins.
//   - anything else: dropped and counted (DropUnknownKind).
//
// Delivery is a non-blocking push into the Endpoint's bounded queue (full: dropped and counted, DropQueueFull), so
// a slow session never stalls the socket nor the other sessions. The session reads Endpoint.Inbound, handles each
// Packet and gives its buffer back with Packet.Release.
//
// # Concurrency and lifetime
//
// A Mux and its Endpoints are safe for concurrent use. Endpoint.WriteTo may be called from any goroutine (the
// socket serialises writes). Endpoint.Close unregisters the ufrag and every bound source, closes the Endpoint's
// own sockets in range mode and waits for their pumps, and releases the packets still queued; Mux.Close closes
// every socket and Endpoint and returns once every pump has ended. Every pump recovers from a panic, logs it and
// goes on reading.
//
// # Counters
//
// Mux.Stats and Endpoint.Stats return atomic counters: datagrams and bytes in and out, and drops by reason.
package transport
