package webrtc

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/heytribe/live-webrtcsignaling/src/stun"
)

// Lengths of the generated ICE credentials, in characters. RFC 8839 5.4 asks for at least 4 and 22 (24 and 128
// bits of randomness); the ufrag is longer so that it is unique among the sessions that share a port, and the
// password longer for margin. Every base64 character is an ICE character.
const (
	ufragLen = 16
	pwdLen   = 32
)

// newICECredentials returns a random ufrag and password.
func newICECredentials() (ufrag, pwd string, err error) {
	b := make([]byte, (ufragLen+pwdLen)*6/8)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("webrtc: ICE credentials: %w", err)
	}
	s := base64.RawStdEncoding.EncodeToString(b)
	return s[:ufragLen], s[ufragLen:], nil
}

// validICECredentials reports whether ufrag and pwd are ICE credentials RFC 8839 allows.
func validICECredentials(ufrag, pwd string) bool {
	return stun.ValidICECredential(ufrag, stun.MinICEUfragLen) && stun.ValidICECredential(pwd, stun.MinICEPwdLen)
}
