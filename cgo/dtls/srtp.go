package dtls

import (
	"fmt"
	"log/slog"
	"strings"
)

// SRTPProfile is a DTLS-SRTP protection profile; its value is the IANA identifier (RFC 5764, RFC 7714), so that
// the SRTP layer can map it without importing this package's names.
type SRTPProfile uint16

// The profiles this package negotiates.
const (
	// SRTPAES128CMHMACSHA1_80 is SRTP_AES128_CM_HMAC_SHA1_80: 16-byte key, 14-byte salt.
	SRTPAES128CMHMACSHA1_80 SRTPProfile = 0x0001
	// SRTPAEADAES128GCM is SRTP_AEAD_AES_128_GCM: 16-byte key, 12-byte salt.
	SRTPAEADAES128GCM SRTPProfile = 0x0007
)

// DefaultSRTPProfiles returns the profiles offered by default, preferred first: AES-GCM, then AES-CM with
// HMAC-SHA1-80, which every WebRTC implementation supports.
func DefaultSRTPProfiles() []SRTPProfile {
	return []SRTPProfile{SRTPAEADAES128GCM, SRTPAES128CMHMACSHA1_80}
}

// String returns OpenSSL's name of the profile (the RFC name for AES-CM lacks "HMAC_" there).
func (p SRTPProfile) String() string {
	switch p {
	case SRTPAES128CMHMACSHA1_80:
		return "SRTP_AES128_CM_SHA1_80"
	case SRTPAEADAES128GCM:
		return "SRTP_AEAD_AES_128_GCM"
	default:
		return fmt.Sprintf("SRTPProfile(0x%04x)", uint16(p))
	}
}

// KeyLen returns the master key length in bytes, 0 for an unknown profile.
func (p SRTPProfile) KeyLen() int {
	switch p {
	case SRTPAES128CMHMACSHA1_80, SRTPAEADAES128GCM:
		return 16
	default:
		return 0
	}
}

// SaltLen returns the master salt length in bytes, 0 for an unknown profile.
func (p SRTPProfile) SaltLen() int {
	switch p {
	case SRTPAES128CMHMACSHA1_80:
		return 14
	case SRTPAEADAES128GCM:
		return 12
	default:
		return 0
	}
}

func (p SRTPProfile) known() bool {
	return p.KeyLen() != 0
}

// opensslProfileList returns the profiles as SSL_CTX_set_tlsext_use_srtp takes them.
func opensslProfileList(profiles []SRTPProfile) (string, error) {
	if len(profiles) == 0 {
		return "", fmt.Errorf("%w: no SRTP profile", ErrBadConfig)
	}
	names := make([]string, 0, len(profiles))
	seen := make(map[SRTPProfile]bool, len(profiles))
	for _, p := range profiles {
		if !p.known() {
			return "", fmt.Errorf("%w: unsupported %s", ErrBadConfig, p)
		}
		if seen[p] {
			return "", fmt.Errorf("%w: %s listed twice", ErrBadConfig, p)
		}
		seen[p] = true
		names = append(names, p.String())
	}
	return strings.Join(names, ":"), nil
}

// SRTPKeys is the keying material of a completed handshake, split for this endpoint's role: the local key and
// salt protect what this side sends, the remote ones unprotect what it receives. fmt and log/slog print only the
// profile.
type SRTPKeys struct {
	Profile    SRTPProfile
	LocalKey   []byte
	LocalSalt  []byte
	RemoteKey  []byte
	RemoteSalt []byte
}

// splitSRTPKeys splits exported material, laid out as RFC 5764 section 4.2 says: client key, server key, client
// salt, server salt.
func splitSRTPKeys(p SRTPProfile, role Role, material []byte) (SRTPKeys, error) {
	k, s := p.KeyLen(), p.SaltLen()
	if k == 0 || len(material) != 2*(k+s) {
		return SRTPKeys{}, fmt.Errorf("dtls: %d bytes of keying material for %s", len(material), p)
	}
	clientKey, serverKey := material[:k:k], material[k:2*k:2*k]
	clientSalt, serverSalt := material[2*k:2*k+s:2*k+s], material[2*k+s:]
	if role == RoleClient {
		return SRTPKeys{Profile: p, LocalKey: clientKey, LocalSalt: clientSalt, RemoteKey: serverKey, RemoteSalt: serverSalt}, nil
	}
	return SRTPKeys{Profile: p, LocalKey: serverKey, LocalSalt: serverSalt, RemoteKey: clientKey, RemoteSalt: clientSalt}, nil
}

// clone returns a deep copy, so that a caller may wipe its copy.
func (k SRTPKeys) clone() SRTPKeys {
	return SRTPKeys{
		Profile:    k.Profile,
		LocalKey:   append([]byte(nil), k.LocalKey...),
		LocalSalt:  append([]byte(nil), k.LocalSalt...),
		RemoteKey:  append([]byte(nil), k.RemoteKey...),
		RemoteSalt: append([]byte(nil), k.RemoteSalt...),
	}
}

// Wipe overwrites the key material with zeros.
func (k SRTPKeys) Wipe() {
	for _, b := range [][]byte{k.LocalKey, k.LocalSalt, k.RemoteKey, k.RemoteSalt} {
		clear(b)
	}
}

// Format prints the profile only, whatever the verb: keys must never reach a log.
func (k SRTPKeys) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "dtls.SRTPKeys{Profile: %s, keys redacted}", k.Profile)
}

// LogValue logs the profile only.
func (k SRTPKeys) LogValue() slog.Value {
	return slog.GroupValue(slog.String("profile", k.Profile.String()))
}
