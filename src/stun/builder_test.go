package stun

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestBuilderRefuses(t *testing.T) {
	i := shortTerm(t, "pwd")
	start := func() *Builder { return NewBuilder(nil, BindingRequest, rfc5769ID) }
	tests := []struct {
		name  string
		build *Builder
	}{
		{"method above 12 bits", NewBuilder(nil, MessageType{Method: 0x1000}, rfc5769ID)},
		{"unknown class", NewBuilder(nil, MessageType{Method: MethodBinding, Class: 4}, rfc5769ID)},
		{"raw MESSAGE-INTEGRITY", start().Add(AttrMessageIntegrity, make([]byte, 20))},
		{"raw MESSAGE-INTEGRITY-SHA256", start().Add(AttrMessageIntegritySHA256, make([]byte, 32))},
		{"raw FINGERPRINT", start().Add(AttrFingerprint, make([]byte, 4))},
		{"USERNAME of 509 bytes", start().AddUsername(strings.Repeat("a", 509))},
		{"SOFTWARE of 510 bytes", start().AddText(AttrSoftware, strings.Repeat("a", 510))},
		{"text not UTF-8", start().AddText(AttrRealm, "\xff")},
		{"error code 299", start().AddErrorCode(299, "x")},
		{"error code 700", start().AddErrorCode(700, "x")},
		{"reason too long", start().AddErrorCode(CodeBadRequest, strings.Repeat("a", 510))},
		{"invalid address", start().AddXORMappedAddress(netip.AddrPort{})},
		{"nil Integrity", start().AddMessageIntegrity(nil)},
		{"nil Integrity SHA256", start().AddMessageIntegritySHA256(nil)},
		{"attribute after MESSAGE-INTEGRITY", start().AddMessageIntegrity(i).AddPriority(1)},
		{"two MESSAGE-INTEGRITY", start().AddMessageIntegrity(i).AddMessageIntegrity(i)},
		{"MESSAGE-INTEGRITY after SHA256", start().AddMessageIntegritySHA256(i).AddMessageIntegrity(i)},
		{"attribute after FINGERPRINT", start().AddFingerprint().AddUseCandidate()},
		{"two FINGERPRINT", start().AddFingerprint().AddFingerprint()},
		{"value over 65535 bytes", start().Add(0x8123, make([]byte, 0x10000))},
		{"message over 65535 bytes", start().Add(0x8123, make([]byte, 0xfff0)).Add(0x8124, make([]byte, 16))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.build.Bytes()
			if !errors.Is(err, ErrInvalidArgument) || got != nil {
				t.Errorf("Bytes = %d bytes, %v; want ErrInvalidArgument", len(got), err)
			}
		})
	}
}

func TestBuilderFirstErrorSticks(t *testing.T) {
	b := NewBuilder(nil, BindingRequest, rfc5769ID).AddErrorCode(1, "").AddUsername("\xff").AddPriority(1)
	_, err := b.Bytes()
	if err == nil || !strings.Contains(err.Error(), "error code") {
		t.Errorf("Bytes = %v, want the first error (the error code)", err)
	}
}

