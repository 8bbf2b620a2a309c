package negotiate

import (
	"net/netip"
	"testing"
)

// TestTCPCandidates checks the candidates of a server with two UDP and two passive ICE-TCP addresses, as a
// browser reads them: every UDP one above every TCP one, each kind in its order, distinct foundations, and the
// RFC 6544 tcptype.
func TestTCPCandidates(t *testing.T) {
	local := testLocal()
	local.TCPAddrs = []netip.AddrPort{netip.MustParseAddrPort("192.0.2.10:443"),
		netip.MustParseAddrPort("[2001:db8::10]:443")}
	offer, err := OfferListener(local, publisherTracks())
	if err != nil {
		t.Fatal(err)
	}
	m := reparse(t, offer).Media[0]
	if m.Port != 3478 || m.Connection.Address != "192.0.2.10" || !m.EndOfCandidates {
		t.Fatalf("m= port %d, c= %+v, end %v", m.Port, m.Connection, m.EndOfCandidates)
	}
	want := []struct {
		transport, address, tcpType string
		port                        uint16
	}{
		{"udp", "192.0.2.10", "", 3478}, {"udp", "2001:db8::10", "", 3478},
		{"tcp", "192.0.2.10", "passive", 443}, {"tcp", "2001:db8::10", "passive", 443},
	}
	if len(m.Candidates) != len(want) {
		t.Fatalf("candidates %+v", m.Candidates)
	}
	foundations := make(map[string]bool)
	for i, c := range m.Candidates {
		w := want[i]
		if c.Transport != w.transport || c.Address != w.address || c.Port != w.port || c.TCPType != w.tcpType ||
			c.Type != "host" || c.Component != 1 {
			t.Errorf("candidate %d: %s", i, c)
		}
		if i > 0 && c.Priority >= m.Candidates[i-1].Priority {
			t.Errorf("candidate %d priority %d not below %d", i, c.Priority, m.Candidates[i-1].Priority)
		}
		if foundations[c.Foundation] {
			t.Errorf("foundation %s used twice", c.Foundation)
		}
		foundations[c.Foundation] = true
	}

	local.TCPAddrs = []netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:443")}
	if _, err := OfferListener(local, publisherTracks()); err == nil {
		t.Fatal("an unspecified TCP address was accepted")
	}
}
