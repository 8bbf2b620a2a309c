package transport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/stun"
)

// tcpReadBuffer is the read buffer of one ICE-TCP connection: a few frames per read call.
const tcpReadBuffer = 4 << 10

// Framing errors (RFC 4571: each frame is a 16-bit big-endian length, then that many bytes).
var (
	errEmptyFrame    = errors.New("transport: empty ICE-TCP frame")
	errFrameTooLarge = errors.New("transport: ICE-TCP frame larger than a datagram")
)

// readFrame reads one RFC 4571 frame from r into buf and returns its length. A frame longer than buf is
// errFrameTooLarge and an empty one errEmptyFrame, both read no further; a stream that ends mid-frame is
// io.ErrUnexpectedEOF.
func readFrame(r *bufio.Reader, buf []byte) (int, error) {
	hi, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	lo, err := r.ReadByte()
	if err != nil {
		return 0, noEOF(err)
	}
	n := int(hi)<<8 | int(lo)
	switch {
	case n == 0:
		return 0, errEmptyFrame
	case n > len(buf):
		return 0, errFrameTooLarge
	}
	if _, err := io.ReadFull(r, buf[:n]); err != nil {
		return 0, noEOF(err)
	}
	return n, nil
}

// noEOF turns the end of the stream inside a frame into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// appendFrame appends b as one RFC 4571 frame.
func appendFrame(dst, b []byte) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(b)))
	return append(dst, b...)
}

// tcpListener is one ICE-TCP listening socket, shared by every session.
type tcpListener struct {
	mux    *Mux
	ln     *net.TCPListener
	family int
	port   int
}

// openListeners opens the ICE-TCP listener of each family served, on TCPPort (0: any port for the first, then the
// same one for the other).
func (m *Mux) openListeners() error {
	port := m.cfg.TCPPort
	for f := range numFamilies {
		if !m.families[f] {
			continue
		}
		network := "tcp4"
		if f == family6 {
			network = "tcp6"
		}
		ln, err := net.ListenTCP(network, net.TCPAddrFromAddrPort(netip.AddrPortFrom(m.listenIP(f), uint16(port))))
		if err != nil {
			return errors.Join(fmt.Errorf("transport: listen %s port %d: %w", network, port, err), m.closeListeners())
		}
		l := &tcpListener{mux: m, ln: ln, family: f, port: ln.Addr().(*net.TCPAddr).Port}
		m.listeners[f] = l
		port = l.port
	}
	return nil
}

// closeListeners closes the ICE-TCP listeners; their accept loops, if started, end.
func (m *Mux) closeListeners() error {
	var errs []error
	for _, l := range m.listeners {
		if l == nil {
			continue
		}
		if err := l.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("transport: close TCP port %d: %w", l.port, err))
		}
	}
	return errors.Join(errs...)
}

// tcpPort is the ICE-TCP port, 0 when ICE-TCP is off.
func (m *Mux) tcpPort() int {
	for _, l := range m.listeners {
		if l != nil {
			return l.port
		}
	}
	return 0
}

func (m *Mux) startAccepts() {
	for _, l := range m.listeners {
		if l != nil {
			m.pumps.Add(1)
			go func() {
				defer m.pumps.Done()
				for l.accept() {
				}
			}()
		}
	}
}

// accept takes connections until the listener is closed (false) or a panic was recovered (true: accept again).
func (l *tcpListener) accept() (again bool) {
	m := l.mux
	defer func() {
		if r := recover(); r != nil {
			m.stats.panics.Add(1)
			m.logger.Error("transport: panic in TCP accept loop", "port", l.port, "panic", r, "stack", string(debug.Stack()))
			again = true
		}
	}()
	failing := false
	for {
		conn, err := l.ln.AcceptTCP()
		switch {
		case errors.Is(err, net.ErrClosed):
			return false
		case err != nil:
			// Out of file descriptors, say: spaced, so that it cannot spin a core.
			m.stats.tcpAcceptErrors.Add(1)
			if !failing {
				m.logger.Warn("transport: TCP accept failed", "port", l.port, "err", err)
			}
			failing = true
			time.Sleep(readErrorBackoff)
			continue
		}
		failing = false
		m.admit(conn)
	}
}

// tcpConn is one ICE-TCP connection. Its first frame must be a Binding request whose USERNAME names an Endpoint:
// that Endpoint gets every later frame (its STUN at once, its DTLS and SRTP once a check is verified and the
// session binds the connection). Frames to the peer go through a write queue bounded in bytes, written by the
// connection's own writer, so that a peer that reads slowly only loses its own frames.
type tcpConn struct {
	mux      *Mux
	conn     *net.TCPConn
	remote   Addr
	deadline *time.Timer   // closes the connection if no check is verified in time
	done     chan struct{} // closed by shutdown
	once     sync.Once

	// guarded by mux.mu
	endpoint *Endpoint // set by the first frame
	bound    bool      // a check on the connection was verified (Endpoint.Bind)

	wmu           sync.Mutex
	pending       []byte // frames waiting for the writer, with their length prefixes
	pendingFrames int
	spare         []byte        // the writer's other buffer, nil while it writes it
	wake          chan struct{} // capacity 1: pending has frames
}

