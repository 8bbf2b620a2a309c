package srtp

import "strconv"

// Profile is an SRTP protection profile negotiated by DTLS-SRTP. Its values are the
// protection profile identifiers of the use_srtp extension (RFC 5764 section 4.1.2,
// RFC 7714 section 14.2), so a DTLS layer maps to it by number.
type Profile uint16

const (
	// ProfileAES128CMHMACSHA1_80 is SRTP_AES128_CM_HMAC_SHA1_80: AES-128 counter mode with a
	// 10-byte HMAC-SHA1 tag (RFC 3711).
	ProfileAES128CMHMACSHA1_80 Profile = 0x0001
	// ProfileAEADAES128GCM is SRTP_AEAD_AES_128_GCM: AES-128 GCM with a 16-byte tag (RFC 7714).
	ProfileAEADAES128GCM Profile = 0x0007
)

// srtcpIndexLen is the E flag and SRTCP index that every SRTCP packet carries (RFC 3711 section 3.4).
const srtcpIndexLen = 4

const (
	// MaxRTPOverhead is the most bytes that protecting an RTP packet appends, whatever the profile:
	// size buffers given to ProtectRTP with at least this much spare capacity.
	MaxRTPOverhead = 16
	// MaxRTCPOverhead is the most bytes that protecting an RTCP packet appends (tag and SRTCP
	// index), whatever the profile.
	MaxRTCPOverhead = 16 + srtcpIndexLen
)

// profileParams holds the lengths of one profile.
type profileParams struct {
	name    string
	keyLen  int
	saltLen int
	tagLen  int
}

var profiles = map[Profile]profileParams{
	ProfileAES128CMHMACSHA1_80: {name: "SRTP_AES128_CM_HMAC_SHA1_80", keyLen: 16, saltLen: 14, tagLen: 10},
	ProfileAEADAES128GCM:       {name: "SRTP_AEAD_AES_128_GCM", keyLen: 16, saltLen: 12, tagLen: 16},
}

// Valid reports whether p is a profile this package supports.
func (p Profile) Valid() bool {
	_, ok := profiles[p]
	return ok
}

// String returns the profile's name in RFC 5764 / RFC 7714 spelling.
func (p Profile) String() string {
	if params, ok := profiles[p]; ok {
		return params.name
	}
	return "Profile(" + strconv.Itoa(int(p)) + ")"
}

// KeyLen is the length of the master key, 0 for an unsupported profile.
func (p Profile) KeyLen() int { return profiles[p].keyLen }

// SaltLen is the length of the master salt, 0 for an unsupported profile.
func (p Profile) SaltLen() int { return profiles[p].saltLen }

// RTPOverhead is the number of bytes ProtectRTP appends (the authentication tag),
// 0 for an unsupported profile.
func (p Profile) RTPOverhead() int { return profiles[p].tagLen }

// RTCPOverhead is the number of bytes ProtectRTCP appends (the tag and the SRTCP index),
// 0 for an unsupported profile.
func (p Profile) RTCPOverhead() int {
	if !p.Valid() {
		return 0
	}
	return profiles[p].tagLen + srtcpIndexLen
}
