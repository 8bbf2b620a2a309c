package transport

import (
	"net/netip"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/stun"
)

// BenchmarkRoute is the routing of one datagram (classify, STUN USERNAME lookup or source lookup, queue), without
// the socket; the receiver releases each packet as a session does.
func BenchmarkRoute(b *testing.B) {
	m := newTestMux(b, nil)
	e := newTestEndpoint(b, m, "abcdefghijklmnop")
	bound := UDPAddr(netip.MustParseAddrPort("127.0.0.1:40000"))
	if err := e.Bind(bound); err != nil {
		b.Fatal(err)
	}
	sock := m.shared[family4]
	srtp := append([]byte{0x80, 96}, make([]byte, 1100)...)
	for _, bc := range []struct {
		name      string
		datagram  []byte
		source    Addr
		delivered bool
	}{
		{"srtp by source", srtp, bound, true},
		{"stun by ufrag", bindingRequest(b, "abcdefghijklmnop:peerUfrag"), bound, true},
		{"unknown source dropped", srtp, UDPAddr(netip.MustParseAddrPort("127.0.0.1:40001")), false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			msg := stun.NewMessage()
			b.SetBytes(int64(len(bc.datagram)))
			b.ReportAllocs()
			for b.Loop() {
				p := getPacket()
				p.Data = p.buf[:copy(p.buf, bc.datagram)]
				p.Source = bc.source
				m.route(sock, p, msg)
				if bc.delivered {
					(<-e.Inbound()).Release()
				}
			}
		})
	}
}

// BenchmarkPump is one SRTP-sized datagram through the loopback: a client's sendto, the pump's read and routing,
// and the Endpoint's queue. Figures depend on the machine's load (the sender and the pump share its cores).
func BenchmarkPump(b *testing.B) {
	m := newTestMux(b, nil)
	e := newTestEndpoint(b, m, "abcd")
	c := newClient(b)
	if err := e.Bind(c.addr()); err != nil {
		b.Fatal(err)
	}
	to := serverAddr(e)
	datagram := append([]byte{0x80, 96}, make([]byte, 1100)...)
	b.SetBytes(int64(len(datagram)))
	b.ReportAllocs()
	for b.Loop() {
		c.send(datagram, to)
		(<-e.Inbound()).Release()
	}
}
