package stun

import (
	"bytes"
	"encoding/binary"
)

// Lengths of ICE credentials, in ice-chars (RFC 8839 5.4): a ufrag has 4 to 256, a password 22 to 256.
const (
	MinICEUfragLen      = 4
	MinICEPwdLen        = 22
	MaxICECredentialLen = 256
)

// ValidICECredential reports whether s has minLen to MaxICECredentialLen characters, each an ice-char
// (ALPHA / DIGIT / "+" / "/", RFC 8839 5.4): a ufrag with MinICEUfragLen, a password with MinICEPwdLen. It is the
// one check of the packages that take ICE credentials (transport, sdp/negotiate, webrtc) and of ICEUsername, which
// lives here because STUN carries the credentials and package stun imports nothing of the project.
func ValidICECredential[S ~string | ~[]byte](s S, minLen int) bool {
	if len(s) < minLen || len(s) > MaxICECredentialLen {
		return false
	}
	for i := range len(s) {
		if c := s[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// Role is the ICE role the sender of a connectivity check claims (RFC 8445 7.1.3).
type Role uint8

// Roles. RoleNone: the check carries neither ICE-CONTROLLING nor ICE-CONTROLLED (a pre-RFC 5245 agent).
const (
	RoleNone Role = iota
	RoleControlling
	RoleControlled
)

// String returns the role name.
func (r Role) String() string {
	switch r {
	case RoleControlling:
		return "controlling"
	case RoleControlled:
		return "controlled"
	}
	return "none"
}

// ConnectivityCheck holds the ICE attributes of a Binding request (RFC 8445 7.1).
type ConnectivityCheck struct {
	// Priority is the PRIORITY the sender would give a peer-reflexive candidate learnt from this check.
	Priority uint32
	// UseCandidate: the controlling agent nominates this pair.
	UseCandidate bool
	// Role and TieBreaker come from ICE-CONTROLLING or ICE-CONTROLLED.
	Role       Role
	TieBreaker uint64
}

// CheckLiteRole returns ErrRoleConflict when the sender claims to be controlled. An ICE-lite agent is always the
// controlled one (RFC 8445 6.1.1) and cannot switch, so whatever the tie-breakers it answers 487 for the full agent
// to become controlling (RFC 8445 7.3.1.1).
func (c ConnectivityCheck) CheckLiteRole() error {
	if c.Role == RoleControlled {
		return ErrRoleConflict
	}
	return nil
}

// ConnectivityCheck reads PRIORITY (mandatory in a check), USE-CANDIDATE, and ICE-CONTROLLING or ICE-CONTROLLED.
// Errors match ErrMalformed: PRIORITY missing or not 4 bytes, USE-CANDIDATE not empty, a role attribute not 8 bytes,
// or both roles claimed at once.
func (m *Message) ConnectivityCheck() (ConnectivityCheck, error) {
	var c ConnectivityCheck
	priority, err := m.Get(AttrPriority)
	if err != nil {
		return c, errPriorityMissing
	}
	if len(priority) != 4 {
		return c, errUint32Length
	}
	c.Priority = binary.BigEndian.Uint32(priority)
	if v, err := m.Get(AttrUseCandidate); err == nil {
		if len(v) != 0 {
			return c, errFlagLength
		}
		c.UseCandidate = true
	}
	controlling, errControlling := m.Get(AttrICEControlling)
	controlled, errControlled := m.Get(AttrICEControlled)
	switch {
	case errControlling == nil && errControlled == nil:
		return c, errBothRoles
	case errControlling == nil:
		c.Role, err = RoleControlling, readTieBreaker(controlling, &c.TieBreaker)
	case errControlled == nil:
		c.Role, err = RoleControlled, readTieBreaker(controlled, &c.TieBreaker)
	}
	return c, err
}

func readTieBreaker(v []byte, dst *uint64) error {
	if len(v) != 8 {
		return errUint64Length
	}
	*dst = binary.BigEndian.Uint64(v)
	return nil
}

// ICEUsername splits the USERNAME of a connectivity check, "<receiver ufrag>:<sender ufrag>" (RFC 8445 7.2.2).
// On the ICE-lite server the receiver ufrag is the local one, which finds the session, and the sender ufrag must be
// the remote one of that session's SDP. Both alias the datagram: look a map up with sessions[string(receiver)],
// which does not allocate. Errors: ErrAttributeNotFound, or ErrMalformed when the value is not two non-empty
// ufrags of at most 256 ice-chars (ALPHA / DIGIT / "+" / "/", RFC 8839 5.4) around one colon.
func (m *Message) ICEUsername() (receiver, sender []byte, err error) {
	v, err := m.Get(AttrUsername)
	if err != nil {
		return nil, nil, err
	}
	colon := bytes.IndexByte(v, ':')
	// Any non-empty ufrag is taken here: a too short one simply finds no session.
	if colon < 0 || !ValidICECredential(v[:colon], 1) || !ValidICECredential(v[colon+1:], 1) {
		return nil, nil, errICEUsername
	}
	return v[:colon], v[colon+1:], nil
}

// CheckICEUsername verifies that the USERNAME of a check is "<local>:<remote>", the ufrags of the session it was
// routed to. Errors: those of ICEUsername, or ErrUsername.
func (m *Message) CheckICEUsername(local, remote string) error {
	receiver, sender, err := m.ICEUsername()
	if err != nil {
		return err
	}
	if string(receiver) != local || string(sender) != remote {
		return ErrUsername
	}
	return nil
}
