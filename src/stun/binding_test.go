package stun

import (
	"errors"
	"net/netip"
	"testing"
)

func TestAppendBindingSuccess(t *testing.T) {
	i := shortTerm(t, "pwd")
	sha1Request := signedRequest(t, "pwd")
	sha256Request := sha256Signed("pwd", rawMessage(BindingRequest, tlv(AttrUsername, []byte("srvU:cliU"))), 32)
	tests := []struct {
		name       string
		req        []byte
		source     string
		wantSHA256 bool
	}{
		{"IPv4 source, SHA1 request", sha1Request, "198.51.100.7:50000", false},
		{"IPv6 source, SHA1 request", sha1Request, "[2001:db8::42]:50001", false},
		{"SHA256 request gets a SHA256 response", sha256Request, "198.51.100.7:50000", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := parsed(t, tt.req)
			source := netip.MustParseAddrPort(tt.source)
			b, err := AppendBindingSuccess(make([]byte, 0, 1500), req, source, i)
			if err != nil {
				t.Fatal(err)
			}
			resp := parsed(t, b)
			if resp.Type() != BindingSuccess || resp.TransactionID() != req.TransactionID() {
				t.Errorf("header = %v %x", resp.Type(), resp.TransactionID())
			}
			if got, err := resp.XORMappedAddress(); err != nil || got != source {
				t.Errorf("XOR-MAPPED-ADDRESS = %v, %v, want %v", got, err, source)
			}
			if err := i.Check(resp); err != nil {
				t.Errorf("integrity: %v", err)
			}
			if err := resp.CheckFingerprint(); err != nil {
				t.Errorf("fingerprint: %v", err)
			}
			if resp.Contains(AttrMessageIntegritySHA256) != tt.wantSHA256 || resp.Contains(AttrMessageIntegrity) == tt.wantSHA256 {
				t.Errorf("integrity algorithm does not follow the request's")
			}
			if resp.Contains(AttrUsername) {
				t.Error("a response must not carry USERNAME (RFC 8489 9.1.3)")
			}
		})
	}
}

// TestAppendBindingError: section 11 item 14, the original had no error response at all.
func TestAppendBindingError(t *testing.T) {
	i := shortTerm(t, "pwd")
	req := parsed(t, signedRequest(t, "pwd"))
	tests := []struct {
		code          ErrorCode
		integrity     *Integrity
		wantIntegrity bool
	}{
		{CodeBadRequest, nil, false},
		{CodeUnauthenticated, nil, false},
		{CodeRoleConflict, i, true},
		{CodeServerError, i, true},
	}
	for _, tt := range tests {
		t.Run(tt.code.String(), func(t *testing.T) {
			b, err := AppendBindingError(nil, req, tt.code, tt.integrity)
			if err != nil {
				t.Fatal(err)
			}
			resp := parsed(t, b)
			if resp.Type() != BindingError || resp.TransactionID() != req.TransactionID() {
				t.Errorf("header = %v %x", resp.Type(), resp.TransactionID())
			}
			code, reason, err := resp.ErrorCode()
			if err != nil || code != tt.code || string(reason) != tt.code.Reason() {
				t.Errorf("ERROR-CODE = %v %q, %v", code, reason, err)
			}
			wantIntegrity := error(ErrIntegrityMissing)
			if tt.wantIntegrity {
				wantIntegrity = nil
			}
			if err := i.Check(resp); !errors.Is(err, wantIntegrity) || (wantIntegrity == nil && err != nil) {
				t.Errorf("integrity = %v, want %v", err, wantIntegrity)
			}
			if err := resp.CheckFingerprint(); err != nil {
				t.Errorf("fingerprint: %v", err)
			}
		})
	}
}

func TestAppendUnknownAttributesError(t *testing.T) {
	i := shortTerm(t, "pwd")
	req := parsed(t, signedRequest(t, "pwd"))
	b, err := AppendUnknownAttributesError(nil, req, []AttrType{0x0031}, i)
	if err != nil {
		t.Fatal(err)
	}
	resp := parsed(t, b)
	if code, _, err := resp.ErrorCode(); err != nil || code != CodeUnknownAttribute {
		t.Errorf("ERROR-CODE = %v, %v", code, err)
	}
	if got, err := resp.UnknownAttributes(nil); err != nil || !equalTypes(got, []AttrType{0x0031}) {
		t.Errorf("UNKNOWN-ATTRIBUTES = %v, %v", got, err)
	}
	if err := i.Check(resp); err != nil {
		t.Errorf("integrity: %v", err)
	}
	if _, err := AppendUnknownAttributesError(nil, req, nil, i); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty list: %v", err)
	}
}

func TestAppendNilRequest(t *testing.T) {
	i := shortTerm(t, "pwd")
	if _, err := AppendBindingSuccess(nil, nil, netip.MustParseAddrPort("192.0.2.1:1"), i); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("AppendBindingSuccess(nil request) = %v", err)
	}
	if _, err := AppendBindingError(nil, nil, CodeBadRequest, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("AppendBindingError(nil request) = %v", err)
	}
	req := parsed(t, signedRequest(t, "pwd"))
	if _, err := AppendBindingSuccess(nil, req, netip.MustParseAddrPort("192.0.2.1:1"), nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("AppendBindingSuccess(nil Integrity) = %v", err)
	}
}

func TestAppendBindingRequest(t *testing.T) {
	i := shortTerm(t, "pwd")
	for _, c := range []ConnectivityCheck{
		{Priority: 1, UseCandidate: true, Role: RoleControlling, TieBreaker: 1 << 60},
		{Priority: 2, Role: RoleControlled, TieBreaker: 3},
		{Priority: 3},
	} {
		t.Run(c.Role.String(), func(t *testing.T) {
			id, err := NewTransactionID()
			if err != nil {
				t.Fatal(err)
			}
			b, err := AppendBindingRequest(nil, id, "srvU:cliU", c, i)
			if err != nil {
				t.Fatal(err)
			}
			m := parsed(t, b)
			if got, err := m.ConnectivityCheck(); err != nil || got != c {
				t.Errorf("ConnectivityCheck = %+v, %v, want %+v", got, err, c)
			}
			if err := m.CheckICEUsername("srvU", "cliU"); err != nil {
				t.Errorf("username: %v", err)
			}
			if m.Type() != BindingRequest || m.TransactionID() != id || i.Check(m) != nil || m.CheckFingerprint() != nil {
				t.Errorf("request does not check: %v %x", m.Type(), m.TransactionID())
			}
		})
	}
	if _, err := AppendBindingRequest(nil, rfc5769ID, "a:b", ConnectivityCheck{}, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("nil Integrity: %v", err)
	}
}
