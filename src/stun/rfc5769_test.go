package stun

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// The test vectors of RFC 5769 section 2, byte for byte. In 2.1 to 2.3 the padding bytes are 0x20, not zero:
// receivers must ignore padding, and these vectors make sure the HMAC and CRC still cover it.
var (
	rfc5769Request = mustHex(`
		00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
		80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
		00 24 00 04 6e 00 01 ff
		80 29 00 08 93 2f f9 b1 51 26 3b 36
		00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
		00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
		80 28 00 04 e5 7a 3b cf`)
	rfc5769ResponseIPv4 = mustHex(`
		01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
		80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
		00 20 00 08 00 01 a1 47 e1 12 a6 43
		00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
		80 28 00 04 c0 7d 4c 96`)
	rfc5769ResponseIPv6 = mustHex(`
		01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
		80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
		00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
		00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
		80 28 00 04 c8 fb 0b 4c`)
	rfc5769LongTerm = mustHex(`
		00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
		00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
		00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
		00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
		00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66`)
)

const (
	rfc5769Password = "VOkJxbRl1RmTxUk/WvJxBt"
	// The long-term credentials of 2.4, after SASLprep ("TheM\u00aatr\u2168" becomes "TheMatrIX").
	rfc5769LongUser     = "\u30de\u30c8\u30ea\u30c3\u30af\u30b9"
	rfc5769LongRealm    = "example.org"
	rfc5769LongPassword = "TheMatrIX"
	rfc5769LongNonce    = "f//499k954d6OL34oL9FSTvy64sA"
)

var rfc5769ID = TransactionID(mustHex("b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"))

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

