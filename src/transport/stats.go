package transport

import "sync/atomic"

// Stats are the counters of a Mux (all its sockets, ICE-TCP connections and Endpoints) since it was created.
type Stats struct {
	// DatagramsIn and BytesIn count what the UDP sockets read, dropped or not.
	DatagramsIn, BytesIn uint64
	// DatagramsOut and BytesOut count what was written successfully to the UDP sockets.
	DatagramsOut, BytesOut uint64
	// DropUnknownKind: the first byte is not STUN, DTLS, RTP or RTCP (RFC 7983), or the datagram is too short.
	DropUnknownKind uint64
	// DropUnknownUfrag: a STUN Binding request whose USERNAME names no registered Endpoint (or none at all); on
	// ICE-TCP, the first frame of a connection (which is then closed).
	DropUnknownUfrag uint64
	// DropUnknownSource: a datagram (not a Binding request) from an address no Endpoint has bound, or a DTLS or
	// SRTP frame on an ICE-TCP connection before a verified check.
	DropUnknownSource uint64
	// DropQueueFull: the Endpoint's inbound queue was full.
	DropQueueFull uint64
	// DropOversize: the datagram was larger than MaxDatagramSize.
	DropOversize uint64
	// ReadErrors and WriteErrors count failed socket calls; Panics counts pump panics recovered.
	ReadErrors, WriteErrors, Panics uint64
	// Endpoints is the number of registered Endpoints.
	Endpoints int

	// TCP counts the ICE-TCP side.
	TCP TCPStats
	// TCPConns is the number of open ICE-TCP connections, TCPUnbound those without a verified check yet.
	TCPConns, TCPUnbound int
}

// TCPStats are the counters of the ICE-TCP connections.
type TCPStats struct {
	// Accepted counts the connections taken; Rejected those closed at once because TCPMaxUnbound connections
	// were waiting for a verified check already (or another connection has the same remote address).
	Accepted, Rejected uint64
	// FramesIn and BytesIn count the frames read (payload bytes, without the length prefix), dropped or not;
	// FramesOut and BytesOut what was written (bytes with the prefix).
	FramesIn, BytesIn, FramesOut, BytesOut uint64
	// DropQueueFull counts the frames dropped because the connection's write queue was full: its peer reads too
	// slowly.
	DropQueueFull uint64
	// Connections closed, by cause: the peer closed or reset it (ClosedPeer); it sent something that is not a
	// STUN, DTLS, RTP or RTCP frame, an empty frame, or a first frame that is not a Binding request naming a
	// session (ClosedGarbage); a frame larger than MaxDatagramSize (ClosedOversize); no verified check within
	// TCPBindTimeout (ClosedBindTimeout); a write blocked past TCPWriteTimeout or failed (ClosedWriteStall); the
	// server closed it, with its session or at shutdown (ClosedLocal).
	ClosedPeer, ClosedGarbage, ClosedOversize, ClosedBindTimeout, ClosedWriteStall, ClosedLocal uint64
	// AcceptErrors counts failed accepts.
	AcceptErrors uint64
}

// EndpointStats are the counters of one Endpoint.
type EndpointStats struct {
	// DatagramsIn and BytesIn count what was queued for the Endpoint, UDP datagrams and ICE-TCP frames.
	DatagramsIn, BytesIn uint64
	// DatagramsOut and BytesOut count what WriteTo sent on UDP or queued on ICE-TCP.
	DatagramsOut, BytesOut uint64
	// DropQueueFull counts datagrams dropped because the inbound queue was full.
	DropQueueFull uint64
	// TCPDropQueueFull counts frames WriteTo dropped because the ICE-TCP connection's write queue was full.
	TCPDropQueueFull uint64
	// WriteErrors counts failed WriteTo calls.
	WriteErrors uint64
}

// muxCounters are the atomic counters behind Stats.
type muxCounters struct {
	datagramsIn, bytesIn, datagramsOut, bytesOut                                      atomic.Uint64
	dropUnknownKind, dropUnknownUfrag, dropUnknownSource, dropQueueFull, dropOversize atomic.Uint64
	readErrors, writeErrors, panics                                                   atomic.Uint64

	tcpAccepted, tcpRejected, tcpAcceptErrors                            atomic.Uint64
	tcpFramesIn, tcpBytesIn, tcpFramesOut, tcpBytesOut, tcpDropQueueFull atomic.Uint64
	tcpClosedPeer, tcpClosedGarbage, tcpClosedOversize                   atomic.Uint64
	tcpClosedBindTimeout, tcpClosedWriteStall, tcpClosedLocal            atomic.Uint64
}

// endpointCounters are the atomic counters behind EndpointStats.
type endpointCounters struct {
	datagramsIn, bytesIn, datagramsOut, bytesOut, dropQueueFull, tcpDropQueueFull, writeErrors atomic.Uint64
}

func (c *muxCounters) snapshot() Stats {
	return Stats{
		DatagramsIn:       c.datagramsIn.Load(),
		BytesIn:           c.bytesIn.Load(),
		DatagramsOut:      c.datagramsOut.Load(),
		BytesOut:          c.bytesOut.Load(),
		DropUnknownKind:   c.dropUnknownKind.Load(),
		DropUnknownUfrag:  c.dropUnknownUfrag.Load(),
		DropUnknownSource: c.dropUnknownSource.Load(),
		DropQueueFull:     c.dropQueueFull.Load(),
		DropOversize:      c.dropOversize.Load(),
		ReadErrors:        c.readErrors.Load(),
		WriteErrors:       c.writeErrors.Load(),
		Panics:            c.panics.Load(),
		TCP: TCPStats{
			Accepted:          c.tcpAccepted.Load(),
			Rejected:          c.tcpRejected.Load(),
			FramesIn:          c.tcpFramesIn.Load(),
			BytesIn:           c.tcpBytesIn.Load(),
			FramesOut:         c.tcpFramesOut.Load(),
			BytesOut:          c.tcpBytesOut.Load(),
			DropQueueFull:     c.tcpDropQueueFull.Load(),
			ClosedPeer:        c.tcpClosedPeer.Load(),
			ClosedGarbage:     c.tcpClosedGarbage.Load(),
			ClosedOversize:    c.tcpClosedOversize.Load(),
			ClosedBindTimeout: c.tcpClosedBindTimeout.Load(),
			ClosedWriteStall:  c.tcpClosedWriteStall.Load(),
			ClosedLocal:       c.tcpClosedLocal.Load(),
			AcceptErrors:      c.tcpAcceptErrors.Load(),
		},
	}
}

func (c *endpointCounters) snapshot() EndpointStats {
	return EndpointStats{
		DatagramsIn:      c.datagramsIn.Load(),
		BytesIn:          c.bytesIn.Load(),
		DatagramsOut:     c.datagramsOut.Load(),
		BytesOut:         c.bytesOut.Load(),
		DropQueueFull:    c.dropQueueFull.Load(),
		TCPDropQueueFull: c.tcpDropQueueFull.Load(),
		WriteErrors:      c.writeErrors.Load(),
	}
}
