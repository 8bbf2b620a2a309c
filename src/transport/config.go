package transport

import (
	"fmt"
	"log/slog"
	"net/netip"
	"time"
)

// Defaults of Config.
const (
	// DefaultQueueLen is the inbound queue of an Endpoint, in datagrams: about 0.3 s of a 2.5 Mbit/s video at
	// 1,000-byte packets, so that a session goroutine that stalls briefly loses nothing.
	DefaultQueueLen = 256
	// DefaultTCPWriteQueue is the write queue of one ICE-TCP connection, in bytes: about 0.4 s of a 2.5 Mbit/s
	// video on top of what the kernel's send buffer holds. Past it, frames are dropped and counted.
	DefaultTCPWriteQueue = 128 << 10
	// DefaultTCPMaxUnbound caps the ICE-TCP connections that no session has accepted yet (accepted, but no
	// verified check on them): each browser opens one or two per session, for a moment.
	DefaultTCPMaxUnbound = 256
	// DefaultTCPBindTimeout is how long an ICE-TCP connection may stay without a verified check before it is
	// closed.
	DefaultTCPBindTimeout = 5 * time.Second
	// DefaultTCPWriteTimeout is how long one write to an ICE-TCP connection may block (the peer does not read)
	// before the connection is closed.
	DefaultTCPWriteTimeout = 5 * time.Second
)

// Config configures a Mux.
type Config struct {
	// Port is the one UDP port of every session (UDP_PORT). 0 picks a free port, for tests. Ignored in range
	// mode.
	Port int
	// PortMin and PortMax, when PortMax is not 0, switch to range mode (UDP_PORT_RANGE=PortMin-PortMax): every
	// Endpoint gets its own socket on a free port of the range, and the range bounds the number of Endpoints.
	PortMin, PortMax int
	// PublicIPv4 and PublicIPv6 are the addresses of the candidates when the deployment knows them (PUBLIC_IPV4,
	// PUBLIC_IPV6; a public address behind a 1:1 NAT, say): exactly those are advertised, and the sockets of
	// those families only are opened. When neither is set, the candidates are the addresses of the host's usable
	// interfaces (see Interfaces and the package documentation), and IPv6 is served when the host has it.
	PublicIPv4, PublicIPv6 netip.Addr
	// Interfaces, when PublicIPv4 and PublicIPv6 are unset, names the interfaces whose addresses are advertised
	// (MEDIA_INTERFACES); empty means every usable interface.
	Interfaces []string
	// ListenIPv4 and ListenIPv6 are the addresses the sockets bind; the zero Addr means every interface
	// (0.0.0.0, ::), which suits a public address behind a 1:1 NAT. Tests bind loopback.
	ListenIPv4, ListenIPv6 netip.Addr
	// QueueLen is the inbound queue of each Endpoint, in datagrams; 0 means DefaultQueueLen.
	QueueLen int
	// TCP turns ICE-TCP on (ICE_TCP_PORT not "off"): passive TCP candidates on TCPPort, for every session.
	TCP bool
	// TCPPort is the one ICE-TCP port of every session, range mode included (ICE_TCP_PORT). 0 picks a free
	// port, for tests.
	TCPPort int
	// TCPWriteQueue is each ICE-TCP connection's write queue in bytes; 0 means DefaultTCPWriteQueue.
	TCPWriteQueue int
	// TCPMaxUnbound caps the connections without a verified check; 0 means DefaultTCPMaxUnbound.
	TCPMaxUnbound int
	// TCPBindTimeout and TCPWriteTimeout: see their defaults; 0 means the default.
	TCPBindTimeout, TCPWriteTimeout time.Duration
	// Logger receives the Mux's own events (sockets, panics); nil means slog.Default().
	Logger *slog.Logger
}

// rangeMode reports whether each Endpoint gets its own port.
func (c *Config) rangeMode() bool { return c.PortMax != 0 }

// fixedAddrs reports whether the candidates are the configured public addresses rather than the interfaces'.
func (c *Config) fixedAddrs() bool { return c.PublicIPv4.IsValid() || c.PublicIPv6.IsValid() }

