//go:build !race

package stun

import (
	"net/netip"
	"testing"
)

// TestHotPathDoesNotAllocate: parsing a Binding request, finding its session, checking it and building the answer
// into a reused buffer must cost no allocation (the race detector adds its own, hence the build tag).
func TestHotPathDoesNotAllocate(t *testing.T) {
	i := shortTerm(t, "pwd")
	sessions := map[string]*Integrity{"srvU": i}
	pkt := signedRequest(t, "pwd")
	source := netip.MustParseAddrPort("[2001:db8::1]:5000")
	m := NewMessage()
	out := make([]byte, 0, 1500)
	unknown := make([]AttrType, 0, 8)
	allocs := testing.AllocsPerRun(100, func() {
		if !IsMessage(pkt) || m.Parse(pkt) != nil {
			t.Fatal("parse")
		}
		local, _, err := m.ICEUsername()
		if err != nil {
			t.Fatal(err)
		}
		integrity := sessions[string(local)]
		if m.CheckICEUsername("srvU", "cliU") != nil || m.CheckFingerprint() != nil || integrity.Check(m) != nil {
			t.Fatal("checks")
		}
		if len(m.UnknownRequired(unknown[:0])) != 0 {
			t.Fatal("unknown attributes")
		}
		check, err := m.ConnectivityCheck()
		if err != nil || check.CheckLiteRole() != nil {
			t.Fatal("connectivity check")
		}
		if _, err := AppendBindingSuccess(out[:0], m, source, integrity); err != nil {
			t.Fatal(err)
		}
		if _, err := AppendBindingError(out[:0], m, CodeRoleConflict, integrity); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per request, want 0", allocs)
	}
}
