package stun

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// tlv encodes one attribute with zero padding, whatever its type, so tests can write what the Builder refuses to.
func tlv(t AttrType, v []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(t))
	b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	return append(b, make([]byte, padded(len(v))-len(v))...)
}

// rawMessage assembles a header with the right length and the given attribute bytes.
func rawMessage(t MessageType, attrs ...[]byte) []byte {
	body := bytes.Join(attrs, nil)
	b := binary.BigEndian.AppendUint16(nil, t.Value())
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)))
	b = binary.BigEndian.AppendUint32(b, MagicCookie)
	b = append(b, rfc5769ID[:]...)
	return append(b, body...)
}

func setLength(b []byte, n int) []byte {
	b = bytes.Clone(b)
	binary.BigEndian.PutUint16(b[2:4], uint16(n))
	return b
}

func TestMessageTypeWire(t *testing.T) {
	tests := []struct {
		typ  MessageType
		wire uint16
	}{
		{BindingRequest, 0x0001},
		{BindingIndication, 0x0011},
		{BindingSuccess, 0x0101},
		{BindingError, 0x0111},
		{MessageType{Method: 0x003, Class: ClassRequest}, 0x0003}, // TURN Allocate
		{MessageType{Method: 0x003, Class: ClassErrorResponse}, 0x0113},
		{MessageType{Method: 0xfff, Class: ClassErrorResponse}, 0x3fff},
		{MessageType{Method: 0x080, Class: ClassRequest}, 0x0200},
	}
	for _, tt := range tests {
		if got := tt.typ.Value(); got != tt.wire {
			t.Errorf("%v.Value() = 0x%04x, want 0x%04x", tt.typ, got, tt.wire)
		}
		if got := messageTypeFrom(tt.wire); got != tt.typ {
			t.Errorf("messageTypeFrom(0x%04x) = %v, want %v", tt.wire, got, tt.typ)
		}
	}
	for v := range uint16(0x4000) {
		if got := messageTypeFrom(v).Value(); got != v {
			t.Fatalf("type 0x%04x does not survive a round trip: 0x%04x", v, got)
		}
	}
}

