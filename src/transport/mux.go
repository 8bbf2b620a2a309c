package transport

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/stun"
)

// Address families, the index of an Endpoint's sockets.
const (
	family4 = iota
	family6
	numFamilies
)

// Mux owns the sockets of the media plane (UDP, and the ICE-TCP listeners and connections) and routes what they
// receive to Endpoints. See the package documentation.
type Mux struct {
	cfg      Config
	logger   *slog.Logger
	stats    muxCounters
	pumps    sync.WaitGroup
	hosts    *hostAddrs
	families [numFamilies]bool // the address families served

	// mu guards the routing tables (byUfrag, every socket's routes, tcpConns, every Endpoint's bound sources and
	// TCP connections, every connection's endpoint and bound flag) and the fields below. Pumps hold it for
	// reading while they route; it is never held across I/O.
	mu         sync.RWMutex
	closed     bool
	byUfrag    map[string]*Endpoint
	shared     [numFamilies]*socket      // single-port mode; nil in range mode and for a family not served
	listeners  [numFamilies]*tcpListener // ICE-TCP; nil when off and for a family not served
	tcpConns   map[netip.AddrPort]*tcpConn
	tcpUnbound int          // connections without a verified check
	ports      map[int]bool // range mode: ports reserved by Endpoints
	nextPort   int          // range mode: where the search for a free port starts
}

// NewMuxWith validates cfg, reads the addresses to advertise, opens the shared sockets (single-port mode) and the
// ICE-TCP listeners, and starts their pumps.
func NewMuxWith(cfg Config) (*Mux, error) {
	if err := cfg.applyDefaults(); err != nil {
		return nil, err
	}
	hosts, err := newHostAddrs(&cfg, readInterfaces)
	if err != nil {
		return nil, err
	}
	m := &Mux{
		cfg:      cfg,
		logger:   cfg.Logger,
		hosts:    hosts,
		byUfrag:  make(map[string]*Endpoint),
		tcpConns: make(map[netip.AddrPort]*tcpConn),
		ports:    make(map[int]bool),
		nextPort: cfg.PortMin,
	}
	m.families[family4] = cfg.serves(family4)
	m.families[family6] = cfg.serves(family6) && (cfg.fixedAddrs() || ipv6Available())
	if !cfg.rangeMode() {
		sockets, err := m.openSockets(cfg.Port, nil)
		if err != nil {
			return nil, err
		}
		m.shared = sockets
	}
	if cfg.TCP {
		if err := m.openListeners(); err != nil {
			return nil, errors.Join(err, m.closeSockets())
		}
	}
	m.startPumps(m.shared)
	m.startAccepts()
	addrs, _ := hosts.get(time.Now())
	m.logger.Info("media transport listening", "udpPort", m.udpPorts(), "tcpPort", m.tcpPort(),
		"ipv6", m.families[family6], "candidates", fmt.Sprint(addrs), "fromInterfaces", !cfg.fixedAddrs())
	return m, nil
}

// ipv6Available reports whether the host can open an IPv6 socket (a kernel may have IPv6 off).
func ipv6Available() bool {
	c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6unspecified})
	if err != nil {
		return false
	}
	return c.Close() == nil
}

// udpPorts is the UDP port for the start line: the shared one, or the range.
func (m *Mux) udpPorts() string {
	if m.cfg.rangeMode() {
		return fmt.Sprintf("%d-%d", m.cfg.PortMin, m.cfg.PortMax)
	}
	for _, s := range m.shared {
		if s != nil {
			return strconv.Itoa(s.port)
		}
	}
	return ""
}

// listenIP is the address the sockets of family f bind.
func (m *Mux) listenIP(f int) netip.Addr {
	if f == family6 {
		return m.cfg.ListenIPv6
	}
	return m.cfg.ListenIPv4
}

// openSockets opens the UDP socket of each family served on port (0: any port for the first, then the same one
// for the other).
func (m *Mux) openSockets(port int, owner *Endpoint) ([numFamilies]*socket, error) {
	var sockets [numFamilies]*socket
	for f := range numFamilies {
		if !m.families[f] {
			continue
		}
		s, err := listen(m, f, m.listenIP(f), port, owner)
		if err != nil {
			errs := []error{err}
			for _, open := range sockets {
				if open != nil {
					errs = append(errs, open.close())
				}
			}
			return [numFamilies]*socket{}, errors.Join(errs...)
		}
		sockets[f] = s
		port = s.port
	}
	return sockets, nil
}

// closeSockets closes the shared sockets; their pumps, if started, end.
func (m *Mux) closeSockets() error {
	var errs []error
	for _, s := range m.shared {
		if s != nil {
			errs = append(errs, s.close())
		}
	}
	return errors.Join(errs...)
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
// with "ufrag:" are routed to it from now on, on UDP and on new ICE-TCP connections. In range mode it also opens
// the Endpoint's own socket(s). The Endpoint's candidates are the addresses to advertise at this moment.
func (m *Mux) NewEndpoint(ufrag string) (*Endpoint, error) {
	if !stun.ValidICECredential(ufrag, stun.MinICEUfragLen) {
		return nil, ErrBadUfrag
	}
	addrs, err := m.hosts.get(time.Now())
	if err != nil {
		m.logger.Warn("transport: reading the interfaces' addresses failed, the previous ones are advertised",
			"err", err, "candidates", fmt.Sprint(addrs))
	}
	e := &Endpoint{
		mux:     m,
		ufrag:   ufrag,
		addrs:   addrs,
		queue:   make(chan *Packet, m.cfg.QueueLen),
		sockets: m.shared,
		tcp:     make(map[*tcpConn]struct{}),
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

// unregister removes e from every routing table and shuts its ICE-TCP connections. It reports false when e was
// already unregistered.
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
		e.unroute(src)
	}
	e.bound = nil
	for c := range e.tcp {
		c.shutdown(&m.stats.tcpClosedLocal)
	}
	return true
}

// route delivers one UDP datagram read on s, or drops and counts it. msg is the pump's reusable STUN message.
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
	e, unrouted := m.lookup(s, p.Source.AddrPort, ufrag)
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
	st.TCPConns, st.TCPUnbound = len(m.tcpConns), m.tcpUnbound
	m.mu.RUnlock()
	return st
}

// Close closes every Endpoint, socket, listener and ICE-TCP connection and returns once every pump has ended. It
// is idempotent.
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
	errs = append(errs, m.closeSockets(), m.closeListeners())
	m.mu.Lock()
	for _, c := range m.tcpConns {
		c.shutdown(&m.stats.tcpClosedLocal)
	}
	m.mu.Unlock()
	m.pumps.Wait()
	return errors.Join(errs...)
}
