package transport

import "sync/atomic"

// Stats are the counters of a Mux (all its sockets and Endpoints) since it was created.
type Stats struct {
	// DatagramsIn and BytesIn count what the sockets read, dropped or not.
	DatagramsIn, BytesIn uint64
	// DatagramsOut and BytesOut count what was written successfully.
	DatagramsOut, BytesOut uint64
	// DropUnknownKind: the first byte is not STUN, DTLS, RTP or RTCP (RFC 7983), or the datagram is too short.
	DropUnknownKind uint64
	// DropUnknownUfrag: a STUN Binding request whose USERNAME names no registered Endpoint (or none at all).
	DropUnknownUfrag uint64
	// DropUnknownSource: a datagram (not a Binding request) from an address no Endpoint has bound.
	DropUnknownSource uint64
	// DropQueueFull: the Endpoint's inbound queue was full.
	DropQueueFull uint64
	// DropOversize: the datagram was larger than MaxDatagramSize.
	DropOversize uint64
	// ReadErrors and WriteErrors count failed socket calls; Panics counts pump panics recovered.
	ReadErrors, WriteErrors, Panics uint64
	// Endpoints is the number of registered Endpoints.
	Endpoints int
}

// EndpointStats are the counters of one Endpoint.
type EndpointStats struct {
	// DatagramsIn and BytesIn count what was queued for the Endpoint.
	DatagramsIn, BytesIn uint64
	// DatagramsOut and BytesOut count what WriteTo sent.
	DatagramsOut, BytesOut uint64
	// DropQueueFull counts datagrams dropped because the inbound queue was full.
	DropQueueFull uint64
	// WriteErrors counts failed WriteTo calls.
	WriteErrors uint64
}

// muxCounters are the atomic counters behind Stats.
type muxCounters struct {
	datagramsIn, bytesIn, datagramsOut, bytesOut                                      atomic.Uint64
	dropUnknownKind, dropUnknownUfrag, dropUnknownSource, dropQueueFull, dropOversize atomic.Uint64
	readErrors, writeErrors, panics                                                   atomic.Uint64
}

// endpointCounters are the atomic counters behind EndpointStats.
type endpointCounters struct {
	datagramsIn, bytesIn, datagramsOut, bytesOut, dropQueueFull, writeErrors atomic.Uint64
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
	}
}

func (c *endpointCounters) snapshot() EndpointStats {
	return EndpointStats{
		DatagramsIn:   c.datagramsIn.Load(),
		BytesIn:       c.bytesIn.Load(),
		DatagramsOut:  c.datagramsOut.Load(),
		BytesOut:      c.bytesOut.Load(),
		DropQueueFull: c.dropQueueFull.Load(),
		WriteErrors:   c.writeErrors.Load(),
	}
}
