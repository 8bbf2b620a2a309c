package stun

import "fmt"

// AttrType is a STUN attribute type. Types below 0x8000 are comprehension-required: a server that does not
// understand one must refuse the request with 420 (RFC 8489 14).
type AttrType uint16

// Attribute types of RFC 8489 18.3 and RFC 8445 16.1 that this package knows.
const (
	AttrMappedAddress          AttrType = 0x0001
	AttrUsername               AttrType = 0x0006
	AttrMessageIntegrity       AttrType = 0x0008
	AttrErrorCode              AttrType = 0x0009
	AttrUnknownAttributes      AttrType = 0x000A
	AttrRealm                  AttrType = 0x0014
	AttrNonce                  AttrType = 0x0015
	AttrMessageIntegritySHA256 AttrType = 0x001C
	AttrXORMappedAddress       AttrType = 0x0020
	AttrPriority               AttrType = 0x0024
	AttrUseCandidate           AttrType = 0x0025
	AttrSoftware               AttrType = 0x8022
	AttrFingerprint            AttrType = 0x8028
	AttrICEControlled          AttrType = 0x8029
	AttrICEControlling         AttrType = 0x802A
)

var attrNames = map[AttrType]string{
	AttrMappedAddress:          "MAPPED-ADDRESS",
	AttrUsername:               "USERNAME",
	AttrMessageIntegrity:       "MESSAGE-INTEGRITY",
	AttrErrorCode:              "ERROR-CODE",
	AttrUnknownAttributes:      "UNKNOWN-ATTRIBUTES",
	AttrRealm:                  "REALM",
	AttrNonce:                  "NONCE",
	AttrMessageIntegritySHA256: "MESSAGE-INTEGRITY-SHA256",
	AttrXORMappedAddress:       "XOR-MAPPED-ADDRESS",
	AttrPriority:               "PRIORITY",
	AttrUseCandidate:           "USE-CANDIDATE",
	AttrSoftware:               "SOFTWARE",
	AttrFingerprint:            "FINGERPRINT",
	AttrICEControlled:          "ICE-CONTROLLED",
	AttrICEControlling:         "ICE-CONTROLLING",
}

// String returns the RFC name of a known type, else its hexadecimal value.
func (t AttrType) String() string {
	if name, ok := attrNames[t]; ok {
		return name
	}
	return fmt.Sprintf("0x%04X", uint16(t))
}

// Required reports whether the type is comprehension-required.
func (t AttrType) Required() bool {
	return t < 0x8000
}

// Known reports whether this package understands the type.
func (t AttrType) Known() bool {
	_, ok := attrNames[t]
	return ok
}

// UnknownRequired appends to dst the comprehension-required attribute types of m that this package does not
// understand, for the UNKNOWN-ATTRIBUTES of a 420 response (RFC 8489 6.3.1). With a dst of enough capacity it does
// not allocate.
func (m *Message) UnknownRequired(dst []AttrType) []AttrType {
	for _, a := range m.attributes {
		if a.Type.Required() && !a.Type.Known() {
			dst = append(dst, a.Type)
		}
	}
	return dst
}