// admit registers a new connection and starts its reader and writer, or closes it at once when the Mux is closed,
// TCPMaxUnbound connections wait for a check already, or another connection has the same remote address.
func (m *Mux) admit(conn *net.TCPConn) {
	var remote netip.AddrPort
	if a, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
		remote = a.AddrPort()
		remote = netip.AddrPortFrom(remote.Addr().Unmap().WithZone(""), remote.Port())
	}
	m.mu.Lock()
	_, taken := m.tcpConns[remote]
	reject := m.closed || !remote.IsValid() || taken || m.tcpUnbound >= m.cfg.TCPMaxUnbound
	if reject {
		m.mu.Unlock()
		m.stats.tcpRejected.Add(1)
		_ = conn.Close() // nothing was sent on it: its error says nothing more
		return
	}
	c := &tcpConn{
		mux:     m,
		conn:    conn,
		remote:  TCPAddr(remote),
		done:    make(chan struct{}),
		pending: make([]byte, 0, 2*(2+MaxDatagramSize)),
		spare:   make([]byte, 0, 2*(2+MaxDatagramSize)),
		wake:    make(chan struct{}, 1),
	}
	c.deadline = time.AfterFunc(m.cfg.TCPBindTimeout, c.bindExpired)
	m.tcpConns[remote] = c
	m.tcpUnbound++
	m.pumps.Add(2)
	m.mu.Unlock()
	m.stats.tcpAccepted.Add(1)
	go c.readLoop()
	go c.writeLoop()
}

// shutdown closes the connection once, counting why in reason; its reader then unregisters it. It never blocks,
// and may be called with mux.mu held.
func (c *tcpConn) shutdown(reason *atomic.Uint64) {
	c.once.Do(func() {
		reason.Add(1)
		close(c.done)
		_ = c.conn.Close() // the reader's next read fails and unregisters the connection
	})
}

// bindExpired closes the connection if no check on it was verified in time.
func (c *tcpConn) bindExpired() {
	m := c.mux
	defer m.recoverTo("TCP bind deadline")
	m.mu.RLock()
	bound := c.bound
	m.mu.RUnlock()
	if !bound {
		c.shutdown(&m.stats.tcpClosedBindTimeout)
	}
}

// recoverTo logs and counts a panic of a goroutine that has nothing to go on with.
func (m *Mux) recoverTo(where string) {
	if r := recover(); r != nil {
		m.stats.panics.Add(1)
		m.logger.Error("transport: panic in "+where, "panic", r, "stack", string(debug.Stack()))
	}
}

// readLoop reads and routes frames until the connection closes, then unregisters it.
func (c *tcpConn) readLoop() {
	m := c.mux
	defer m.pumps.Done()
	defer c.unregister()
	defer func() {
		if r := recover(); r != nil {
			// The stream's framing is lost with the frame: the connection cannot go on.
			m.stats.panics.Add(1)
			m.logger.Error("transport: panic in TCP reader", "remote", c.remote.String(), "panic", r,
				"stack", string(debug.Stack()))
			c.shutdown(&m.stats.tcpClosedLocal)
		}
	}()
	r := bufio.NewReaderSize(c.conn, tcpReadBuffer)
	msg := stun.NewMessage()
	for {
		p := getPacket()
		n, err := readFrame(r, p.buf)
		if err != nil {
			p.Release()
			c.shutdown(m.closeReason(err))
			return
		}
		p.Received = time.Now()
		p.Data = p.buf[:n]
		p.Source = c.remote
		if !m.routeTCP(c, p, msg) {
			return
		}
	}
}

// closeReason is the counter of a read error.
func (m *Mux) closeReason(err error) *atomic.Uint64 {
	switch {
	case errors.Is(err, errFrameTooLarge):
		return &m.stats.tcpClosedOversize
	case errors.Is(err, errEmptyFrame):
		return &m.stats.tcpClosedGarbage
	default:
		return &m.stats.tcpClosedPeer // closed, reset, or closed by us (then shutdown has counted already)
	}
}

// unregister removes the closed connection from the routing tables.
func (c *tcpConn) unregister() {
	m := c.mux
	c.deadline.Stop()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tcpConns[c.remote.AddrPort] == c {
		delete(m.tcpConns, c.remote.AddrPort)
	}
	if !c.bound {
		m.tcpUnbound--
	}
	if e := c.endpoint; e != nil {
		delete(e.tcp, c)
		e.forget(c.remote)
	}
}

