package stun

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestAddressRoundTrip(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"192.0.2.1:32853", "192.0.2.1:32853"},
		{"0.0.0.0:0", "0.0.0.0:0"},
		{"255.255.255.255:65535", "255.255.255.255:65535"},
		{"[2001:db8::1]:3478", "[2001:db8::1]:3478"},
		{"[::]:1", "[::]:1"},
		{"[fe80::1%eth0]:9", "[fe80::1]:9"},           // the zone does not travel
		{"[::ffff:192.0.2.7]:4000", "192.0.2.7:4000"}, // what a dual-stack socket reports for an IPv4 peer
		{"[ffff:ffff::ffff:ffff]:65535", "[ffff:ffff::ffff:ffff]:65535"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			in, want := netip.MustParseAddrPort(tt.in), netip.MustParseAddrPort(tt.want)
			b, err := NewBuilder(nil, BindingSuccess, rfc5769ID).AddXORMappedAddress(in).AddMappedAddress(in).Bytes()
			if err != nil {
				t.Fatal(err)
			}
			m := parsed(t, b)
			if got, err := m.XORMappedAddress(); err != nil || got != want {
				t.Errorf("XORMappedAddress = %v, %v, want %v", got, err, want)
			}
			if got, err := m.MappedAddress(); err != nil || got != want {
				t.Errorf("MappedAddress = %v, %v, want %v", got, err, want)
			}
		})
	}
}

func TestAddressMalformed(t *testing.T) {
	tests := []struct {
		name  string
		value []byte
		want  error
	}{
		{"empty", nil, errAddressLength},
		{"3 bytes", []byte{0, 1, 0}, errAddressLength},
		{"family 0", []byte{0, 0, 0, 1, 1, 2, 3, 4}, errAddressFamily},
		{"family 3", []byte{0, 3, 0, 1, 1, 2, 3, 4}, errAddressFamily},
		{"IPv4 short", []byte{0, 1, 0, 1, 1, 2, 3}, errAddressLength},
		{"IPv4 with 16 bytes", append([]byte{0, 1, 0, 1}, make([]byte, 16)...), errAddressLength},
		{"IPv6 with 4 bytes", []byte{0, 2, 0, 1, 1, 2, 3, 4}, errAddressLength},
		{"IPv6 long", append([]byte{0, 2, 0, 1}, make([]byte, 17)...), errAddressLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parsed(t, rawMessage(BindingSuccess, tlv(AttrXORMappedAddress, tt.value), tlv(AttrMappedAddress, tt.value)))
			if _, err := m.XORMappedAddress(); !errors.Is(err, tt.want) {
				t.Errorf("XORMappedAddress = %v, want %v", err, tt.want)
			}
			if _, err := m.MappedAddress(); !errors.Is(err, tt.want) {
				t.Errorf("MappedAddress = %v, want %v", err, tt.want)
			}
		})
	}
	m := parsed(t, rawMessage(BindingSuccess))
	if _, err := m.XORMappedAddress(); !errors.Is(err, ErrAttributeNotFound) {
		t.Errorf("absent: %v", err)
	}
	// The reserved first byte is ignored.
	m = parsed(t, rawMessage(BindingSuccess, tlv(AttrMappedAddress, []byte{0xff, 1, 0, 80, 10, 0, 0, 1})))
	if got, err := m.MappedAddress(); err != nil || got != netip.MustParseAddrPort("10.0.0.1:80") {
		t.Errorf("reserved byte set: %v, %v", got, err)
	}
}

func TestErrorCodeAttribute(t *testing.T) {
	tests := []struct {
		name       string
		value      []byte
		wantCode   ErrorCode
		wantReason string
		wantErr    error
	}{
		{"487", append([]byte{0, 0, 4, 87}, "Role Conflict"...), CodeRoleConflict, "Role Conflict", nil},
		{"300 empty reason", []byte{0, 0, 3, 0}, CodeTryAlternate, "", nil},
		{"699", []byte{0, 0, 6, 99}, 699, "", nil},
		{"reserved bits ignored", []byte{0xff, 0xff, 0xfc, 1}, CodeUnauthenticated, "", nil},
		{"short", []byte{0, 0, 4}, 0, "", errErrorCodeLength},
		{"class 2", []byte{0, 0, 2, 0}, 0, "", errErrorCodeValue},
		{"class 7", []byte{0, 0, 7, 0}, 0, "", errErrorCodeValue},
		{"number 100", []byte{0, 0, 4, 100}, 0, "", errErrorCodeValue},
		{"reason not UTF-8", []byte{0, 0, 4, 0, 0xff}, 0, "", errTextUTF8},
		{"reason too long", append([]byte{0, 0, 4, 0}, strings.Repeat("a", maxTextDecode+1)...), 0, "", errTextTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parsed(t, rawMessage(BindingError, tlv(AttrErrorCode, tt.value)))
			code, reason, err := m.ErrorCode()
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("ErrorCode error = %v, want %v", err, tt.wantErr)
			}
			if code != tt.wantCode || string(reason) != tt.wantReason {
				t.Errorf("ErrorCode = %d %q, want %d %q", code, reason, tt.wantCode, tt.wantReason)
			}
		})
	}
}

