package transport

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/stun"
)

// readErrorBackoff spaces the reads of a socket that keeps failing, so that a persistent error cannot spin a core.
const readErrorBackoff = 10 * time.Millisecond

// socket is one UDP socket and its routes by source address.
type socket struct {
	mux    *Mux
	conn   *net.UDPConn
	family int
	port   int
	owner  *Endpoint                    // range mode: the one Endpoint of the socket
	routes map[netip.AddrPort]*Endpoint // guarded by mux.mu
}

func listen(m *Mux, family int, ip netip.Addr, port int, owner *Endpoint) (*socket, error) {
	network := "udp4"
	if family == family6 {
		network = "udp6"
	}
	conn, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))))
	if err != nil {
		return nil, fmt.Errorf("transport: listen %s port %d: %w", network, port, err)
	}
	local, ok := conn.LocalAddr().(*net.UDPAddr)
	if !ok {
		return nil, errors.Join(fmt.Errorf("transport: %s socket has no UDP address", network), conn.Close())
	}
	return &socket{
		mux:    m,
		conn:   conn,
		family: family,
		port:   local.Port,
		owner:  owner,
		routes: make(map[netip.AddrPort]*Endpoint),
	}, nil
}

// pump reads the socket until it is closed.
func (s *socket) pump() {
	msg := stun.NewMessage()
	for s.read(msg) {
	}
}

// read routes datagrams until the socket is closed (false) or a panic was recovered (true: read again).
func (s *socket) read(msg *stun.Message) (again bool) {
	defer func() {
		if r := recover(); r != nil {
			s.mux.stats.panics.Add(1)
			s.mux.logger.Error("transport: panic in read pump", "port", s.port, "panic", r, "stack", string(debug.Stack()))
			again = true
		}
	}()
	failing := false
	for {
		p := getPacket()
		n, _, flags, src, err := s.conn.ReadMsgUDPAddrPort(p.buf, nil)
		switch {
		case errors.Is(err, net.ErrClosed):
			p.Release()
			return false
		case err != nil:
			p.Release()
			s.mux.stats.readErrors.Add(1)
			if !failing {
				s.mux.logger.Warn("transport: read failed", "port", s.port, "err", err)
			}
			failing = true
			time.Sleep(readErrorBackoff)
			continue
		case flags&syscall.MSG_TRUNC != 0:
			s.mux.stats.datagramsIn.Add(1)
			s.mux.drop(p, &s.mux.stats.dropOversize)
			continue
		}
		failing = false
		p.Received = time.Now()
		p.Data = p.buf[:n]
		p.Source = UDPAddr(netip.AddrPortFrom(src.Addr().Unmap(), src.Port()))
		s.mux.route(s, p, msg)
	}
}

func (s *socket) close() error {
	if err := s.conn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("transport: close port %d: %w", s.port, err)
	}
	return nil
}
