package transport

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/heytribe/live-webrtcsignaling/src/stun"
)

// Address families, the index of an Endpoint's sockets.
const (
	family4 = iota
	family6
	numFamilies
)

// Mux owns the UDP sockets of the media plane and routes their datagrams to Endpoints. See the package
// documentation.
type Mux struct {
	cfg    Config
	logger *slog.Logger
	stats  muxCounters
	pumps  sync.WaitGroup

	// mu guards the routing tables (byUfrag, every socket's routes and every Endpoint's bound sources) and the
	// fields below. Pumps hold it for reading while they route; it is never held across I/O.
	mu       sync.RWMutex
	closed   bool
	byUfrag  map[string]*Endpoint
	shared   [numFamilies]*socket // single-port mode; nil in range mode and for IPv6 when not served
	ports    map[int]bool         // range mode: ports reserved by Endpoints
	nextPort int                  // range mode: where the search for a free port starts
}

// NewMuxWith validates cfg, opens the shared sockets (single-port mode) and starts their read pumps.
func NewMuxWith(cfg Config) (*Mux, error) {
	if err := cfg.applyDefaults(); err != nil {
		return nil, err
	}
	m := &Mux{
		cfg:      cfg,
		logger:   cfg.Logger,
		byUfrag:  make(map[string]*Endpoint),
		ports:    make(map[int]bool),
		nextPort: cfg.PortMin,
	}
	if cfg.rangeMode() {
		m.logger.Info("media UDP in range mode", "portMin", cfg.PortMin, "portMax", cfg.PortMax)
		return m, nil
	}
	sockets, err := m.openSockets(cfg.Port, nil)
	if err != nil {
		return nil, err
	}
	m.shared = sockets
	m.startPumps(sockets)
	m.logger.Info("media UDP listening", "port", sockets[family4].port, "ipv6", sockets[family6] != nil)
	return m, nil
}

// openSockets opens the socket of each family served on port (0: any port for IPv4, then the same one for IPv6).
func (m *Mux) openSockets(port int, owner *Endpoint) ([numFamilies]*socket, error) {
	var sockets [numFamilies]*socket
	v4, err := listen(m, family4, m.cfg.ListenIPv4, port, owner)
	if err != nil {
		return sockets, err
	}
	sockets[family4] = v4
	if m.cfg.ipv6() {
		v6, err := listen(m, family6, m.cfg.ListenIPv6, v4.port, owner)
		if err != nil {
			return sockets, errors.Join(err, v4.conn.Close())
		}
		sockets[family6] = v6
	}
	return sockets, nil
}

func (m *Mux) startPumps(sockets [numFamilies]*socket) {
	for _, s := range sockets {
		if s != nil {
			m.pumps.Add(1)
			go func() {
				defer m.pumps.Done()
				s.pump()
			}()
		}
	}
}

// NewEndpoint registers an Endpoint under the local ICE ufrag of a session: Binding requests whose USERNAME starts
// with "ufrag:" are routed to it from now on. In range mode it also opens the Endpoint's own socket(s).
func (m *Mux) NewEndpoint(ufrag string) (*Endpoint, error) {
	if !stun.ValidICECredential(ufrag, stun.MinICEUfragLen) {
		return nil, ErrBadUfrag
	}
	e := &Endpoint{
		mux:     m,
		ufrag:   ufrag,
		queue:   make(chan *Packet, m.cfg.QueueLen),
		sockets: m.shared,
	}
	if m.cfg.rangeMode() {
		sockets, err := m.openOwnSockets(e)
		if err != nil {
			return nil, err
		}
		e.sockets = sockets
	}
	if err := m.reserve(e); err != nil {
		return nil, errors.Join(err, e.closeOwnSockets())
	}
	if m.cfg.rangeMode() {
		e.startPumps()
	}
	return e, nil
}

// reserve registers e's ufrag.
func (m *Mux) reserve(e *Endpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if _, taken := m.byUfrag[e.ufrag]; taken {
		return ErrUfragInUse
	}
	m.byUfrag[e.ufrag] = e
	return nil
}

