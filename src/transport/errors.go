package transport

import "errors"

var (
	// ErrBadConfig is returned by NewMuxWith for an invalid Config.
	ErrBadConfig = errors.New("transport: bad configuration")
	// ErrClosed is returned by a closed Mux or Endpoint.
	ErrClosed = errors.New("transport: closed")
	// ErrUfragInUse is returned by NewEndpoint for a ufrag another Endpoint has registered.
	ErrUfragInUse = errors.New("transport: ufrag already registered")
	// ErrBadUfrag is returned by NewEndpoint for a ufrag that is not 4 to 256 ICE characters.
	ErrBadUfrag = errors.New("transport: ufrag must be 4 to 256 ICE characters")
	// ErrNoPort is returned by NewEndpoint in range mode when no port of the range can be bound.
	ErrNoPort = errors.New("transport: no free port in the range")
	// ErrAddressFamily is returned for an address of a family the Mux does not serve (IPv6 without PublicIPv6).
	ErrAddressFamily = errors.New("transport: address family not served")
	// ErrTooLarge is returned by WriteTo for a datagram larger than MaxDatagramSize.
	ErrTooLarge = errors.New("transport: datagram too large")
)

var (
	// ErrNoAddress is returned by NewMuxWith when no public address is set and no interface has a usable
	// address to advertise.
	ErrNoAddress = errors.New("transport: no address to advertise")
	// ErrNoConnection is returned by Bind and WriteTo for a TCP Addr that names no open ICE-TCP connection of the
	// Endpoint (it was closed, or belongs to another session).
	ErrNoConnection = errors.New("transport: no such ICE-TCP connection")
	// ErrWriteQueueFull is returned by WriteTo when the write queue of the ICE-TCP connection is full: the frame is
	// dropped and counted.
	ErrWriteQueueFull = errors.New("transport: ICE-TCP write queue full")
)
