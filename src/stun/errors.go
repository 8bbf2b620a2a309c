package stun

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers tell failures apart with errors.Is (to count them or to pick the error response); every
// error of parsing, reading, checking and building matches exactly one of them.
var (
	// ErrMalformed: the bytes are not a well-formed STUN message, or an attribute value breaks its RFC format.
	// A request that fails this way deserves a 400 Bad Request (or to be dropped when even the header is broken).
	ErrMalformed = errors.New("stun: malformed message")
	// ErrAttributeNotFound: the message has no (non-ignored) attribute of the requested type.
	ErrAttributeNotFound = errors.New("stun: attribute not found")
	// ErrIntegrityMissing: neither MESSAGE-INTEGRITY nor MESSAGE-INTEGRITY-SHA256 is present (400, RFC 8489 9.1.3).
	ErrIntegrityMissing = errors.New("stun: no message integrity")
	// ErrIntegrity: the message integrity does not match the key (401, RFC 8489 9.1.3).
	ErrIntegrity = errors.New("stun: message integrity mismatch")
	// ErrFingerprintMissing: the message carries no FINGERPRINT, which ICE requires (RFC 8445 7).
	ErrFingerprintMissing = errors.New("stun: no fingerprint")
	// ErrFingerprint: the FINGERPRINT does not match the message (corruption, or not STUN at all).
	ErrFingerprint = errors.New("stun: fingerprint mismatch")
	// ErrUsername: the USERNAME of a check does not name the session's ufrags (401, RFC 8445 7.3).
	ErrUsername = errors.New("stun: USERNAME does not match the session")
	// ErrRoleConflict: a connectivity check claims the role the receiver has to keep (487, RFC 8445 7.3.1.1).
	ErrRoleConflict = errors.New("stun: ICE role conflict")
	// ErrInvalidArgument: a caller asked to build something the RFCs forbid (oversized value, bad error code, nil
	// key, attribute after FINGERPRINT...). It is a bug in the caller, never caused by network input.
	ErrInvalidArgument = errors.New("stun: invalid argument")
)

// malformed returns an error that matches ErrMalformed and says why. The package builds all of them once, at init,
// so that rejecting hostile datagrams costs no allocation.
func malformed(reason string) error {
	return fmt.Errorf("%w: %s", ErrMalformed, reason)
}

// invalid returns an error that matches ErrInvalidArgument and says why.
func invalid(reason string) error {
	return fmt.Errorf("%w: %s", ErrInvalidArgument, reason)
}

var (
	errShortHeader        = malformed("shorter than the 20-byte header")
	errNotSTUN            = malformed("first two bits set or wrong magic cookie")
	errLengthNotAligned   = malformed("length not a multiple of 4")
	errLengthMismatch     = malformed("length field does not match the datagram size")
	errAttrValue          = malformed("attribute value past the end of the message")
	errTooManyAttributes  = malformed("too many attributes")
	errIntegrityLength    = malformed("MESSAGE-INTEGRITY is not 20 bytes")
	errIntegrity256Length = malformed("MESSAGE-INTEGRITY-SHA256 is not 16 to 32 bytes in steps of 4")
	errFingerprintLength  = malformed("FINGERPRINT is not 4 bytes")
	errAddressLength      = malformed("address attribute has a wrong length for its family")
	errAddressFamily      = malformed("address attribute has an unknown family")
	errTextTooLong        = malformed("text attribute longer than 763 bytes")
	errTextUTF8           = malformed("text attribute is not UTF-8")
	errUint32Length       = malformed("attribute is not 4 bytes")
	errUint64Length       = malformed("attribute is not 8 bytes")
	errFlagLength         = malformed("flag attribute is not empty")
	errErrorCodeLength    = malformed("ERROR-CODE shorter than 4 bytes")
	errErrorCodeValue     = malformed("ERROR-CODE class not 3..6 or number above 99")
	errUnknownAttrsLength = malformed("UNKNOWN-ATTRIBUTES length is odd")
	errICEUsername        = malformed(`USERNAME is not "<ufrag>:<ufrag>" made of ice-chars`)
	errBothRoles          = malformed("both ICE-CONTROLLING and ICE-CONTROLLED present")
	errPriorityMissing    = malformed("connectivity check without PRIORITY")

	errNil = invalid("nil Integrity or Message")
)