func TestUnknownAttributesAttribute(t *testing.T) {
	b, err := NewBuilder(nil, BindingError, rfc5769ID).AddErrorCode(CodeUnknownAttribute, "").
		AddUnknownAttributes([]AttrType{0x0031, 0x7fff, 0x0002}).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	got, err := parsed(t, b).UnknownAttributes(nil)
	if want := []AttrType{0x0031, 0x7fff, 0x0002}; err != nil || !equalTypes(got, want) {
		t.Errorf("UnknownAttributes = %v, %v, want %v", got, err, want)
	}
	odd := parsed(t, rawMessage(BindingError, tlv(AttrUnknownAttributes, []byte{0, 1, 0})))
	if _, err := odd.UnknownAttributes(nil); !errors.Is(err, errUnknownAttrsLength) {
		t.Errorf("odd length: %v", err)
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name  string
		value []byte
		want  error
	}{
		{"ASCII", []byte("pion"), nil},
		{"UTF-8", []byte(rfc5769LongUser), nil},
		{"763 bytes", bytes.Repeat([]byte("a"), maxTextDecode), nil},
		{"764 bytes", bytes.Repeat([]byte("a"), maxTextDecode+1), errTextTooLong},
		{"not UTF-8", []byte{'a', 0xc3}, errTextUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsed(t, rawMessage(BindingRequest, tlv(AttrSoftware, tt.value))).Text(AttrSoftware)
			if !errors.Is(err, tt.want) || (tt.want == nil && (err != nil || !bytes.Equal(got, tt.value))) {
				t.Errorf("Text = %q, %v, want %v", got, err, tt.want)
			}
		})
	}
}

func TestICEUsername(t *testing.T) {
	long := strings.Repeat("a", MaxICECredentialLen)
	tests := []struct {
		name             string
		value            string
		receiver, sender string
		want             error
	}{
		{"browser", "srvU:cliU", "srvU", "cliU", nil},
		{"ice-chars", "aZ09+/:b", "aZ09+/", "b", nil},
		{"longest ufrags", long + ":" + long, long, long, nil},
		{"no colon", "srvUcliU", "", "", errICEUsername},
		{"empty receiver", ":cliU", "", "", errICEUsername},
		{"empty sender", "srvU:", "", "", errICEUsername},
		{"two colons", "a:b:c", "", "", errICEUsername},
		{"space", "srv U:cliU", "", "", errICEUsername},
		{"minus", "srv-U:cliU", "", "", errICEUsername},
		{"UTF-8", "s\u00e9rv:cliU", "", "", errICEUsername},
		{"ufrag too long", long + "a:b", "", "", errICEUsername},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parsed(t, rawMessage(BindingRequest, tlv(AttrUsername, []byte(tt.value))))
			receiver, sender, err := m.ICEUsername()
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("ICEUsername error = %v, want %v", err, tt.want)
			}
			if string(receiver) != tt.receiver || string(sender) != tt.sender {
				t.Errorf("ICEUsername = %q, %q, want %q, %q", receiver, sender, tt.receiver, tt.sender)
			}
		})
	}
	if _, _, err := parsed(t, rawMessage(BindingRequest)).ICEUsername(); !errors.Is(err, ErrAttributeNotFound) {
		t.Errorf("no USERNAME: %v", err)
	}
}

func TestValidICECredential(t *testing.T) {
	longest := strings.Repeat("a", MaxICECredentialLen)
	tests := []struct {
		name   string
		s      string
		minLen int
		want   bool
	}{
		{"ufrag", "aZ09", MinICEUfragLen, true},
		{"every ice-char", "azAZ09+/", MinICEUfragLen, true},
		{"ufrag too short", "aZ0", MinICEUfragLen, false},
		{"password", strings.Repeat("p", MinICEPwdLen), MinICEPwdLen, true},
		{"password too short", strings.Repeat("p", MinICEPwdLen-1), MinICEPwdLen, false},
		{"longest", longest, MinICEUfragLen, true},
		{"too long", longest + "a", MinICEUfragLen, false},
		{"empty", "", 1, false},
		{"minus", "abc-d", MinICEUfragLen, false},
		{"space", "abc d", MinICEUfragLen, false},
		{"equals", "abcd=", MinICEUfragLen, false},
		{"UTF-8", "abc\u00e9", MinICEUfragLen, false},
		{"NUL", "abc\x00", MinICEUfragLen, false},
	}
	for _, tt := range tests {
		if got := ValidICECredential(tt.s, tt.minLen); got != tt.want {
			t.Errorf("%s: ValidICECredential(%q, %d) = %v, want %v", tt.name, tt.s, tt.minLen, got, tt.want)
		}
		if got := ValidICECredential([]byte(tt.s), tt.minLen); got != tt.want {
			t.Errorf("%s: ValidICECredential([]byte(%q), %d) = %v, want %v", tt.name, tt.s, tt.minLen, got, tt.want)
		}
	}
}

