package transport

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// MaxBoundSources is the number of source addresses an Endpoint keeps bound: a peer checks a few candidate pairs,
// then keeps one; the least recently bound is forgotten first.
const MaxBoundSources = 8

// Endpoint is the transport of one WebRTC session: its inbound queue, its routes, its socket(s) and its ICE-TCP
// connections. Make one with Mux.NewEndpoint.
type Endpoint struct {
	mux     *Mux
	ufrag   string
	addrs   []netip.Addr // the candidates' addresses, best first
	queue   chan *Packet
	sockets [numFamilies]*socket // the shared sockets, or the Endpoint's own in range mode; nil: family not served
	port    int                  // range mode: the reserved port
	pumps   sync.WaitGroup       // range mode: the own sockets' pumps
	stats   endpointCounters
	down    atomic.Bool // set by Close, before the routes go

	// guarded by mux.mu
	closed bool
	bound  []Addr                // least recently bound first
	tcp    map[*tcpConn]struct{} // the ICE-TCP connections whose first check named the Endpoint
}

// Ufrag returns the local ICE ufrag the Endpoint is registered under.
func (e *Endpoint) Ufrag() string { return e.ufrag }

// Inbound returns the queue of datagrams routed to the Endpoint. The receiver owns each Packet and must Release it.
// The channel is never closed: select on it together with the session's own end.
func (e *Endpoint) Inbound() <-chan *Packet { return e.queue }

// LocalAddrs returns the Endpoint's UDP candidates, best first: each address to advertise (the public ones, or the
// interfaces') with the port of the Endpoint's socket of its family.
func (e *Endpoint) LocalAddrs() []netip.AddrPort {
	addrs := make([]netip.AddrPort, 0, len(e.addrs))
	for _, a := range e.addrs {
		if s := e.sockets[familyOf(a)]; s != nil {
			addrs = append(addrs, netip.AddrPortFrom(a, uint16(s.port)))
		}
	}
	return addrs
}

// LocalTCPAddrs returns the Endpoint's passive ICE-TCP candidates, best first: the addresses of LocalAddrs with the
// ICE-TCP port; none when ICE-TCP is off.
func (e *Endpoint) LocalTCPAddrs() []netip.AddrPort {
	var addrs []netip.AddrPort
	for _, a := range e.addrs {
		if l := e.mux.listeners[familyOf(a)]; l != nil {
			addrs = append(addrs, netip.AddrPortFrom(a, uint16(l.port)))
		}
	}
	return addrs
}

// familyOf is the index of a's address family.
func familyOf(a netip.Addr) int {
	if a.Is4() || a.Is4In6() {
		return family4
	}
	return family6
}

// Bind routes what comes from src to the Endpoint: call it once a connectivity check from src has been verified.
// A UDP source bound to another Endpoint moves to this one; a TCP one must be an open ICE-TCP connection whose
// first check named this Endpoint (ErrNoConnection otherwise), and from now on its DTLS and SRTP frames are
// delivered and it no longer counts against the cap of connections without a verified check. Binding again a
// bound source marks it as the most recent; beyond MaxBoundSources the least recent is unbound (an ICE-TCP
// connection is closed).
func (e *Endpoint) Bind(src Addr) error {
	src = src.unmap()
	if src.Network == TCP {
		return e.bindTCP(src)
	}
	s := e.socketFor(src.AddrPort)
	if s == nil {
		return ErrAddressFamily
	}
	m := e.mux
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	if other := s.routes[src.AddrPort]; other != nil && other != e {
		other.forget(src)
	}
	s.routes[src.AddrPort] = e
	e.remember(src)
	return nil
}

// bindTCP binds the ICE-TCP connection from src.
func (e *Endpoint) bindTCP(src Addr) error {
	m := e.mux
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	c := m.tcpConns[src.AddrPort]
	if c == nil || c.endpoint != e {
		return ErrNoConnection
	}
	if !c.bound {
		c.bound = true
		m.tcpUnbound--
		c.deadline.Stop()
	}
	e.remember(src)
	return nil
}

// remember makes src the most recently bound source, and unroutes the least recent one past MaxBoundSources; the
// caller holds mux.mu.
func (e *Endpoint) remember(src Addr) {
	e.forget(src)
	e.bound = append(e.bound, src)
	if len(e.bound) > MaxBoundSources {
		oldest := e.bound[0]
		e.bound = append(e.bound[:0], e.bound[1:]...)
		e.unroute(oldest)
	}
}

