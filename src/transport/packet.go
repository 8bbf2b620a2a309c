package transport

import (
	"sync"
	"time"
)

// MaxDatagramSize is the largest datagram received or sent: an Ethernet MTU. WebRTC peers keep their datagrams
// below about 1,200 bytes (DTLS fragments its flights, RTP packetizers leave room for SRTP and TURN), so a larger
// one is dropped and counted (DropOversize) rather than kept in a bigger buffer.
const MaxDatagramSize = 1500

// Packet is one datagram (or ICE-TCP frame) received, in a pooled buffer. It belongs to the goroutine that took it from
// Endpoint.Inbound until Release; Data may be modified in place (SRTP decrypts in place).
type Packet struct {
	// buf is an allocation of its own: cgo refuses a pointer into memory that holds Go pointers (Data, Source), and
	// a fresh byte array starts on an 8-byte boundary, which in-place SRTP requires.
	buf []byte
	// Data is the datagram, a prefix of the Packet's buffer.
	Data []byte
	// Source is where the datagram came from: the sender's UDP address, or the remote end of the ICE-TCP
	// connection it came on (IPv4 addresses unmapped).
	Source Addr
	// Kind is what Classify said of Data.
	Kind Kind
	// Received is when the read pump took the datagram off the socket: the start of the forwarding latency.
	Received time.Time
}

var packetPool = sync.Pool{New: func() any { return newPacket() }}

func newPacket() *Packet { return &Packet{buf: make([]byte, MaxDatagramSize)} }

func getPacket() *Packet {
	p, ok := packetPool.Get().(*Packet)
	if !ok {
		return newPacket()
	}
	return p
}

// Release gives the Packet's buffer back to the pool. The Packet must not be used afterwards.
func (p *Packet) Release() {
	p.Data = nil
	p.Source = Addr{}
	p.Kind = KindUnknown
	p.Received = time.Time{}
	packetPool.Put(p)
}