// serves reports whether the Mux opens sockets of family f.
func (c *Config) serves(f int) bool {
	switch {
	case !c.fixedAddrs():
		return true
	case f == family4:
		return c.PublicIPv4.IsValid()
	default:
		return c.PublicIPv6.IsValid()
	}
}

func is6(a netip.Addr) bool { return a.Is6() && !a.Is4In6() }

func (c *Config) applyDefaults() error {
	if c.PublicIPv4.IsValid() && !c.PublicIPv4.Is4() {
		return fmt.Errorf("%w: PublicIPv4 %v is not an IPv4 address", ErrBadConfig, c.PublicIPv4)
	}
	if c.PublicIPv6.IsValid() && !is6(c.PublicIPv6) {
		return fmt.Errorf("%w: PublicIPv6 %v is not an IPv6 address", ErrBadConfig, c.PublicIPv6)
	}
	if c.fixedAddrs() && len(c.Interfaces) > 0 {
		return fmt.Errorf("%w: Interfaces %v with a public address: the public addresses are advertised alone",
			ErrBadConfig, c.Interfaces)
	}
	if c.ListenIPv4.IsValid() && !c.ListenIPv4.Is4() {
		return fmt.Errorf("%w: ListenIPv4 %v is not an IPv4 address", ErrBadConfig, c.ListenIPv4)
	}
	if c.ListenIPv6.IsValid() && !is6(c.ListenIPv6) {
		return fmt.Errorf("%w: ListenIPv6 %v is not an IPv6 address", ErrBadConfig, c.ListenIPv6)
	}
	if !c.ListenIPv4.IsValid() {
		c.ListenIPv4 = netip.IPv4Unspecified()
	}
	if !c.ListenIPv6.IsValid() {
		c.ListenIPv6 = netip.IPv6Unspecified()
	}
	if c.rangeMode() {
		if c.PortMin < 1 || c.PortMin > c.PortMax || c.PortMax > 65535 {
			return fmt.Errorf("%w: port range %d-%d, want 1 <= min <= max <= 65535", ErrBadConfig, c.PortMin, c.PortMax)
		}
	} else if c.Port < 0 || c.Port > 65535 || c.PortMin != 0 {
		return fmt.Errorf("%w: port %d (min %d without max)", ErrBadConfig, c.Port, c.PortMin)
	}
	if c.QueueLen == 0 {
		c.QueueLen = DefaultQueueLen
	}
	if c.QueueLen < 1 || c.QueueLen > 1<<16 {
		return fmt.Errorf("%w: queue length %d, want 1 to 65536", ErrBadConfig, c.QueueLen)
	}
	if err := c.applyTCPDefaults(); err != nil {
		return err
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

func (c *Config) applyTCPDefaults() error {
	if c.TCPPort < 0 || c.TCPPort > 65535 {
		return fmt.Errorf("%w: TCP port %d", ErrBadConfig, c.TCPPort)
	}
	for _, d := range []struct {
		name     string
		v        *int
		def, max int
	}{
		{"TCPWriteQueue", &c.TCPWriteQueue, DefaultTCPWriteQueue, 64 << 20},
		{"TCPMaxUnbound", &c.TCPMaxUnbound, DefaultTCPMaxUnbound, 1 << 20},
	} {
		if *d.v == 0 {
			*d.v = d.def
		}
		if *d.v < 1 || *d.v > d.max {
			return fmt.Errorf("%w: %s %d, want 1 to %d", ErrBadConfig, d.name, *d.v, d.max)
		}
	}
	if c.TCPWriteQueue < 2+MaxDatagramSize {
		return fmt.Errorf("%w: TCPWriteQueue %d holds no frame of %d bytes", ErrBadConfig, c.TCPWriteQueue,
			2+MaxDatagramSize)
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"TCPBindTimeout", &c.TCPBindTimeout, DefaultTCPBindTimeout},
		{"TCPWriteTimeout", &c.TCPWriteTimeout, DefaultTCPWriteTimeout},
	} {
		if *d.v == 0 {
			*d.v = d.def
		}
		if *d.v < time.Millisecond || *d.v > time.Hour {
			return fmt.Errorf("%w: %s %v, want 1ms to 1h", ErrBadConfig, d.name, *d.v)
		}
	}
	return nil
}