// TestCheckICEUsername: section 11 item 14, the original never compared the USERNAME with the session's ufrags.
func TestCheckICEUsername(t *testing.T) {
	m := parsed(t, rawMessage(BindingRequest, tlv(AttrUsername, []byte("srvU:cliU"))))
	tests := []struct {
		local, remote string
		want          error
	}{
		{"srvU", "cliU", nil},
		{"srvX", "cliU", ErrUsername},
		{"srvU", "cliX", ErrUsername},
		{"cliU", "srvU", ErrUsername}, // halves swapped
		{"srvU", "cliUU", ErrUsername},
	}
	for _, tt := range tests {
		if err := m.CheckICEUsername(tt.local, tt.remote); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("CheckICEUsername(%q, %q) = %v, want %v", tt.local, tt.remote, err, tt.want)
		}
	}
	bad := parsed(t, rawMessage(BindingRequest, tlv(AttrUsername, []byte("srvU"))))
	if err := bad.CheckICEUsername("srvU", ""); !errors.Is(err, ErrMalformed) {
		t.Errorf("malformed USERNAME: %v", err)
	}
}

func TestConnectivityCheck(t *testing.T) {
	priority := tlv(AttrPriority, []byte{0x6e, 0, 1, 0xff})
	tests := []struct {
		name  string
		attrs [][]byte
		want  ConnectivityCheck
		err   error
	}{
		{"controlling nominating", [][]byte{priority, tlv(AttrUseCandidate, nil), tlv(AttrICEControlling, []byte{0, 0, 0, 0, 0, 0, 0, 7})},
			ConnectivityCheck{Priority: 0x6e0001ff, UseCandidate: true, Role: RoleControlling, TieBreaker: 7}, nil},
		{"controlled", [][]byte{priority, tlv(AttrICEControlled, []byte{0xff, 0, 0, 0, 0, 0, 0, 1})},
			ConnectivityCheck{Priority: 0x6e0001ff, Role: RoleControlled, TieBreaker: 0xff00000000000001}, nil},
		{"no role", [][]byte{priority}, ConnectivityCheck{Priority: 0x6e0001ff}, nil},
		{"no PRIORITY", [][]byte{tlv(AttrICEControlling, make([]byte, 8))}, ConnectivityCheck{}, errPriorityMissing},
		{"PRIORITY of 8 bytes", [][]byte{tlv(AttrPriority, make([]byte, 8))}, ConnectivityCheck{}, errUint32Length},
		{"USE-CANDIDATE with a value", [][]byte{priority, tlv(AttrUseCandidate, []byte{1})}, ConnectivityCheck{}, errFlagLength},
		{"ICE-CONTROLLING of 4 bytes", [][]byte{priority, tlv(AttrICEControlling, make([]byte, 4))}, ConnectivityCheck{}, errUint64Length},
		{"ICE-CONTROLLED of 9 bytes", [][]byte{priority, tlv(AttrICEControlled, make([]byte, 9))}, ConnectivityCheck{}, errUint64Length},
		{"both roles", [][]byte{priority, tlv(AttrICEControlling, make([]byte, 8)), tlv(AttrICEControlled, make([]byte, 8))},
			ConnectivityCheck{}, errBothRoles},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsed(t, rawMessage(BindingRequest, tt.attrs...)).ConnectivityCheck()
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("ConnectivityCheck error = %v, want %v", err, tt.err)
			}
			if tt.err == nil && got != tt.want {
				t.Errorf("ConnectivityCheck = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestCheckLiteRole: section 11 item 14, the original never answered 487. An ICE-lite agent stays controlled.
func TestCheckLiteRole(t *testing.T) {
	tests := []struct {
		role Role
		want error
	}{
		{RoleControlling, nil},
		{RoleNone, nil},
		{RoleControlled, ErrRoleConflict},
	}
	for _, tt := range tests {
		for _, tieBreaker := range []uint64{0, 1 << 63, ^uint64(0)} {
			c := ConnectivityCheck{Role: tt.role, TieBreaker: tieBreaker}
			if err := c.CheckLiteRole(); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("%v tie-breaker %d: CheckLiteRole = %v, want %v", tt.role, tieBreaker, err, tt.want)
			}
		}
	}
}
