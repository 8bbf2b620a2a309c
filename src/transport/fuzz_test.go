package transport

import (
	"net/netip"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/stun"
)

// FuzzRoute routes arbitrary datagrams, from a bound or an unknown source, through a Mux with one Endpoint: each
// is delivered (with the kind Classify gives) or counted in exactly one drop counter, never a panic.
func FuzzRoute(f *testing.F) {
	f.Add(bindingRequest(f, "abcd:peer"), true)
	f.Add(bindingRequest(f, "abcd:peer"), false)
	f.Add(bindingRequest(f, "zzzz:peer"), true)
	f.Add(bindingRequest(f, ""), true)
	f.Add(bindingIndication(f), true)
	f.Add(dtlsDatagram, true)
	f.Add(dtlsDatagram, false)
	f.Add(srtpDatagram, true)
	f.Add(append([]byte{0x80, 200}, make([]byte, 30)...), true)
	f.Add([]byte{}, true)
	f.Add([]byte{0x80}, true)
	f.Add([]byte{64, 0, 0, 0}, true)

	m := newTestMux(f, nil)
	e := newTestEndpoint(f, m, "abcd")
	bound := UDPAddr(netip.MustParseAddrPort("127.0.0.1:40000"))
	if err := e.Bind(bound); err != nil {
		f.Fatal(err)
	}
	sock := m.shared[family4]
	msg := stun.NewMessage()
	f.Fuzz(func(t *testing.T, data []byte, fromBound bool) {
		if len(data) > MaxDatagramSize {
			return // the pump drops these before routing (DropOversize)
		}
		p := getPacket()
		p.Data = p.buf[:copy(p.buf, data)]
		p.Source = UDPAddr(netip.MustParseAddrPort("127.0.0.1:40001"))
		if fromBound {
			p.Source = bound
		}
		before := m.Stats()
		m.route(sock, p, msg)
		after := m.Stats()
		drops := func(s Stats) uint64 {
			return s.DropUnknownKind + s.DropUnknownUfrag + s.DropUnknownSource + s.DropQueueFull + s.DropOversize
		}
		select {
		case got := <-e.Inbound():
			if got.Kind != Classify(data) || got.Kind == KindUnknown || string(got.Data) != string(data) {
				t.Fatalf("delivered %s % x", got.Kind, got.Data)
			}
			got.Release()
			if drops(after) != drops(before) {
				t.Fatalf("delivered and dropped: %+v -> %+v", before, after)
			}
		default:
			if drops(after) != drops(before)+1 {
				t.Fatalf("neither delivered nor dropped once: %+v -> %+v", before, after)
			}
		}
		if after.DatagramsIn != before.DatagramsIn+1 {
			t.Fatalf("DatagramsIn %d -> %d", before.DatagramsIn, after.DatagramsIn)
		}
	})
}