func shortTerm(t testing.TB, password string) *Integrity {
	t.Helper()
	i, err := NewShortTermIntegrity(password)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func parsed(t testing.TB, b []byte) *Message {
	t.Helper()
	m := NewMessage()
	if err := m.Parse(b); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func TestRFC5769Parse(t *testing.T) {
	longTerm, err := NewLongTermIntegrity(rfc5769LongUser, rfc5769LongRealm, rfc5769LongPassword)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		vector      []byte
		typ         MessageType
		integrity   *Integrity
		fingerprint bool
		software    string
		mapped      netip.AddrPort
	}{
		{"2.1 request", rfc5769Request, BindingRequest, shortTerm(t, rfc5769Password), true, "STUN test client", netip.AddrPort{}},
		{"2.2 IPv4 response", rfc5769ResponseIPv4, BindingSuccess, shortTerm(t, rfc5769Password), true, "test vector",
			netip.MustParseAddrPort("192.0.2.1:32853")},
		{"2.3 IPv6 response", rfc5769ResponseIPv6, BindingSuccess, shortTerm(t, rfc5769Password), true, "test vector",
			netip.MustParseAddrPort("[2001:db8:1234:5678:11:2233:4455:6677]:32853")},
		{"2.4 long-term request", rfc5769LongTerm, BindingRequest, longTerm, false, "", netip.AddrPort{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			original := bytes.Clone(tt.vector)
			m := parsed(t, tt.vector)
			if m.Type() != tt.typ {
				t.Errorf("type = %v, want %v", m.Type(), tt.typ)
			}
			if err := tt.integrity.Check(m); err != nil {
				t.Errorf("integrity: %v", err)
			}
			if err := shortTerm(t, "wrong").Check(m); !errors.Is(err, ErrIntegrity) {
				t.Errorf("integrity with a wrong key = %v, want ErrIntegrity", err)
			}
			wantFingerprint := error(nil)
			if !tt.fingerprint {
				wantFingerprint = ErrFingerprintMissing
			}
			if err := m.CheckFingerprint(); !errors.Is(err, wantFingerprint) {
				t.Errorf("fingerprint = %v, want %v", err, wantFingerprint)
			}
			if software, err := m.Text(AttrSoftware); tt.software != "" && (err != nil || string(software) != tt.software) {
				t.Errorf("SOFTWARE = %q, %v, want %q", software, err, tt.software)
			}
			if tt.mapped.IsValid() {
				if got, err := m.XORMappedAddress(); err != nil || got != tt.mapped {
					t.Errorf("XOR-MAPPED-ADDRESS = %v, %v, want %v", got, err, tt.mapped)
				}
			}
			if !bytes.Equal(tt.vector, original) {
				t.Error("parsing or checking modified the datagram")
			}
		})
	}
}

func TestRFC5769RequestICEAttributes(t *testing.T) {
	m := parsed(t, rfc5769Request)
	receiver, sender, err := m.ICEUsername()
	if err != nil || string(receiver) != "evtj" || string(sender) != "h6vY" {
		t.Errorf("ICEUsername = %q, %q, %v", receiver, sender, err)
	}
	check, err := m.ConnectivityCheck()
	want := ConnectivityCheck{Priority: 0x6e0001ff, Role: RoleControlled, TieBreaker: 0x932ff9b151263b36}
	if err != nil || check != want {
		t.Errorf("ConnectivityCheck = %+v, %v, want %+v", check, err, want)
	}
	// The vector's sender claims to be controlled: an ICE-lite receiver must answer 487.
	if err := check.CheckLiteRole(); !errors.Is(err, ErrRoleConflict) {
		t.Errorf("CheckLiteRole = %v, want ErrRoleConflict", err)
	}
}

// withPadding sets the padding bytes of the last attribute of a message being built, as the vectors do.
func withPadding(t *testing.T, b *Builder, pad byte) {
	t.Helper()
	buf, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	for i := len(buf) - 1; i >= 0 && buf[i] == 0; i-- {
		buf[i] = pad
	}
}

// TestRFC5769Build rebuilds the vectors with the Builder and compares them byte for byte, which proves the HMAC and
// CRC computations and the XOR address encoding, not only their checks.
func TestRFC5769Build(t *testing.T) {
	i := shortTerm(t, rfc5769Password)
	t.Run("2.1 request", func(t *testing.T) {
		b := NewBuilder(nil, BindingRequest, rfc5769ID).
			AddText(AttrSoftware, "STUN test client").
			AddPriority(0x6e0001ff).
			AddICEControlled(0x932ff9b151263b36).
			AddUsername("evtj:h6vY")
		withPadding(t, b, 0x20)
		compareBuilt(t, b.AddMessageIntegrity(i).AddFingerprint(), rfc5769Request)
	})
	for _, tt := range []struct {
		name   string
		addr   string
		vector []byte
	}{
		{"2.2 IPv4 response", "192.0.2.1:32853", rfc5769ResponseIPv4},
		{"2.3 IPv6 response", "[2001:db8:1234:5678:11:2233:4455:6677]:32853", rfc5769ResponseIPv6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder(nil, BindingSuccess, rfc5769ID).AddText(AttrSoftware, "test vector")
			withPadding(t, b, 0x20)
			b.AddXORMappedAddress(netip.MustParseAddrPort(tt.addr))
			compareBuilt(t, b.AddMessageIntegrity(i).AddFingerprint(), tt.vector)
		})
	}
	t.Run("2.4 long-term request", func(t *testing.T) {
		longTerm, err := NewLongTermIntegrity(rfc5769LongUser, rfc5769LongRealm, rfc5769LongPassword)
		if err != nil {
			t.Fatal(err)
		}
		b := NewBuilder(nil, BindingRequest, TransactionID(rfc5769LongTerm[8:20])).
			AddUsername(rfc5769LongUser).
			AddText(AttrNonce, rfc5769LongNonce).
			AddText(AttrRealm, rfc5769LongRealm).
			AddMessageIntegrity(longTerm)
		compareBuilt(t, b, rfc5769LongTerm)
	})
}

func compareBuilt(t *testing.T, b *Builder, want []byte) {
	t.Helper()
	got, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("built\n%x\nwant\n%x", got, want)
	}
}
