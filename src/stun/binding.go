package stun

import "net/netip"

// The answers of an ICE agent's STUN server (RFC 8445 7.3), each built into a caller's buffer.

// AppendBindingSuccess appends to dst the Binding success response to the request req: XOR-MAPPED-ADDRESS of
// source (the address the request came from), then the message integrity of the algorithm the request used
// (MESSAGE-INTEGRITY-SHA256 if it had one, else MESSAGE-INTEGRITY, RFC 8489 9.1.3) with the local ICE password,
// then FINGERPRINT. No USERNAME: RFC 8489 9.1.3 forbids it in responses.
func AppendBindingSuccess(dst []byte, req *Message, source netip.AddrPort, i *Integrity) ([]byte, error) {
	if req == nil {
		return nil, invalid("nil request")
	}
	b := NewBuilder(dst, BindingSuccess, req.TransactionID())
	b.AddXORMappedAddress(source)
	signLike(b, req, i)
	return b.AddFingerprint().Bytes()
}

// AppendBindingError appends to dst the Binding error response with code to the request req. With i nil the
// response carries no message integrity, as RFC 8489 9.1.3 requires of a 400 or 401 whose credentials could not be
// checked; pass the session's Integrity for errors after a successful check, such as 487 Role Conflict.
// For 420 Unknown Attribute use AppendUnknownAttributesError. FINGERPRINT ends the response.
func AppendBindingError(dst []byte, req *Message, code ErrorCode, i *Integrity) ([]byte, error) {
	return appendError(dst, req, code, nil, i)
}

// AppendUnknownAttributesError appends the 420 response listing the comprehension-required attributes of req that
// were not understood (see Message.UnknownRequired). The request was authenticated first, so i signs the response.
func AppendUnknownAttributesError(dst []byte, req *Message, unknown []AttrType, i *Integrity) ([]byte, error) {
	if len(unknown) == 0 {
		return nil, invalid("420 without unknown attributes")
	}
	return appendError(dst, req, CodeUnknownAttribute, unknown, i)
}

func appendError(dst []byte, req *Message, code ErrorCode, unknown []AttrType, i *Integrity) ([]byte, error) {
	if req == nil {
		return nil, invalid("nil request")
	}
	b := NewBuilder(dst, MessageType{Method: req.Type().Method, Class: ClassErrorResponse}, req.TransactionID())
	b.AddErrorCode(code, "")
	if unknown != nil {
		b.AddUnknownAttributes(unknown)
	}
	if i != nil {
		signLike(b, req, i)
	}
	return b.AddFingerprint().Bytes()
}

// signLike adds the message integrity of the algorithm req used.
func signLike(b *Builder, req *Message, i *Integrity) {
	if req.integrity256 > 0 {
		b.AddMessageIntegritySHA256(i)
		return
	}
	b.AddMessageIntegrity(i)
}

// AppendBindingRequest appends to dst a connectivity check as a full ICE agent sends it (RFC 8445 7.1): USERNAME
// ("<receiver ufrag>:<sender ufrag>"), PRIORITY, USE-CANDIDATE if set, ICE-CONTROLLING or ICE-CONTROLLED by role
// with the tie-breaker, MESSAGE-INTEGRITY with the receiver's ICE password, and FINGERPRINT. Clients, tests and
// load tools use it; the ICE-lite server never sends requests.
func AppendBindingRequest(dst []byte, id TransactionID, username string, c ConnectivityCheck, i *Integrity) ([]byte, error) {
	b := NewBuilder(dst, BindingRequest, id)
	b.AddUsername(username).AddPriority(c.Priority)
	if c.UseCandidate {
		b.AddUseCandidate()
	}
	switch c.Role {
	case RoleControlling:
		b.AddICEControlling(c.TieBreaker)
	case RoleControlled:
		b.AddICEControlled(c.TieBreaker)
	}
	return b.AddMessageIntegrity(i).AddFingerprint().Bytes()
}
