package stun

import (
	"net/netip"
	"testing"
)

// chromeLikeRequest is a check as Chromium sends it: USERNAME, GOOG-NETWORK-INFO, ICE-CONTROLLING, USE-CANDIDATE,
// PRIORITY, MESSAGE-INTEGRITY, FINGERPRINT.
func chromeLikeRequest(b testing.TB, i *Integrity) []byte {
	b.Helper()
	pkt, err := NewBuilder(nil, BindingRequest, rfc5769ID).
		AddUsername("srvU:Xk3+").
		Add(0xc057, []byte{0, 1, 0, 10}).
		AddICEControlling(0x1234567890abcdef).
		AddUseCandidate().
		AddPriority(1853824767).
		AddMessageIntegrity(i).
		AddFingerprint().
		Bytes()
	if err != nil {
		b.Fatal(err)
	}
	return pkt
}

func BenchmarkParseBindingRequest(b *testing.B) {
	pkt := chromeLikeRequest(b, shortTerm(b, "serverPasswordOf22chars"))
	m := NewMessage()
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Parse(pkt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIntegrityCheck(b *testing.B) {
	i := shortTerm(b, "serverPasswordOf22chars")
	m := parsed(b, chromeLikeRequest(b, i))
	b.ReportAllocs()
	for b.Loop() {
		if err := i.Check(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFingerprintCheck(b *testing.B) {
	m := parsed(b, chromeLikeRequest(b, shortTerm(b, "serverPasswordOf22chars")))
	b.ReportAllocs()
	for b.Loop() {
		if err := m.CheckFingerprint(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendBindingSuccess(b *testing.B) {
	i := shortTerm(b, "serverPasswordOf22chars")
	m := parsed(b, chromeLikeRequest(b, i))
	source := netip.MustParseAddrPort("198.51.100.7:50000")
	out := make([]byte, 0, 1500)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := AppendBindingSuccess(out[:0], m, source, i); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBindingRequestHotPath is the whole work of the server for one check: parse, find the session by
// USERNAME, check FINGERPRINT and MESSAGE-INTEGRITY, read the ICE attributes and build the success response.
func BenchmarkBindingRequestHotPath(b *testing.B) {
	i := shortTerm(b, "serverPasswordOf22chars")
	sessions := map[string]*Integrity{"srvU": i}
	pkt := chromeLikeRequest(b, i)
	source := netip.MustParseAddrPort("198.51.100.7:50000")
	m := NewMessage()
	out := make([]byte, 0, 1500)
	b.ReportAllocs()
	for b.Loop() {
		if !IsMessage(pkt) || m.Parse(pkt) != nil {
			b.Fatal("parse")
		}
		local, _, err := m.ICEUsername()
		if err != nil {
			b.Fatal(err)
		}
		integrity := sessions[string(local)]
		if m.CheckFingerprint() != nil || integrity.Check(m) != nil {
			b.Fatal("checks")
		}
		check, err := m.ConnectivityCheck()
		if err != nil || check.CheckLiteRole() != nil {
			b.Fatal("connectivity check")
		}
		if _, err := AppendBindingSuccess(out[:0], m, source, integrity); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendBindingRequest(b *testing.B) {
	i := shortTerm(b, "serverPasswordOf22chars")
	c := ConnectivityCheck{Priority: 1853824767, UseCandidate: true, Role: RoleControlling, TieBreaker: 42}
	out := make([]byte, 0, 1500)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := AppendBindingRequest(out[:0], rfc5769ID, "srvU:Xk3+", c, i); err != nil {
			b.Fatal(err)
		}
	}
}
