package auth

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of what Verify accepts.
const (
	// MaxTokenBytes bounds the compact token before any decoding.
	MaxTokenBytes = 8 << 10
	// MaxIDBytes bounds the userId and roomId claims.
	MaxIDBytes = 128
	// Leeway is the clock skew tolerated on exp and nbf.
	Leeway = 30 * time.Second
	// minRSABits refuses keys too weak to trust.
	minRSABits = 2048
	// maxNumericDate (in the year 5138) bounds exp and nbf: far beyond any real token, a larger number is a mistake.
	maxNumericDate = 1e11
)

// Errors of Verify. Callers answer all of them the same way (AUTH_FAILED); the distinction is for logs and tests.
var (
	ErrMalformed = errors.New("auth: malformed token")
	// ErrDuplicateName is an ErrMalformed: a JSON object of the header or the claims, at any depth, has two member
	// names equal without regard to case.
	ErrDuplicateName = fmt.Errorf("%w: duplicate member name", ErrMalformed)
	// ErrNameCase is an ErrMalformed: a member of the header or the claims is named like one the server reads (alg,
	// crit, userId, roomId, exp, nbf) in another letter case, such as "EXP".
	ErrNameCase     = fmt.Errorf("%w: member named like a used one in another letter case", ErrMalformed)
	ErrAlgorithm    = errors.New("auth: algorithm not accepted for the configured key")
	ErrSignature    = errors.New("auth: bad signature")
	ErrExpired      = errors.New("auth: token expired")
	ErrNotYetValid  = errors.New("auth: token not valid yet")
	ErrClaimMissing = errors.New("auth: userId claim missing")
	ErrClaimInvalid = errors.New("auth: claim has an invalid type or value")
)

// Claims are the claims the signaling server uses.
type Claims struct {
	UserID string
	// RoomID, when not empty, binds the token to that room.
	RoomID string
	// ExpiresAt and NotBefore are zero when the token has no exp or nbf.
	ExpiresAt time.Time
	NotBefore time.Time
}

// Verifier checks tokens against one key. It is safe for concurrent use.
type Verifier struct {
	hmacSecret []byte
	rsaKey     *rsa.PublicKey
	ecKey      *ecdsa.PublicKey
}

// NewHMACVerifier accepts HS256, HS384 and HS512 tokens signed with secret.
func NewHMACVerifier(secret []byte) (*Verifier, error) {
	if len(secret) == 0 {
		return nil, errors.New("auth: empty HMAC secret")
	}
	return &Verifier{hmacSecret: bytes.Clone(secret)}, nil
}

// NewPublicKeyVerifier accepts RS256 tokens for an RSA key (at least 2048 bits) or ES256 tokens for a P-256 key.
func NewPublicKeyVerifier(key crypto.PublicKey) (*Verifier, error) {
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil || k.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("auth: RSA key must have at least %d bits", minRSABits)
		}
		return &Verifier{rsaKey: k}, nil
	case *ecdsa.PublicKey:
		if k == nil || k.Curve != elliptic.P256() {
			return nil, errors.New("auth: ECDSA key must be on curve P-256 (ES256)")
		}
		return &Verifier{ecKey: k}, nil
	default:
		return nil, fmt.Errorf("auth: unsupported public key type %T (want RSA or ECDSA P-256)", key)
	}
}

// ParsePublicKeyPEM reads the first PEM block of data: "PUBLIC KEY" (PKIX, RSA or ECDSA) or "RSA PUBLIC KEY" (PKCS #1).
func ParsePublicKeyPEM(data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("auth: no PEM block found")
	}
	switch block.Type {
	case "PUBLIC KEY":
		return x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, fmt.Errorf("auth: PEM block %q is not a public key", block.Type)
	}
}

// Algorithms lists the algorithms the verifier accepts, for logs and documentation.
func (v *Verifier) Algorithms() []string {
	switch {
	case v.rsaKey != nil:
		return []string{"RS256"}
	case v.ecKey != nil:
		return []string{"ES256"}
	default:
		return []string{"HS256", "HS384", "HS512"}
	}
}

