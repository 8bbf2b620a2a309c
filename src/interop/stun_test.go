package interop

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"testing"

	pion "github.com/pion/stun/v3"

	"github.com/heytribe/live-webrtcsignaling/src/stun"
)

// These tests cross-check src/stun against pion/stun v3: pion's parser reads what ours builds, and ours reads what
// pion builds, integrity and fingerprint included.

const (
	stunServerPwd = "serverPasswordOf22chars"
	stunUsername  = "srvU:cliU"
)

// pionUint32 and pionUint64 add the ICE attributes that pion/stun v3 leaves to pion/ice.
func pionUint32(t pion.AttrType, v uint32) pion.RawAttribute {
	return pion.RawAttribute{Type: t, Value: binary.BigEndian.AppendUint32(nil, v)}
}

func pionUint64(t pion.AttrType, v uint64) pion.RawAttribute {
	return pion.RawAttribute{Type: t, Value: binary.BigEndian.AppendUint64(nil, v)}
}

func ourIntegrity(t *testing.T) *stun.Integrity {
	t.Helper()
	i, err := stun.NewShortTermIntegrity(stunServerPwd)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func ourParse(t *testing.T, b []byte) *stun.Message {
	t.Helper()
	m := stun.NewMessage()
	if err := m.Parse(b); err != nil {
		t.Fatalf("our Parse of pion's message: %v", err)
	}
	return m
}

func pionDecode(t *testing.T, b []byte) *pion.Message {
	t.Helper()
	m := new(pion.Message)
	if err := pion.Decode(b, m); err != nil {
		t.Fatalf("pion Decode of our message: %v", err)
	}
	return m
}

func TestSTUNPionRequestToOurServer(t *testing.T) {
	tests := []struct {
		name    string
		setters []pion.Setter
		want    stun.ConnectivityCheck
		wantErr error // of CheckLiteRole
	}{
		{
			"controlling with USE-CANDIDATE",
			[]pion.Setter{pionUint32(pion.AttrPriority, 1845501695), pion.RawAttribute{Type: pion.AttrUseCandidate},
				pionUint64(pion.AttrICEControlling, 0x1122334455667788)},
			stun.ConnectivityCheck{Priority: 1845501695, UseCandidate: true, Role: stun.RoleControlling, TieBreaker: 0x1122334455667788},
			nil,
		},
		{
			"controlled: role conflict for ICE-lite",
			[]pion.Setter{pionUint32(pion.AttrPriority, 7), pionUint64(pion.AttrICEControlled, 9)},
			stun.ConnectivityCheck{Priority: 7, Role: stun.RoleControlled, TieBreaker: 9},
			stun.ErrRoleConflict,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setters := append([]pion.Setter{pion.TransactionID, pion.BindingRequest, pion.NewUsername(stunUsername)}, tt.setters...)
			setters = append(setters, pion.NewShortTermIntegrity(stunServerPwd), pion.Fingerprint)
			req, err := pion.Build(setters...)
			if err != nil {
				t.Fatal(err)
			}
			m := ourParse(t, req.Raw)
			if m.Type() != stun.BindingRequest || m.TransactionID() != stun.TransactionID(req.TransactionID) {
				t.Errorf("header = %v %x", m.Type(), m.TransactionID())
			}
			if err := m.CheckICEUsername("srvU", "cliU"); err != nil {
				t.Errorf("username: %v", err)
			}
			if err := m.CheckFingerprint(); err != nil {
				t.Errorf("fingerprint: %v", err)
			}
			if err := ourIntegrity(t).Check(m); err != nil {
				t.Errorf("integrity: %v", err)
			}
			check, err := m.ConnectivityCheck()
			if err != nil || check != tt.want {
				t.Errorf("ConnectivityCheck = %+v, %v, want %+v", check, err, tt.want)
			}
			if err := check.CheckLiteRole(); !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("CheckLiteRole = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestSTUNOurSuccessResponseToPion(t *testing.T) {
	for _, source := range []string{"198.51.100.7:50000", "[2001:db8::42]:61000"} {
		t.Run(source, func(t *testing.T) {
			req, err := pion.Build(pion.TransactionID, pion.BindingRequest, pion.NewUsername(stunUsername),
				pionUint32(pion.AttrPriority, 1), pion.NewShortTermIntegrity(stunServerPwd), pion.Fingerprint)
			if err != nil {
				t.Fatal(err)
			}
			addr := netip.MustParseAddrPort(source)
			out, err := stun.AppendBindingSuccess(make([]byte, 0, 1500), ourParse(t, req.Raw), addr, ourIntegrity(t))
			if err != nil {
				t.Fatal(err)
			}
			resp := pionDecode(t, out)
			if resp.Type != pion.BindingSuccess || resp.TransactionID != req.TransactionID {
				t.Errorf("header = %v %x", resp.Type, resp.TransactionID)
			}
			if err := pion.NewShortTermIntegrity(stunServerPwd).Check(resp); err != nil {
				t.Errorf("pion integrity check: %v", err)
			}
			if err := pion.Fingerprint.Check(resp); err != nil {
				t.Errorf("pion fingerprint check: %v", err)
			}
			var mapped pion.XORMappedAddress
			if err := mapped.GetFrom(resp); err != nil {
				t.Fatal(err)
			}
			if !mapped.IP.Equal(net.IP(addr.Addr().AsSlice())) || mapped.Port != int(addr.Port()) {
				t.Errorf("pion reads XOR-MAPPED-ADDRESS %v, want %v", mapped, addr)
			}
		})
	}
}

func TestSTUNOurErrorResponsesToPion(t *testing.T) {
	req, err := pion.Build(pion.TransactionID, pion.BindingRequest, pion.NewUsername(stunUsername),
		pionUint32(pion.AttrPriority, 1), pionUint64(pion.AttrICEControlled, 1), pion.NewShortTermIntegrity(stunServerPwd), pion.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		code      stun.ErrorCode
		integrity *stun.Integrity
	}{
		{stun.CodeBadRequest, nil},
		{stun.CodeUnauthenticated, nil},
		{stun.CodeRoleConflict, ourIntegrity(t)},
	}
	for _, tt := range tests {
		t.Run(tt.code.String(), func(t *testing.T) {
			out, err := stun.AppendBindingError(nil, ourParse(t, req.Raw), tt.code, tt.integrity)
			if err != nil {
				t.Fatal(err)
			}
			resp := pionDecode(t, out)
			if resp.Type != pion.BindingError || resp.TransactionID != req.TransactionID {
				t.Errorf("header = %v %x", resp.Type, resp.TransactionID)
			}
			var code pion.ErrorCodeAttribute
			if err := code.GetFrom(resp); err != nil || int(code.Code) != int(tt.code) || string(code.Reason) != tt.code.Reason() {
				t.Errorf("pion reads ERROR-CODE %v, %v, want %v", code, err, tt.code)
			}
			integrityErr := pion.NewShortTermIntegrity(stunServerPwd).Check(resp)
			if signed := tt.integrity != nil; signed != (integrityErr == nil) {
				t.Errorf("pion integrity check = %v, signed %v", integrityErr, signed)
			}
			if err := pion.Fingerprint.Check(resp); err != nil {
				t.Errorf("pion fingerprint check: %v", err)
			}
		})
	}
}

func TestSTUNOurRequestToPion(t *testing.T) {
	id, err := stun.NewTransactionID()
	if err != nil {
		t.Fatal(err)
	}
	check := stun.ConnectivityCheck{Priority: 1845501695, UseCandidate: true, Role: stun.RoleControlling, TieBreaker: 77}
	out, err := stun.AppendBindingRequest(nil, id, stunUsername, check, ourIntegrity(t))
	if err != nil {
		t.Fatal(err)
	}
	req := pionDecode(t, out)
	if req.Type != pion.BindingRequest || req.TransactionID != [pion.TransactionIDSize]byte(id) {
		t.Errorf("header = %v %x", req.Type, req.TransactionID)
	}
	var username pion.Username
	if err := username.GetFrom(req); err != nil || username.String() != stunUsername {
		t.Errorf("USERNAME = %q, %v", username, err)
	}
	if v, err := req.Get(pion.AttrPriority); err != nil || binary.BigEndian.Uint32(v) != check.Priority {
		t.Errorf("PRIORITY = %x, %v", v, err)
	}
	if v, err := req.Get(pion.AttrICEControlling); err != nil || binary.BigEndian.Uint64(v) != check.TieBreaker {
		t.Errorf("ICE-CONTROLLING = %x, %v", v, err)
	}
	if !req.Contains(pion.AttrUseCandidate) {
		t.Error("USE-CANDIDATE missing")
	}
	if err := pion.NewShortTermIntegrity(stunServerPwd).Check(req); err != nil {
		t.Errorf("pion integrity check: %v", err)
	}
	if err := pion.Fingerprint.Check(req); err != nil {
		t.Errorf("pion fingerprint check: %v", err)
	}
}

func TestSTUNPionResponsesToOurClient(t *testing.T) {
	id := pion.NewTransactionID()
	success, err := pion.Build(pion.NewTransactionIDSetter(id), pion.BindingSuccess,
		&pion.XORMappedAddress{IP: net.ParseIP("2001:db8::9"), Port: 3478}, pion.NewShortTermIntegrity(stunServerPwd), pion.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	m := ourParse(t, success.Raw)
	if got, err := m.XORMappedAddress(); err != nil || got != netip.MustParseAddrPort("[2001:db8::9]:3478") {
		t.Errorf("XOR-MAPPED-ADDRESS = %v, %v", got, err)
	}
	if err := ourIntegrity(t).Check(m); err != nil {
		t.Errorf("integrity: %v", err)
	}
	if err := m.CheckFingerprint(); err != nil {
		t.Errorf("fingerprint: %v", err)
	}

	unknown, err := pion.Build(pion.NewTransactionIDSetter(id), pion.BindingError, pion.CodeUnknownAttribute,
		pion.UnknownAttributes{pion.AttrType(0x0031), pion.AttrType(0x7fff)}, pion.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	m = ourParse(t, unknown.Raw)
	if code, reason, err := m.ErrorCode(); err != nil || code != stun.CodeUnknownAttribute {
		t.Errorf("ERROR-CODE = %v %q, %v", code, reason, err)
	}
	if types, err := m.UnknownAttributes(nil); err != nil || len(types) != 2 || types[0] != 0x0031 || types[1] != 0x7fff {
		t.Errorf("UNKNOWN-ATTRIBUTES = %v, %v", types, err)
	}
	if err := m.CheckFingerprint(); err != nil {
		t.Errorf("fingerprint: %v", err)
	}
}
