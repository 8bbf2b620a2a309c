package stun

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"unsafe"
)

// fuzzSeeds are the fixtures every fuzzer starts from: the RFC 5769 vectors, messages of this package's own
// builder, and the malformed shapes of the table tests.
func fuzzSeeds(t testing.TB) [][]byte {
	i := shortTerm(t, "pwd")
	req := signedRequest(t, "pwd")
	m := parsed(t, req)
	success, err := AppendBindingSuccess(nil, m, netip.MustParseAddrPort("[2001:db8::1]:3478"), i)
	if err != nil {
		t.Fatal(err)
	}
	roleConflict, err := AppendBindingError(nil, m, CodeRoleConflict, i)
	if err != nil {
		t.Fatal(err)
	}
	unknown, err := AppendUnknownAttributesError(nil, m, []AttrType{0x0031, 0x7fff}, i)
	if err != nil {
		t.Fatal(err)
	}
	return [][]byte{
		rfc5769Request, rfc5769ResponseIPv4, rfc5769ResponseIPv6, rfc5769LongTerm,
		req, success, roleConflict, unknown,
		sha256Signed("pwd", rawMessage(BindingRequest, tlv(AttrUsername, []byte("a:b"))), 16),
		rawMessage(BindingRequest),
		rawMessage(BindingRequest, []byte{0x80, 0x22, 0x00, 0x08, 'a', 'b', 'c', 'd'}),
		rawMessage(BindingRequest, tlv(AttrFingerprint, make([]byte, 4)), tlv(AttrMessageIntegrity, make([]byte, 20))),
		setLength(rfc5769Request, 0x57),
	}
}

// within reports whether v lies inside the memory of b.
func within(v, b []byte) bool {
	if len(v) == 0 {
		return true
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(v)))
	return p >= start && p+uintptr(len(v)) <= start+uintptr(len(b))
}

// FuzzParse feeds any datagram to Parse and to every getter and check: none may panic, a parsed message must
// describe its datagram faithfully, the datagram must come out unmodified, and rebuilding the parsed attributes
// with the Builder must give a message that parses to the same attributes.
func FuzzParse(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	i := shortTerm(f, "pwd")
	m := NewMessage()
	f.Fuzz(func(t *testing.T, data []byte) {
		original := bytes.Clone(data)
		if err := m.Parse(data); err != nil {
			if m.Raw() != nil || len(m.Attributes()) != 0 {
				t.Fatal("a failed Parse left a message behind")
			}
			return
		}
		if !IsMessage(data) || !bytes.Equal(m.Raw(), data) || int(binary.BigEndian.Uint16(data[2:4])) != len(data)-HeaderSize {
			t.Fatal("parsed a datagram that is not exactly one message")
		}
		for _, a := range m.Attributes() {
			if !within(a.Value, data) {
				t.Fatalf("attribute %v value outside the datagram", a.Type)
			}
		}
		exercise(m, i)
		if !bytes.Equal(data, original) {
			t.Fatal("the datagram was modified")
		}
		rebuildAndCompare(t, m, i)
	})
}

// exercise calls every getter and check; their results are checked by the table tests, here only their safety.
func exercise(m *Message, i *Integrity) {
	_ = i.Check(m)
	_ = m.CheckFingerprint()
	_, _, _ = m.ICEUsername()
	_ = m.CheckICEUsername("srvU", "cliU")
	_, _ = m.ConnectivityCheck()
	_, _ = m.XORMappedAddress()
	_, _ = m.MappedAddress()
	_, _, _ = m.ErrorCode()
	_, _ = m.UnknownAttributes(nil)
	_ = m.UnknownRequired(nil)
	for _, t := range []AttrType{AttrUsername, AttrRealm, AttrNonce, AttrSoftware} {
		_, _ = m.Text(t)
	}
}