// openOwnSockets finds a free port of the range for e. Ports are reserved under the lock and bound outside it.
func (m *Mux) openOwnSockets(e *Endpoint) ([numFamilies]*socket, error) {
	span := m.cfg.PortMax - m.cfg.PortMin + 1
	var lastErr error
	for range span {
		port, ok := m.reservePort()
		if !ok {
			break
		}
		sockets, err := m.openSockets(port, e)
		if err == nil {
			e.port = port
			return sockets, nil
		}
		lastErr = err
		m.releasePort(port)
	}
	if lastErr != nil {
		return [numFamilies]*socket{}, fmt.Errorf("%w %d-%d: %w", ErrNoPort, m.cfg.PortMin, m.cfg.PortMax, lastErr)
	}
	return [numFamilies]*socket{}, fmt.Errorf("%w %d-%d", ErrNoPort, m.cfg.PortMin, m.cfg.PortMax)
}

// reservePort takes the next port of the range that no Endpoint holds, round robin, so that a port just released
// is reused last (late datagrams of the old session find no one).
func (m *Mux) reservePort() (int, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for range m.cfg.PortMax - m.cfg.PortMin + 1 {
		port := m.nextPort
		m.nextPort++
		if m.nextPort > m.cfg.PortMax {
			m.nextPort = m.cfg.PortMin
		}
		if !m.ports[port] {
			m.ports[port] = true
			return port, true
		}
	}
	return 0, false
}

func (m *Mux) releasePort(port int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.ports, port)
}

// unregister removes e from every routing table. It reports false when e was already unregistered.
func (m *Mux) unregister(e *Endpoint) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.closed {
		return false
	}
	e.closed = true
	if m.byUfrag[e.ufrag] == e {
		delete(m.byUfrag, e.ufrag)
	}
	for _, src := range e.bound {
		if s := e.socketFor(src); s != nil && s.routes[src] == e {
			delete(s.routes, src)
		}
	}
	e.bound = nil
	return true
}

// route delivers one datagram read on s, or drops and counts it. msg is the pump's reusable STUN message.
func (m *Mux) route(s *socket, p *Packet, msg *stun.Message) {
	m.stats.datagramsIn.Add(1)
	m.stats.bytesIn.Add(uint64(len(p.Data)))
	p.Kind = Classify(p.Data)
	if p.Kind == KindUnknown {
		m.drop(p, &m.stats.dropUnknownKind)
		return
	}
	var ufrag []byte
	if p.Kind == KindSTUN {
		ufrag = checkUfrag(p.Data, msg)
	}
	m.mu.RLock()
	e, unrouted := m.lookup(s, p.Source, ufrag)
	delivered := e != nil && e.deliver(p)
	m.mu.RUnlock()
	switch {
	case delivered:
	case e != nil:
		m.drop(p, &m.stats.dropQueueFull)
	default:
		m.drop(p, unrouted)
	}
}

// lookup finds the Endpoint of a datagram read on s: by ufrag for a Binding request (ufrag not nil), by source
// otherwise. Without one, it returns the counter of the drop. The caller holds mu.
func (m *Mux) lookup(s *socket, source netip.AddrPort, ufrag []byte) (*Endpoint, *atomic.Uint64) {
	if ufrag == nil {
		return s.routes[source], &m.stats.dropUnknownSource
	}
	e := m.byUfrag[string(ufrag)]
	if e != nil && e.sockets[s.family] != s {
		e = nil // the ufrag of an Endpoint on another port (range mode)
	}
	return e, &m.stats.dropUnknownUfrag
}

// checkUfrag returns the local ufrag of a Binding request (aliasing b), an empty non-nil slice for a Binding
// request without a usable USERNAME, and nil for any other STUN message, which is routed by source.
func checkUfrag(b []byte, msg *stun.Message) []byte {
	if err := msg.Parse(b); err != nil || msg.Type() != stun.BindingRequest {
		return nil
	}
	local, _, err := msg.ICEUsername()
	if err != nil {
		return []byte{}
	}
	return local
}

func (m *Mux) drop(p *Packet, counter *atomic.Uint64) {
	counter.Add(1)
	p.Release()
}

// Stats returns the Mux's counters.
func (m *Mux) Stats() Stats {
	st := m.stats.snapshot()
	m.mu.RLock()
	st.Endpoints = len(m.byUfrag)
	m.mu.RUnlock()
	return st
}

// Close closes every Endpoint and socket and returns once every read pump has ended. It is idempotent.
func (m *Mux) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	endpoints := make([]*Endpoint, 0, len(m.byUfrag))
	for _, e := range m.byUfrag {
		endpoints = append(endpoints, e)
	}
	m.mu.Unlock()
	var errs []error
	for _, e := range endpoints {
		errs = append(errs, e.Close())
	}
	for _, s := range m.shared {
		if s != nil {
			errs = append(errs, s.close())
		}
	}
	m.pumps.Wait()
	return errors.Join(errs...)
}