func TestBuilderRoundTrip(t *testing.T) {
	i := shortTerm(t, "pwd")
	addr := netip.MustParseAddrPort("[2001:db8::7]:9")
	b, err := NewBuilder(nil, BindingRequest, rfc5769ID).
		AddUsername("srvU:cliU").
		AddText(AttrSoftware, "live-webrtcsignaling").
		AddText(AttrRealm, "realm").
		AddText(AttrNonce, "nonce").
		Add(0xc057, []byte{0, 1, 0, 0}).
		AddPriority(7).
		AddUseCandidate().
		AddICEControlling(9).
		AddXORMappedAddress(addr).
		AddMappedAddress(addr).
		AddErrorCode(CodeServerError, "").
		AddUnknownAttributes([]AttrType{0x0031}).
		AddMessageIntegrity(i).
		AddMessageIntegritySHA256(i).
		AddFingerprint().
		Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m := parsed(t, b)
	if len(b)%4 != 0 || int(b[2])<<8|int(b[3]) != len(b)-HeaderSize {
		t.Fatalf("length field %x for %d bytes", b[2:4], len(b))
	}
	for _, attr := range []struct {
		typ  AttrType
		want string
	}{{AttrUsername, "srvU:cliU"}, {AttrSoftware, "live-webrtcsignaling"}, {AttrRealm, "realm"}, {AttrNonce, "nonce"}} {
		if v, err := m.Text(attr.typ); err != nil || string(v) != attr.want {
			t.Errorf("%v = %q, %v", attr.typ, v, err)
		}
	}
	if v, err := m.Get(0xc057); err != nil || !bytes.Equal(v, []byte{0, 1, 0, 0}) {
		t.Errorf("raw attribute = %x, %v", v, err)
	}
	if c, err := m.ConnectivityCheck(); err != nil || c != (ConnectivityCheck{Priority: 7, UseCandidate: true, Role: RoleControlling, TieBreaker: 9}) {
		t.Errorf("ConnectivityCheck = %+v, %v", c, err)
	}
	if got, err := m.XORMappedAddress(); err != nil || got != addr {
		t.Errorf("XORMappedAddress = %v, %v", got, err)
	}
	if got, err := m.MappedAddress(); err != nil || got != addr {
		t.Errorf("MappedAddress = %v, %v", got, err)
	}
	if code, reason, err := m.ErrorCode(); err != nil || code != CodeServerError || string(reason) != "Server Error" {
		t.Errorf("ErrorCode = %v %q, %v", code, reason, err)
	}
	if got, err := m.UnknownAttributes(nil); err != nil || !equalTypes(got, []AttrType{0x0031}) {
		t.Errorf("UnknownAttributes = %v, %v", got, err)
	}
	if err := i.Check(m); err != nil {
		t.Errorf("integrity (SHA256): %v", err)
	}
	if err := m.CheckFingerprint(); err != nil {
		t.Errorf("fingerprint: %v", err)
	}
	// The SHA-1 integrity must hold on its own too: it covers only what precedes it.
	withoutSHA256 := NewMessage()
	end := m.integrity256
	sha1Only := append(bytes.Clone(b[:end]), b[m.fingerprint:]...)
	sha1Only[2], sha1Only[3] = byte((len(sha1Only)-HeaderSize)>>8), byte(len(sha1Only)-HeaderSize)
	if err := withoutSHA256.Parse(sha1Only); err != nil {
		t.Fatal(err)
	}
	if err := i.Check(withoutSHA256); err != nil {
		t.Errorf("integrity (SHA1): %v", err)
	}
}

func TestBuilderAppendsAfterExistingBytes(t *testing.T) {
	i := shortTerm(t, "pwd")
	prefix := []byte("prefix--")
	dst := append(make([]byte, 0, 512), prefix...)
	b, err := NewBuilder(dst, BindingRequest, rfc5769ID).AddUsername("a:b").AddMessageIntegrity(i).AddFingerprint().Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, prefix) || &b[0] != &dst[:1][0] {
		t.Fatal("the message is not appended to dst in place")
	}
	m := parsed(t, b[len(prefix):])
	if err := i.Check(m); err != nil {
		t.Errorf("integrity: %v", err)
	}
	if err := m.CheckFingerprint(); err != nil {
		t.Errorf("fingerprint: %v", err)
	}
}

func TestNewTransactionID(t *testing.T) {
	a, errA := NewTransactionID()
	b, errB := NewTransactionID()
	if errA != nil || errB != nil || a == b || a == (TransactionID{}) {
		t.Errorf("NewTransactionID = %x, %x, %v, %v", a, b, errA, errB)
	}
}

// TestZeroValues: objects not made by their constructors must fail cleanly, never panic.
func TestZeroValues(t *testing.T) {
	var m Message
	if err := m.CheckFingerprint(); !errors.Is(err, ErrFingerprintMissing) {
		t.Errorf("zero Message CheckFingerprint = %v", err)
	}
	if err := shortTerm(t, "pwd").Check(&m); !errors.Is(err, ErrIntegrityMissing) {
		t.Errorf("zero Message integrity = %v", err)
	}
	if _, err := m.Get(AttrUsername); !errors.Is(err, ErrAttributeNotFound) {
		t.Errorf("zero Message Get = %v", err)
	}
	if err := m.Parse(rfc5769Request); err != nil {
		t.Errorf("zero Message Parse = %v", err)
	}
	var i Integrity
	if err := i.Check(&m); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("zero Integrity Check = %v", err)
	}
	if _, err := NewBuilder(nil, BindingRequest, rfc5769ID).AddMessageIntegrity(&i).Bytes(); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("zero Integrity in a Builder = %v", err)
	}
	var b Builder
	if _, err := b.AddPriority(1).AddMessageIntegrity(shortTerm(t, "pwd")).AddFingerprint().Bytes(); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("zero Builder = %v", err)
	}
}

func TestParseNilMessage(t *testing.T) {
	var m *Message
	if err := m.Parse(rfc5769Request); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("nil Message Parse = %v", err)
	}
}