// unroute stops routing src to e: the UDP route is removed, the ICE-TCP connection closed. The caller holds
// mux.mu.
func (e *Endpoint) unroute(src Addr) {
	if src.Network == TCP {
		if c := e.mux.tcpConns[src.AddrPort]; c != nil && c.endpoint == e {
			c.shutdown(&e.mux.stats.tcpClosedLocal)
		}
		return
	}
	if s := e.socketFor(src.AddrPort); s != nil && s.routes[src.AddrPort] == e {
		delete(s.routes, src.AddrPort)
	}
}

// forget removes src from e.bound; the caller holds mux.mu.
func (e *Endpoint) forget(src Addr) {
	for i, a := range e.bound {
		if a == src {
			e.bound = append(e.bound[:i], e.bound[i+1:]...)
			return
		}
	}
}

// Bound returns the sources bound to the Endpoint, least recently bound first.
func (e *Endpoint) Bound() []Addr {
	e.mux.mu.RLock()
	defer e.mux.mu.RUnlock()
	return append([]Addr(nil), e.bound...)
}

// socketFor returns the Endpoint's socket for the family of addr, nil when that family is not served.
func (e *Endpoint) socketFor(addr netip.AddrPort) *socket {
	if addr.Addr().Is4() {
		return e.sockets[family4]
	}
	if addr.Addr().Is6() {
		return e.sockets[family6]
	}
	return nil
}

// deliver queues p without blocking; the caller holds mux.mu for reading.
func (e *Endpoint) deliver(p *Packet) bool {
	n := len(p.Data) // p belongs to the receiver once queued
	select {
	case e.queue <- p:
		e.stats.datagramsIn.Add(1)
		e.stats.bytesIn.Add(uint64(n))
		return true
	default:
		e.stats.dropQueueFull.Add(1)
		return false
	}
}

// WriteTo sends one datagram to dst: from the Endpoint's socket of dst's family for UDP, queued as one RFC 4571
// frame on the ICE-TCP connection for TCP (ErrWriteQueueFull when its write queue is full: the frame is dropped
// and counted). It does not keep b, never blocks on a TCP peer, and may be called from any goroutine.
func (e *Endpoint) WriteTo(b []byte, dst Addr) error {
	if e.down.Load() {
		return ErrClosed
	}
	if len(b) > MaxDatagramSize {
		return ErrTooLarge
	}
	dst = dst.unmap()
	if dst.Network == TCP {
		return e.writeTCP(b, dst.AddrPort)
	}
	s := e.socketFor(dst.AddrPort)
	if s == nil {
		return ErrAddressFamily
	}
	n, err := s.conn.WriteToUDPAddrPort(b, dst.AddrPort)
	if err != nil {
		e.stats.writeErrors.Add(1)
		e.mux.stats.writeErrors.Add(1)
		if errors.Is(err, net.ErrClosed) {
			return ErrClosed
		}
		return err
	}
	e.stats.datagramsOut.Add(1)
	e.stats.bytesOut.Add(uint64(n))
	e.mux.stats.datagramsOut.Add(1)
	e.mux.stats.bytesOut.Add(uint64(n))
	return nil
}

// Stats returns the Endpoint's counters.
func (e *Endpoint) Stats() EndpointStats { return e.stats.snapshot() }

// Close unregisters the Endpoint (its ufrag and every bound source), closes its ICE-TCP connections, closes its
// own sockets in range mode and waits for their pumps, then releases the packets still queued. It is idempotent and safe from any goroutine,
// but the queue's reader must not expect more packets afterwards.
func (e *Endpoint) Close() error {
	e.down.Store(true)
	if !e.mux.unregister(e) {
		return nil
	}
	err := e.closeOwnSockets()
	for {
		select {
		case p := <-e.queue:
			p.Release()
		default:
			return err
		}
	}
}

// startPumps starts the read pumps of the Endpoint's own sockets (range mode).
func (e *Endpoint) startPumps() {
	for _, s := range e.sockets {
		if s != nil {
			e.pumps.Add(1)
			go func() {
				defer e.pumps.Done()
				s.pump()
			}()
		}
	}
}

// closeOwnSockets closes the Endpoint's own sockets (range mode), waits for their pumps and releases the port.
func (e *Endpoint) closeOwnSockets() error {
	if e.port == 0 {
		return nil
	}
	var errs []error
	for _, s := range e.sockets {
		if s != nil {
			errs = append(errs, s.close())
		}
	}
	e.pumps.Wait()
	e.mux.releasePort(e.port)
	return errors.Join(errs...)
}