func TestIsMessage(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want bool
	}{
		{"binding request", rfc5769Request, true},
		{"header only", rawMessage(BindingRequest), true},
		{"19 bytes", rfc5769Request[:19], false},
		{"empty", nil, false},
		{"top bit set (RTP)", append([]byte{0x80}, rfc5769Request[1:]...), false},
		{"second bit set", append([]byte{0x40}, rfc5769Request[1:]...), false},
		{"DTLS record", append([]byte{22, 0xfe, 0xfd}, make([]byte, 30)...), false},
		{"wrong cookie", append(bytes.Clone(rfc5769Request[:4]), append([]byte{0x21, 0x12, 0xa4, 0x43}, rfc5769Request[8:]...)...), false},
	}
	for _, tt := range tests {
		if got := IsMessage(tt.b); got != tt.want {
			t.Errorf("%s: IsMessage = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseMalformed(t *testing.T) {
	software := tlv(AttrSoftware, []byte("abc"))
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, errShortHeader},
		{"19 bytes", rfc5769Request[:19], errShortHeader},
		{"top bits", append([]byte{0xc0}, rfc5769Request[1:]...), errNotSTUN},
		{"wrong cookie", append(bytes.Clone(rfc5769Request[:7]), append([]byte{0x43}, rfc5769Request[8:]...)...), errNotSTUN},
		{"length not aligned", setLength(rfc5769Request, 0x57), errLengthNotAligned},
		{"length beyond the datagram", setLength(rfc5769Request, 0x5c), errLengthMismatch},
		{"length short of the datagram", setLength(rfc5769Request, 0x54), errLengthMismatch},
		{"truncated datagram", rfc5769Request[:len(rfc5769Request)-4], errLengthMismatch},
		// Section 11 item 14: the original checked the value against the end without the 4-byte header, so a value
		// that ends 1 to 4 bytes past the message made it read out of bounds.
		{"value length counts its own header", rawMessage(BindingRequest, []byte{0x80, 0x22, 0x00, 0x08, 'a', 'b', 'c', 'd'}), errAttrValue},
		{"header alone with a value length", rawMessage(BindingRequest, software, []byte{0x80, 0x22, 0x00, 0x04}), errAttrValue},
		{"last value overruns by 1", rawMessage(BindingRequest, []byte{0x80, 0x22, 0x00, 0x05, 'a', 'b', 'c', 'd'}), errAttrValue},
		{"value length 0xffff", rawMessage(BindingRequest, []byte{0x80, 0x22, 0xff, 0xff}), errAttrValue},
		{"MESSAGE-INTEGRITY of 16 bytes", rawMessage(BindingRequest, tlv(AttrMessageIntegrity, make([]byte, 16))), errIntegrityLength},
		{"MESSAGE-INTEGRITY-SHA256 of 12 bytes", rawMessage(BindingRequest, tlv(AttrMessageIntegritySHA256, make([]byte, 12))), errIntegrity256Length},
		{"MESSAGE-INTEGRITY-SHA256 of 18 bytes", rawMessage(BindingRequest, tlv(AttrMessageIntegritySHA256, make([]byte, 18))), errIntegrity256Length},
		{"MESSAGE-INTEGRITY-SHA256 of 36 bytes", rawMessage(BindingRequest, tlv(AttrMessageIntegritySHA256, make([]byte, 36))), errIntegrity256Length},
		{"FINGERPRINT of 8 bytes", rawMessage(BindingRequest, tlv(AttrFingerprint, make([]byte, 8))), errFingerprintLength},
		{"too many attributes", rawMessage(BindingRequest, bytes.Repeat(tlv(AttrUseCandidate, nil), maxAttributes+1)), errTooManyAttributes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parsed(t, rfc5769Request) // a reused Message must come out empty after a failure
			err := m.Parse(tt.b)
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse = %v, want %v", err, tt.want)
			}
			if len(m.Attributes()) != 0 || m.Raw() != nil || m.Type() != (MessageType{}) {
				t.Errorf("message not reset after a failed Parse: %+v", m)
			}
			if err := m.CheckFingerprint(); !errors.Is(err, ErrFingerprintMissing) {
				t.Errorf("CheckFingerprint after a failed Parse = %v", err)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name  string
		b     []byte
		types []AttrType
	}{
		{"no attribute", rawMessage(BindingRequest), nil},
		// The original rejected a body of exactly 0x14 bytes as "no attributes".
		{"length 0x14", rawMessage(BindingRequest, tlv(AttrSoftware, make([]byte, 16))), []AttrType{AttrSoftware}},
		{"empty value", rawMessage(BindingRequest, tlv(AttrUseCandidate, nil)), []AttrType{AttrUseCandidate}},
		{"padding not zero", rawMessage(BindingRequest, []byte{0x80, 0x22, 0, 1, 'a', 0xff, 0xff, 0xff}), []AttrType{AttrSoftware}},
		{"maximum attributes", rawMessage(BindingRequest, bytes.Repeat(tlv(0x8123, nil), maxAttributes)), nil},
		{"duplicates kept in order", rawMessage(BindingRequest, tlv(AttrPriority, []byte{0, 0, 0, 1}), tlv(AttrPriority, []byte{0, 0, 0, 2})),
			[]AttrType{AttrPriority, AttrPriority}},
		{
			"attributes after MESSAGE-INTEGRITY ignored but for MESSAGE-INTEGRITY-SHA256 and FINGERPRINT",
			rawMessage(BindingRequest, tlv(AttrUsername, []byte("a:b")), tlv(AttrMessageIntegrity, make([]byte, 20)),
				tlv(AttrPriority, make([]byte, 4)), tlv(AttrMessageIntegrity, make([]byte, 20)),
				tlv(AttrMessageIntegritySHA256, make([]byte, 32)), tlv(AttrUseCandidate, nil), tlv(AttrFingerprint, make([]byte, 4))),
			[]AttrType{AttrUsername, AttrMessageIntegrity, AttrMessageIntegritySHA256, AttrFingerprint},
		},
		{
			"attributes after MESSAGE-INTEGRITY-SHA256 alone ignored but for FINGERPRINT",
			rawMessage(BindingRequest, tlv(AttrMessageIntegritySHA256, make([]byte, 16)), tlv(AttrMessageIntegrity, make([]byte, 20)),
				tlv(AttrFingerprint, make([]byte, 4))),
			[]AttrType{AttrMessageIntegritySHA256, AttrFingerprint},
		},
		{
			"attributes after FINGERPRINT ignored, even integrity",
			rawMessage(BindingRequest, tlv(AttrFingerprint, make([]byte, 4)), tlv(AttrMessageIntegrity, make([]byte, 20)),
				tlv(AttrFingerprint, make([]byte, 4))),
			[]AttrType{AttrFingerprint},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parsed(t, tt.b)
			var got []AttrType
			for _, a := range m.Attributes() {
				got = append(got, a.Type)
			}
			if tt.types != nil && !equalTypes(got, tt.types) {
				t.Errorf("attributes = %v, want %v", got, tt.types)
			}
			if m.TransactionID() != rfc5769ID || m.Type() != BindingRequest || !bytes.Equal(m.Raw(), tt.b) {
				t.Errorf("header: %v %x", m.Type(), m.TransactionID())
			}
		})
	}
}

func equalTypes(a, b []AttrType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestGetFirstOccurrence(t *testing.T) {
	m := parsed(t, rawMessage(BindingRequest, tlv(AttrSoftware, []byte("first")), tlv(AttrSoftware, []byte("second"))))
	if v, err := m.Get(AttrSoftware); err != nil || string(v) != "first" {
		t.Errorf("Get = %q, %v, want the first occurrence", v, err)
	}
	if _, err := m.Get(AttrRealm); !errors.Is(err, ErrAttributeNotFound) {
		t.Errorf("Get of an absent attribute = %v", err)
	}
	if !m.Contains(AttrSoftware) || m.Contains(AttrNonce) {
		t.Error("Contains disagrees with Get")
	}
}

func TestUnknownRequired(t *testing.T) {
	m := parsed(t, rawMessage(BindingRequest, tlv(AttrUsername, []byte("a:b")), tlv(0x0031, nil), tlv(0xc057, []byte{0, 1, 0, 0}),
		tlv(0x7fff, []byte{1}), tlv(AttrPriority, make([]byte, 4))))
	got := m.UnknownRequired(nil)
	if want := []AttrType{0x0031, 0x7fff}; !equalTypes(got, want) {
		t.Errorf("UnknownRequired = %v, want %v (comprehension-optional 0xC057 is not one)", got, want)
	}
	if got := parsed(t, rfc5769Request).UnknownRequired(nil); len(got) != 0 {
		t.Errorf("UnknownRequired of the RFC 5769 request = %v", got)
	}
}

func TestAttrTypeString(t *testing.T) {
	for typ, want := range map[AttrType]string{AttrXORMappedAddress: "XOR-MAPPED-ADDRESS", AttrICEControlling: "ICE-CONTROLLING", 0xc057: "0xC057"} {
		if got := typ.String(); got != want {
			t.Errorf("String(0x%04x) = %q, want %q", uint16(typ), got, want)
		}
	}
}
