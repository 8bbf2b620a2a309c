package transport

import (
	"fmt"
	"log/slog"
	"net/netip"
)

// DefaultQueueLen is the inbound queue of an Endpoint, in datagrams: about 0.3 s of a 2.5 Mbit/s video at
// 1,000-byte packets, so that a session goroutine that stalls briefly loses nothing.
const DefaultQueueLen = 256

// Config configures a Mux.
type Config struct {
	// Port is the one UDP port of every session (UDP_PORT). 0 picks a free port, for tests. Ignored in range
	// mode.
	Port int
	// PortMin and PortMax, when PortMax is not 0, switch to range mode (UDP_PORT_RANGE=PortMin-PortMax): every
	// Endpoint gets its own socket on a free port of the range, and the range bounds the number of Endpoints.
	PortMin, PortMax int
	// PublicIPv4 is the IPv4 address of the candidates (PUBLIC_IPV4). Required.
	PublicIPv4 netip.Addr
	// PublicIPv6, when valid, adds an IPv6 socket and candidate (PUBLIC_IPV6).
	PublicIPv6 netip.Addr
	// ListenIPv4 and ListenIPv6 are the addresses the sockets bind; the zero Addr means every interface
	// (0.0.0.0, ::), which suits a public address behind a 1:1 NAT. Tests bind loopback.
	ListenIPv4, ListenIPv6 netip.Addr
	// QueueLen is the inbound queue of each Endpoint, in datagrams; 0 means DefaultQueueLen.
	QueueLen int
	// Logger receives the Mux's own events (sockets, panics); nil means slog.Default().
	Logger *slog.Logger
}

// rangeMode reports whether each Endpoint gets its own port.
func (c *Config) rangeMode() bool { return c.PortMax != 0 }

// ipv6 reports whether the Mux serves IPv6.
func (c *Config) ipv6() bool { return c.PublicIPv6.IsValid() }

func (c *Config) applyDefaults() error {
	if !c.PublicIPv4.IsValid() || !c.PublicIPv4.Is4() {
		return fmt.Errorf("%w: PublicIPv4 %v is not an IPv4 address", ErrBadConfig, c.PublicIPv4)
	}
	if c.PublicIPv6.IsValid() && !(c.PublicIPv6.Is6() && !c.PublicIPv6.Is4In6()) {
		return fmt.Errorf("%w: PublicIPv6 %v is not an IPv6 address", ErrBadConfig, c.PublicIPv6)
	}
	if c.ListenIPv4.IsValid() && !c.ListenIPv4.Is4() {
		return fmt.Errorf("%w: ListenIPv4 %v is not an IPv4 address", ErrBadConfig, c.ListenIPv4)
	}
	if c.ListenIPv6.IsValid() && !(c.ListenIPv6.Is6() && !c.ListenIPv6.Is4In6()) {
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
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}
