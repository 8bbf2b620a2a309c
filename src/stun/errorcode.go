package stun

import (
	"encoding/binary"
	"strconv"
)

// ErrorCode is the numeric code of an ERROR-CODE attribute, 300 to 699 (RFC 8489 14.8).
type ErrorCode int

// Error codes of RFC 8489 14.8 and RFC 8445 16.1.
const (
	CodeTryAlternate     ErrorCode = 300
	CodeBadRequest       ErrorCode = 400
	CodeUnauthenticated  ErrorCode = 401
	CodeUnknownAttribute ErrorCode = 420
	CodeStaleNonce       ErrorCode = 438
	CodeRoleConflict     ErrorCode = 487
	CodeServerError      ErrorCode = 500
)

// Reason returns the recommended reason phrase of the IANA registry, or "" for a code it does not name.
func (c ErrorCode) Reason() string {
	switch c {
	case CodeTryAlternate:
		return "Try Alternate"
	case CodeBadRequest:
		return "Bad Request"
	case CodeUnauthenticated:
		return "Unauthenticated"
	case CodeUnknownAttribute:
		return "Unknown Attribute"
	case CodeStaleNonce:
		return "Stale Nonce"
	case CodeRoleConflict:
		return "Role Conflict"
	case CodeServerError:
		return "Server Error"
	}
	return ""
}

// String returns e.g. "487 Role Conflict".
func (c ErrorCode) String() string {
	if r := c.Reason(); r != "" {
		return strconv.Itoa(int(c)) + " " + r
	}
	return strconv.Itoa(int(c))
}

func (c ErrorCode) valid() bool {
	return c >= 300 && c <= 699
}

// ErrorCode returns the code and the reason phrase of the ERROR-CODE attribute. The reason aliases the datagram.
func (m *Message) ErrorCode() (ErrorCode, []byte, error) {
	v, err := m.Get(AttrErrorCode)
	if err != nil {
		return 0, nil, err
	}
	if len(v) < 4 {
		return 0, nil, errErrorCodeLength
	}
	class, number := int(v[2]&0x07), int(v[3])
	if class < 3 || class > 6 || number > 99 {
		return 0, nil, errErrorCodeValue
	}
	reason := v[4:]
	if err := checkText(reason); err != nil {
		return 0, nil, err
	}
	return ErrorCode(class*100 + number), reason, nil
}

// UnknownAttributes appends to dst the types listed by the UNKNOWN-ATTRIBUTES attribute of a 420 response.
func (m *Message) UnknownAttributes(dst []AttrType) ([]AttrType, error) {
	v, err := m.Get(AttrUnknownAttributes)
	if err != nil {
		return dst, err
	}
	if len(v)%2 != 0 {
		return dst, errUnknownAttrsLength
	}
	for i := 0; i < len(v); i += 2 {
		dst = append(dst, AttrType(binary.BigEndian.Uint16(v[i:i+2])))
	}
	return dst, nil
}