// rebuildAndCompare writes the attributes of m again with a Builder (recomputing integrity and fingerprint) and
// checks that the result parses to the same attribute types, with the same plain values, and passes its checks.
func rebuildAndCompare(t *testing.T, m *Message, i *Integrity) {
	b := NewBuilder(nil, m.Type(), m.TransactionID())
	for _, a := range m.Attributes() {
		switch a.Type {
		case AttrMessageIntegrity:
			b.AddMessageIntegrity(i)
		case AttrMessageIntegritySHA256:
			b.AddMessageIntegritySHA256(i)
		case AttrFingerprint:
			b.AddFingerprint()
		default:
			b.Add(a.Type, a.Value)
		}
	}
	out, err := b.Bytes()
	if err != nil {
		t.Fatalf("rebuilding a parsed message: %v", err)
	}
	again := NewMessage()
	if err := again.Parse(out); err != nil {
		t.Fatalf("parsing a rebuilt message: %v", err)
	}
	if again.Type() != m.Type() || again.TransactionID() != m.TransactionID() || len(again.Attributes()) != len(m.Attributes()) {
		t.Fatal("the rebuilt message differs in its header or attribute count")
	}
	for k, a := range again.Attributes() {
		want := m.Attributes()[k]
		if a.Type != want.Type {
			t.Fatalf("attribute %d: %v, want %v", k, a.Type, want.Type)
		}
		computed := a.Type == AttrMessageIntegrity || a.Type == AttrMessageIntegritySHA256 || a.Type == AttrFingerprint
		if !computed && !bytes.Equal(a.Value, want.Value) {
			t.Fatalf("attribute %d (%v): value differs", k, a.Type)
		}
	}
	if again.integrity > 0 || again.integrity256 > 0 {
		if err := i.Check(again); err != nil {
			t.Fatalf("rebuilt integrity: %v", err)
		}
	}
	if again.fingerprint > 0 {
		if err := again.CheckFingerprint(); err != nil {
			t.Fatalf("rebuilt fingerprint: %v", err)
		}
	}
}

// FuzzAttributeValue puts any value under any attribute type and runs the typed getters: none may panic, and what
// a getter accepts must encode back to an equivalent value.
func FuzzAttributeValue(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		m := NewMessage()
		if m.Parse(seed) != nil {
			continue
		}
		for _, a := range m.Attributes() {
			f.Add(uint16(a.Type), a.Value)
		}
	}
	f.Add(uint16(AttrUsername), []byte("a:b:c"))
	f.Add(uint16(AttrErrorCode), []byte{0, 0, 7, 100})
	f.Add(uint16(AttrXORMappedAddress), []byte{0, 2, 0, 1})
	m := NewMessage()
	i := shortTerm(f, "pwd")
	f.Fuzz(func(t *testing.T, typ uint16, value []byte) {
		if len(value) > 0xffff-attrHeaderSize-3 {
			return
		}
		if m.Parse(rawMessage(BindingRequest, tlv(AttrType(typ), value))) != nil {
			return // MESSAGE-INTEGRITY or FINGERPRINT of a wrong size: Parse's own business
		}
		exercise(m, i)
		checkAddresses(t, m)
		if receiver, sender, err := m.ICEUsername(); err == nil && string(receiver)+":"+string(sender) != string(value) {
			t.Fatalf("ICEUsername split %q into %q and %q", value, receiver, sender)
		}
		if code, reason, err := m.ErrorCode(); err == nil {
			checkErrorCode(t, code, reason)
		}
		if list, err := m.UnknownAttributes(nil); err == nil && len(list) != len(value)/2 {
			t.Fatalf("UNKNOWN-ATTRIBUTES of %d bytes gave %d types", len(value), len(list))
		}
	})
}

// checkErrorCode re-encodes an ERROR-CODE the getter accepted; an empty reason is sent as the recommended one.
func checkErrorCode(t *testing.T, code ErrorCode, reason []byte) {
	if len(reason) > maxTextEncode {
		return // readable, but longer than a sender may write
	}
	out, err := NewBuilder(nil, BindingError, rfc5769ID).AddErrorCode(code, string(reason)).Bytes()
	if err != nil {
		t.Fatalf("ERROR-CODE %d %q does not build: %v", code, reason, err)
	}
	want := string(reason)
	if want == "" {
		want = code.Reason()
	}
	if c, r, err := parsed(t, out).ErrorCode(); err != nil || c != code || string(r) != want {
		t.Fatalf("ERROR-CODE %d %q came back as %d %q, %v", code, reason, c, r, err)
	}
}

