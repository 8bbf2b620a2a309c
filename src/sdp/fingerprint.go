package sdp

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Fingerprint is a=fingerprint:<hash function> <hex bytes separated by colons> (RFC 8122): the hash of a DTLS
// certificate. A description may carry several (one per hash function or certificate).
type Fingerprint struct {
	HashFunction string // e.g. sha-256
	Value        string // e.g. CD:F9:...:B9, as written
}

// Bytes decodes Value.
func (f Fingerprint) Bytes() ([]byte, error) {
	parts := strings.Split(f.Value, ":")
	out := make([]byte, 0, len(parts))
	for _, p := range parts {
		if len(p) != 2 {
			return nil, fmt.Errorf("fingerprint %q: want colon-separated pairs of hex digits", f.Value)
		}
		b, err := hex.DecodeString(p)
		if err != nil {
			return nil, fmt.Errorf("fingerprint %q: want colon-separated pairs of hex digits", f.Value)
		}
		out = append(out, b...)
	}
	return out, nil
}

// Equal compares two fingerprints regardless of letter case.
func (f Fingerprint) Equal(o Fingerprint) bool {
	return strings.EqualFold(f.HashFunction, o.HashFunction) && strings.EqualFold(f.Value, o.Value)
}

func parseFingerprint(v string) (Fingerprint, error) {
	f := strings.Fields(v)
	if len(f) != 2 || !isToken(f[0]) {
		return Fingerprint{}, fmt.Errorf("fingerprint needs <hash function> <value>")
	}
	fp := Fingerprint{HashFunction: f[0], Value: f[1]}
	if _, err := fp.Bytes(); err != nil {
		return Fingerprint{}, err
	}
	return fp, nil
}

func (f Fingerprint) value() string { return f.HashFunction + " " + f.Value }