// Verify checks token's signature with the verifier's key and its exp and nbf against now, and returns its claims:
// the very values it checked, read once from the token, so the caller can never see a claim the checks did not.
func (v *Verifier) Verify(token string, now time.Time) (Claims, error) {
	if len(token) == 0 || len(token) > MaxTokenBytes {
		return Claims{}, ErrMalformed
	}
	first := strings.IndexByte(token, '.')
	last := strings.LastIndexByte(token, '.')
	if first < 0 || first == last {
		return Claims{}, ErrMalformed
	}
	headerPart, payloadPart, sigPart := token[:first], token[first+1:last], token[last+1:]
	if strings.IndexByte(payloadPart, '.') >= 0 {
		return Claims{}, ErrMalformed
	}
	alg, err := readHeader(headerPart)
	if err != nil {
		return Claims{}, err
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(sigPart)
	if err != nil {
		return Claims{}, ErrMalformed
	}
	if err := v.checkSignature(alg, token[:last], sig); err != nil {
		return Claims{}, err
	}
	payload, err := readPart(payloadPart, "userId", "roomId", "exp", "nbf")
	if err != nil {
		return Claims{}, err
	}
	return validate(payload, now)
}

// readHeader returns the header's alg, refusing a header with crit: no extension is understood here.
func readHeader(part string) (string, error) {
	h, err := readPart(part, "alg", "crit")
	if err != nil {
		return "", err
	}
	if _, ok := h["crit"]; ok {
		return "", ErrMalformed
	}
	alg, ok := h["alg"].(string)
	if !ok {
		return "", ErrAlgorithm
	}
	return alg, nil
}

// readPart decodes a base64url part and reads its members called names.
func readPart(part string, names ...string) (object, error) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(part)
	if err != nil {
		return nil, ErrMalformed
	}
	return readObject(raw, names...)
}

func (v *Verifier) checkSignature(alg, signingInput string, sig []byte) error {
	switch {
	case v.hmacSecret != nil:
		var newHash func() hash.Hash
		switch alg {
		case "HS256":
			newHash = sha256.New
		case "HS384":
			newHash = sha512.New384
		case "HS512":
			newHash = sha512.New
		default:
			return ErrAlgorithm
		}
		mac := hmac.New(newHash, v.hmacSecret)
		mac.Write([]byte(signingInput))
		if !hmac.Equal(mac.Sum(nil), sig) {
			return ErrSignature
		}
		return nil
	case v.rsaKey != nil:
		if alg != "RS256" {
			return ErrAlgorithm
		}
		digest := sha256.Sum256([]byte(signingInput))
		if rsa.VerifyPKCS1v15(v.rsaKey, crypto.SHA256, digest[:], sig) != nil {
			return ErrSignature
		}
		return nil
	case v.ecKey != nil:
		if alg != "ES256" {
			return ErrAlgorithm
		}
		// JWS carries ECDSA signatures as the fixed-size concatenation r || s (RFC 7518 section 3.4), not ASN.1.
		if len(sig) != 64 {
			return ErrSignature
		}
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		digest := sha256.Sum256([]byte(signingInput))
		if !ecdsa.Verify(v.ecKey, digest[:], r, s) {
			return ErrSignature
		}
		return nil
	default:
		return ErrAlgorithm
	}
}

// validate reads the claims the server uses from the payload's members, matched by exact name, and checks exp and nbf.
// A claim present with the wrong type, null included, is refused rather than taken as absent.
func validate(payload object, now time.Time) (Claims, error) {
	var c Claims
	userID, ok := payload["userId"]
	if !ok || userID == nil {
		return Claims{}, ErrClaimMissing
	}
	var err error
	if c.UserID, err = idClaim(userID); err != nil {
		return Claims{}, err
	}
	if roomID, ok := payload["roomId"]; ok {
		if c.RoomID, err = idClaim(roomID); err != nil {
			return Claims{}, err
		}
	}
	if c.ExpiresAt, err = dateClaim(payload, "exp"); err != nil {
		return Claims{}, err
	}
	if c.NotBefore, err = dateClaim(payload, "nbf"); err != nil {
		return Claims{}, err
	}
	if !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt.Add(Leeway)) {
		return Claims{}, ErrExpired
	}
	if !c.NotBefore.IsZero() && now.Add(Leeway).Before(c.NotBefore) {
		return Claims{}, ErrNotYetValid
	}
	return c, nil
}

// idClaim reads a userId or roomId: a string of 1 to MaxIDBytes bytes. U+FFFD is refused because the JSON reader puts
// it in place of a lone surrogate escape, so two ids the issuer sees as different could otherwise read the same here.
func idClaim(tok json.Token) (string, error) {
	s, ok := tok.(string)
	if !ok || s == "" || len(s) > MaxIDBytes || strings.ContainsRune(s, utf8.RuneError) {
		return "", ErrClaimInvalid
	}
	return s, nil
}

// dateClaim reads the NumericDate claim name, zero when absent: seconds since the epoch, possibly fractional (RFC 7519
// section 2), from 0 to maxNumericDate.
func dateClaim(payload object, name string) (time.Time, error) {
	tok, ok := payload[name]
	if !ok {
		return time.Time{}, nil
	}
	n, ok := tok.(json.Number)
	if !ok {
		return time.Time{}, ErrClaimInvalid
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f < 0 || f > maxNumericDate {
		return time.Time{}, ErrClaimInvalid
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}