// routeTCP delivers one frame of c, or drops and counts it. It returns false when the frame closed the
// connection: garbage, or a first frame that is not a Binding request naming an Endpoint.
func (m *Mux) routeTCP(c *tcpConn, p *Packet, msg *stun.Message) bool {
	m.stats.tcpFramesIn.Add(1)
	m.stats.tcpBytesIn.Add(uint64(len(p.Data)))
	p.Kind = Classify(p.Data)
	if p.Kind == KindUnknown {
		p.Release()
		c.shutdown(&m.stats.tcpClosedGarbage)
		return false
	}
	m.mu.RLock()
	e := c.endpoint
	if e == nil {
		m.mu.RUnlock()
		return m.associate(c, p, msg)
	}
	var drop *atomic.Uint64
	switch {
	case e.closed || (p.Kind != KindSTUN && !c.bound):
		drop = &m.stats.dropUnknownSource
	case !e.deliver(p):
		drop = &m.stats.dropQueueFull
	}
	m.mu.RUnlock()
	if drop != nil {
		m.drop(p, drop)
	}
	return true
}

// associate gives c to the Endpoint its first frame names, a Binding request, and delivers the frame; any other
// first frame closes c.
func (m *Mux) associate(c *tcpConn, p *Packet, msg *stun.Message) bool {
	var ufrag []byte
	if p.Kind == KindSTUN {
		ufrag = checkUfrag(p.Data, msg)
	}
	if len(ufrag) == 0 {
		p.Release()
		c.shutdown(&m.stats.tcpClosedGarbage)
		return false
	}
	m.mu.Lock()
	e := m.byUfrag[string(ufrag)]
	if e == nil || e.closed {
		m.mu.Unlock()
		m.drop(p, &m.stats.dropUnknownUfrag)
		c.shutdown(&m.stats.tcpClosedGarbage)
		return false
	}
	c.endpoint = e
	e.tcp[c] = struct{}{}
	delivered := e.deliver(p)
	m.mu.Unlock()
	if !delivered {
		m.drop(p, &m.stats.dropQueueFull)
	}
	return true
}

// writeTCP queues b as one frame on the Endpoint's connection from dst.
func (e *Endpoint) writeTCP(b []byte, dst netip.AddrPort) error {
	m := e.mux
	m.mu.RLock()
	c := m.tcpConns[dst]
	ours := c != nil && c.endpoint == e
	m.mu.RUnlock()
	if !ours {
		e.stats.writeErrors.Add(1)
		return ErrNoConnection
	}
	if !c.enqueue(b) {
		e.stats.tcpDropQueueFull.Add(1)
		m.stats.tcpDropQueueFull.Add(1)
		return ErrWriteQueueFull
	}
	e.stats.datagramsOut.Add(1)
	e.stats.bytesOut.Add(uint64(len(b)))
	return nil
}

// enqueue appends b to the write queue as one frame and wakes the writer; false when the queue cannot take it.
func (c *tcpConn) enqueue(b []byte) bool {
	c.wmu.Lock()
	if len(c.pending)+2+len(b) > c.mux.cfg.TCPWriteQueue {
		c.wmu.Unlock()
		return false
	}
	c.pending = appendFrame(c.pending, b)
	c.pendingFrames++
	c.wmu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return true
}

// writeLoop writes the queued frames until the connection is shut.
func (c *tcpConn) writeLoop() {
	m := c.mux
	defer m.pumps.Done()
	defer func() {
		if r := recover(); r != nil {
			m.stats.panics.Add(1)
			m.logger.Error("transport: panic in TCP writer", "remote", c.remote.String(), "panic", r,
				"stack", string(debug.Stack()))
			c.shutdown(&m.stats.tcpClosedLocal)
		}
	}()
	for {
		select {
		case <-c.wake:
			if !c.flush() {
				return
			}
		case <-c.done:
			return
		}
	}
}

// flush writes what is queued in one call, with the other buffer taking new frames meanwhile. A write that fails
// or blocks past TCPWriteTimeout (the peer does not read) shuts the connection: part of a frame may have gone.
func (c *tcpConn) flush() bool {
	m := c.mux
	c.wmu.Lock()
	if len(c.pending) == 0 {
		c.wmu.Unlock()
		return true
	}
	buf, frames := c.pending, c.pendingFrames
	c.pending, c.pendingFrames, c.spare = c.spare, 0, nil
	c.wmu.Unlock()
	err := c.conn.SetWriteDeadline(time.Now().Add(m.cfg.TCPWriteTimeout))
	if err == nil {
		_, err = c.conn.Write(buf)
	}
	c.wmu.Lock()
	c.spare = buf[:0]
	c.wmu.Unlock()
	if err != nil {
		c.shutdown(&m.stats.tcpClosedWriteStall)
		return false
	}
	m.stats.tcpFramesOut.Add(uint64(frames))
	m.stats.tcpBytesOut.Add(uint64(len(buf)))
	return true
}
