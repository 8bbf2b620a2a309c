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

// Endpoint is the transport of one WebRTC session: its inbound queue, its routes and its socket(s). Make one with
// Mux.NewEndpoint.
type Endpoint struct {
	mux     *Mux
	ufrag   string
	queue   chan *Packet
	sockets [numFamilies]*socket // the shared sockets, or the Endpoint's own in range mode; nil: family not served
	port    int                  // range mode: the reserved port
	pumps   sync.WaitGroup       // range mode: the own sockets' pumps
	stats   endpointCounters
	down    atomic.Bool // set by Close, before the routes go

	// guarded by mux.mu
	closed bool
	bound  []netip.AddrPort // least recently bound first
}

// Ufrag returns the local ICE ufrag the Endpoint is registered under.
func (e *Endpoint) Ufrag() string { return e.ufrag }

// Inbound returns the queue of datagrams routed to the Endpoint. The receiver owns each Packet and must Release it.
// The channel is never closed: select on it together with the session's own end.
func (e *Endpoint) Inbound() <-chan *Packet { return e.queue }

// LocalAddrs returns the Endpoint's candidates: the public IPv4 address (then IPv6 when served) with the port the
// Endpoint is reached on.
func (e *Endpoint) LocalAddrs() []netip.AddrPort {
	addrs := make([]netip.AddrPort, 0, numFamilies)
	if s := e.sockets[family4]; s != nil {
		addrs = append(addrs, netip.AddrPortFrom(e.mux.cfg.PublicIPv4, uint16(s.port)))
	}
	if s := e.sockets[family6]; s != nil {
		addrs = append(addrs, netip.AddrPortFrom(e.mux.cfg.PublicIPv6, uint16(s.port)))
	}
	return addrs
}

// Bind routes the datagrams from src to the Endpoint: call it once a connectivity check from src has been
// verified. A source bound to another Endpoint moves to this one. Binding again a bound source marks it as the
// most recent; beyond MaxBoundSources the least recent is unbound.
func (e *Endpoint) Bind(src netip.AddrPort) error {
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	s := e.socketFor(src)
	if s == nil {
		return ErrAddressFamily
	}
	m := e.mux
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	if other := s.routes[src]; other != nil && other != e {
		other.forget(src)
	}
	s.routes[src] = e
	e.forget(src)
	e.bound = append(e.bound, src)
	if len(e.bound) > MaxBoundSources {
		oldest := e.bound[0]
		e.bound = append(e.bound[:0], e.bound[1:]...)
		if os := e.socketFor(oldest); os != nil && os.routes[oldest] == e {
			delete(os.routes, oldest)
		}
	}
	return nil
}

// forget removes src from e.bound; the caller holds mux.mu.
func (e *Endpoint) forget(src netip.AddrPort) {
	for i, a := range e.bound {
		if a == src {
			e.bound = append(e.bound[:i], e.bound[i+1:]...)
			return
		}
	}
}

// Bound returns the sources bound to the Endpoint, least recently bound first.
func (e *Endpoint) Bound() []netip.AddrPort {
	e.mux.mu.RLock()
	defer e.mux.mu.RUnlock()
	return append([]netip.AddrPort(nil), e.bound...)
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

// WriteTo sends one datagram to dst from the Endpoint's socket of dst's family. It does not keep b and may be
// called from any goroutine.
func (e *Endpoint) WriteTo(b []byte, dst netip.AddrPort) error {
	if e.down.Load() {
		return ErrClosed
	}
	if len(b) > MaxDatagramSize {
		return ErrTooLarge
	}
	dst = netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	s := e.socketFor(dst)
	if s == nil {
		return ErrAddressFamily
	}
	n, err := s.conn.WriteToUDPAddrPort(b, dst)
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

// Close unregisters the Endpoint (its ufrag and every bound source), closes its own sockets in range mode and
// waits for their pumps, then releases the packets still queued. It is idempotent and safe from any goroutine,
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
