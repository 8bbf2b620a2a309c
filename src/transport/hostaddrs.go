package transport

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// hostAddrsRefresh is how long the interfaces' addresses are reused before they are read again: a laptop that
// changes networks gets its new address in its next sessions, and a burst of sessions reads them once.
const hostAddrsRefresh = 10 * time.Second

// hostInterface is what the address policy needs of one network interface.
type hostInterface struct {
	name  string
	flags net.Flags
	addrs []netip.Addr
}

// usableAddrs picks the addresses a browser can use among the interfaces' and orders them, best first: the
// addresses of interfaces that are up and running (a link without carrier carries nothing), IPv4 then IPv6, the
// loopback ones last (only a browser on the same machine reaches them, and only with a test flag). IPv4
// link-local addresses (169.254/16, no DHCP answered) and IPv6 link-local ones (fe80::/10: they need a zone, and
// browsers do not pair them) are left out; IPv6 global and unique local (fc00::/7) ones are kept. When names is
// not empty, only the interfaces it names count.
func usableAddrs(ifaces []hostInterface, names []string) []netip.Addr {
	var v4, v6, loop4, loop6 []netip.Addr
	for _, ifi := range ifaces {
		if ifi.flags&net.FlagUp == 0 || ifi.flags&net.FlagRunning == 0 {
			continue
		}
		if len(names) > 0 && !slices.Contains(names, ifi.name) {
			continue
		}
		for _, a := range ifi.addrs {
			a = a.Unmap()
			switch {
			case a.IsLoopback() && a.Is4():
				loop4 = append(loop4, a)
			case a.IsLoopback():
				loop6 = append(loop6, a)
			case a.IsGlobalUnicast() && a.Is4(): // link-local, multicast and unspecified are not global unicast
				v4 = append(v4, a)
			case a.IsGlobalUnicast():
				v6 = append(v6, a.WithZone(""))
			}
		}
	}
	out := slices.Concat(v4, v6, loop4, loop6)
	seen := make(map[netip.Addr]bool, len(out))
	return slices.DeleteFunc(out, func(a netip.Addr) bool {
		dup := seen[a]
		seen[a] = true
		return dup
	})
}

// readInterfaces lists the host's interfaces and their addresses.
func readInterfaces() ([]hostInterface, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("transport: list interfaces: %w", err)
	}
	out := make([]hostInterface, 0, len(ifaces))
	for _, ifi := range ifaces {
		addrs, err := ifi.Addrs()
		if err != nil {
			return nil, fmt.Errorf("transport: addresses of %s: %w", ifi.Name, err)
		}
		h := hostInterface{name: ifi.Name, flags: ifi.Flags}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok {
					h.addrs = append(h.addrs, ip)
				}
			}
		}
		out = append(out, h)
	}
	return out, nil
}

// hostAddrs gives the candidates' addresses: the configured public ones, or the usable interfaces' addresses,
// read again when they are older than hostAddrsRefresh.
type hostAddrs struct {
	fixed []netip.Addr // the public addresses; nil when the interfaces are read
	names []string
	read  func() ([]hostInterface, error)

	mu    sync.Mutex
	addrs []netip.Addr
	at    time.Time
}

// newHostAddrs reads the addresses once: a host with none to advertise, or an interface name that does not exist,
// is a configuration error.
func newHostAddrs(cfg *Config, read func() ([]hostInterface, error)) (*hostAddrs, error) {
	h := &hostAddrs{names: cfg.Interfaces, read: read}
	if cfg.fixedAddrs() {
		for _, a := range []netip.Addr{cfg.PublicIPv4, cfg.PublicIPv6} {
			if a.IsValid() {
				h.fixed = append(h.fixed, a)
			}
		}
		return h, nil
	}
	ifaces, err := read()
	if err != nil {
		return nil, err
	}
	for _, name := range cfg.Interfaces {
		if !slices.ContainsFunc(ifaces, func(i hostInterface) bool { return i.name == name }) {
			return nil, fmt.Errorf("%w: interface %q does not exist", ErrBadConfig, name)
		}
	}
	h.addrs, h.at = usableAddrs(ifaces, cfg.Interfaces), time.Now()
	if len(h.addrs) == 0 {
		return nil, fmt.Errorf("%w: no usable interface address to advertise (interfaces %v)", ErrNoAddress,
			cfg.Interfaces)
	}
	return h, nil
}

// get returns the addresses to advertise now, best first. When reading the interfaces fails or finds none, the
// previous addresses are kept and the error returned with them.
func (h *hostAddrs) get(now time.Time) ([]netip.Addr, error) {
	if h.fixed != nil {
		return h.fixed, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if now.Sub(h.at) < hostAddrsRefresh {
		return h.addrs, nil
	}
	h.at = now
	ifaces, err := h.read()
	if err != nil {
		return h.addrs, err
	}
	addrs := usableAddrs(ifaces, h.names)
	if len(addrs) == 0 {
		return h.addrs, fmt.Errorf("%w: the interfaces have no usable address left, the previous ones are kept",
			ErrNoAddress)
	}
	h.addrs = addrs
	return addrs, nil
}
