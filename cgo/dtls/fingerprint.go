package dtls

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// Hash is the hash function of a certificate fingerprint.
type Hash uint16

// The hash functions accepted for fingerprints (RFC 8122 names); MD5 and others are refused.
const (
	SHA1   Hash = 1
	SHA256 Hash = 256
	SHA384 Hash = 384
	SHA512 Hash = 512
)

// String returns the SDP name of h ("sha-256"), or "unknown".
func (h Hash) String() string {
	switch h {
	case SHA1:
		return "sha-1"
	case SHA256:
		return "sha-256"
	case SHA384:
		return "sha-384"
	case SHA512:
		return "sha-512"
	default:
		return "unknown"
	}
}

// Size returns the digest length of h in bytes, 0 for an unknown hash.
func (h Hash) Size() int {
	switch h {
	case SHA1:
		return sha1.Size
	case SHA256:
		return sha256.Size
	case SHA384:
		return sha512.Size384
	case SHA512:
		return sha512.Size
	default:
		return 0
	}
}

func (h Hash) sum(data []byte) []byte {
	switch h {
	case SHA1:
		d := sha1.Sum(data)
		return d[:]
	case SHA256:
		d := sha256.Sum256(data)
		return d[:]
	case SHA384:
		d := sha512.Sum384(data)
		return d[:]
	case SHA512:
		d := sha512.Sum512(data)
		return d[:]
	default:
		return nil
	}
}

func hashByName(name string) (Hash, bool) {
	for _, h := range []Hash{SHA1, SHA256, SHA384, SHA512} {
		if strings.EqualFold(name, h.String()) {
			return h, true
		}
	}
	return 0, false
}

// Fingerprint is the digest of a DER certificate, as SDP's a=fingerprint carries it.
type Fingerprint struct {
	Hash   Hash
	Digest []byte
}

// ComputeFingerprint returns the fingerprint of a DER-encoded certificate.
func ComputeFingerprint(h Hash, der []byte) (Fingerprint, error) {
	if h.Size() == 0 {
		return Fingerprint{}, fmt.Errorf("%w: unsupported hash %d", ErrBadFingerprint, h)
	}
	if len(der) == 0 {
		return Fingerprint{}, fmt.Errorf("%w: empty certificate", ErrBadFingerprint)
	}
	return Fingerprint{Hash: h, Digest: h.sum(der)}, nil
}

// ParseFingerprint parses the value of an SDP a=fingerprint attribute, "sha-256 AB:CD:...". The hash name and the
// hex digits are case-insensitive; the digest must have the hash's exact length.
func ParseFingerprint(value string) (Fingerprint, error) {
	fields := strings.Fields(value)
	if len(fields) != 2 {
		return Fingerprint{}, fmt.Errorf("%w: want \"<hash> <hex:hex:...>\"", ErrBadFingerprint)
	}
	h, ok := hashByName(fields[0])
	if !ok {
		return Fingerprint{}, fmt.Errorf("%w: unsupported hash %q", ErrBadFingerprint, truncate(fields[0], 16))
	}
	text := fields[1]
	if len(text) != 3*h.Size()-1 {
		return Fingerprint{}, fmt.Errorf("%w: %s digest has %d characters, want %d",
			ErrBadFingerprint, h, len(text), 3*h.Size()-1)
	}
	for i := 2; i < len(text); i += 3 {
		if text[i] != ':' {
			return Fingerprint{}, fmt.Errorf("%w: character %d is not ':'", ErrBadFingerprint, i)
		}
	}
	digest, err := hex.DecodeString(strings.ReplaceAll(text, ":", ""))
	if err != nil || len(digest) != h.Size() {
		return Fingerprint{}, fmt.Errorf("%w: digest is not hex bytes joined by ':'", ErrBadFingerprint)
	}
	return Fingerprint{Hash: h, Digest: digest}, nil
}

// String returns the SDP form: the hash name, a space, the digest as upper-case hex bytes joined by ':'.
func (f Fingerprint) String() string {
	var b strings.Builder
	b.Grow(len(f.Hash.String()) + 1 + 3*len(f.Digest))
	b.WriteString(f.Hash.String())
	b.WriteByte(' ')
	const upperHex = "0123456789ABCDEF"
	for i, c := range f.Digest {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&0x0f])
	}
	return b.String()
}

// Equal tells whether f and o are the same hash and digest.
func (f Fingerprint) Equal(o Fingerprint) bool {
	return f.Hash == o.Hash && bytes.Equal(f.Digest, o.Digest)
}

// hashPreference lists the hashes from the most preferred, for RFC 8122's choice among several fingerprints.
var hashPreference = []Hash{SHA512, SHA384, SHA256, SHA1}

// expectedDigests returns the digests a peer's certificate may match, back to back, and their hash: those of fps
// with the most preferred hash among them (RFC 8122 section 5).
func expectedDigests(fps []Fingerprint) (Hash, []byte, error) {
	if len(fps) == 0 || len(fps) > MaxRemoteFingerprints {
		return 0, nil, fmt.Errorf("%w: %d remote fingerprints, want 1 to %d", ErrBadConfig, len(fps), MaxRemoteFingerprints)
	}
	rank := len(hashPreference)
	for i, f := range fps {
		if !f.valid() {
			return 0, nil, fmt.Errorf("%w: remote fingerprint %d is malformed or of an unsupported hash", ErrBadConfig, i)
		}
		rank = min(rank, slices.Index(hashPreference, f.Hash))
	}
	hash := hashPreference[rank]
	var digests []byte
	for _, f := range fps {
		if f.Hash == hash {
			digests = append(digests, f.Digest...)
		}
	}
	return hash, digests, nil
}

// valid tells whether f can be checked against a certificate.
func (f Fingerprint) valid() bool {
	return slices.Contains(hashPreference, f.Hash) && len(f.Digest) == f.Hash.Size()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