// checkAddresses re-encodes the addresses a getter accepted. An IPv4-mapped IPv6 address comes back as IPv4, the
// family the Builder sends it in.
func checkAddresses(t *testing.T, m *Message) {
	for _, attr := range []struct {
		get func(*Message) (netip.AddrPort, error)
		add func(*Builder, netip.AddrPort) *Builder
	}{
		{(*Message).XORMappedAddress, (*Builder).AddXORMappedAddress},
		{(*Message).MappedAddress, (*Builder).AddMappedAddress},
	} {
		a, err := attr.get(m)
		if err != nil {
			continue
		}
		out, err := attr.add(NewBuilder(nil, BindingSuccess, m.TransactionID()), a).Bytes()
		if err != nil {
			t.Fatalf("address %v does not build: %v", a, err)
		}
		want := netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
		if got, err := attr.get(parsed(t, out)); err != nil || got != want {
			t.Fatalf("address %v came back as %v, %v", a, got, err)
		}
	}
}

// FuzzBindingRoundTrip plays a client and the ICE-lite server with arbitrary credentials and values: whatever the
// Builder accepts, the parser must read back identically, and the integrity and fingerprint must verify.
func FuzzBindingRoundTrip(f *testing.F) {
	f.Add("srvU:cliU", "serverPasswordOf22chars", uint32(1845501695), uint8(1), uint64(42), []byte{192, 0, 2, 1}, uint16(3478))
	f.Add(rfc5769LongUser, rfc5769LongPassword, uint32(0), uint8(6), ^uint64(0), bytes.Repeat([]byte{0xff}, 16), uint16(0))
	f.Add("evtj:h6vY", rfc5769Password, uint32(0x6e0001ff), uint8(4), uint64(0x932ff9b151263b36), []byte{}, uint16(1))
	req, resp := NewMessage(), NewMessage()
	f.Fuzz(func(t *testing.T, username, password string, priority uint32, flags uint8, tieBreaker uint64, ip []byte, port uint16) {
		i, err := NewShortTermIntegrity(password)
		if err != nil {
			return
		}
		check := ConnectivityCheck{Priority: priority, UseCandidate: flags&1 != 0, Role: Role(flags>>1) % 3}
		if check.Role != RoleNone {
			check.TieBreaker = tieBreaker
		}
		id := TransactionID(bytes.Repeat([]byte{flags}, TransactionIDSize))
		pkt, err := AppendBindingRequest(nil, id, username, check, i)
		if err != nil {
			return // USERNAME too long or not UTF-8
		}
		if err := req.Parse(pkt); err != nil {
			t.Fatalf("built request does not parse: %v", err)
		}
		if got, err := req.Text(AttrUsername); err != nil || string(got) != username {
			t.Fatalf("USERNAME %q came back as %q, %v", username, got, err)
		}
		if got, err := req.ConnectivityCheck(); err != nil || got != check {
			t.Fatalf("check %+v came back as %+v, %v", check, got, err)
		}
		if i.Check(req) != nil || req.CheckFingerprint() != nil {
			t.Fatal("built request fails its own checks")
		}
		source, ok := addrPortFrom(ip, port)
		if !ok {
			return
		}
		out, err := AppendBindingSuccess(nil, req, source, i)
		if err != nil {
			t.Fatalf("success response to %v: %v", source, err)
		}
		if err := resp.Parse(out); err != nil {
			t.Fatalf("built response does not parse: %v", err)
		}
		if got, err := resp.XORMappedAddress(); err != nil || got != source || resp.TransactionID() != id {
			t.Fatalf("XOR-MAPPED-ADDRESS %v came back as %v, %v", source, got, err)
		}
		if i.Check(resp) != nil || resp.CheckFingerprint() != nil {
			t.Fatal("built response fails its own checks")
		}
	})
}

// addrPortFrom makes an IPv4 or IPv6 address of 4 or 16 bytes; IPv4-mapped addresses are unmapped, as sent.
func addrPortFrom(ip []byte, port uint16) (netip.AddrPort, bool) {
	addr, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(addr.Unmap(), port), true
}
