package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"
)

// tokenChecker compares a request's bearer with the admin token in constant time. Both sides are hashed first so
// that the comparison does not reveal the token's length either.
type tokenChecker struct {
	sum []byte // nil: no token configured, every request is allowed
}

func newTokenChecker(token []byte) *tokenChecker {
	if len(token) == 0 {
		return &tokenChecker{}
	}
	sum := sha256.Sum256(token)
	return &tokenChecker{sum: sum[:]}
}

func (c *tokenChecker) allows(authorization string) bool {
	if c.sum == nil {
		return true
	}
	token, ok := bearerToken(authorization)
	if !ok {
		return false
	}
	sum := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(sum[:], c.sum) == 1
}

// bearerToken extracts the token of an "Authorization: Bearer <token>" header; the scheme is case-insensitive
// (RFC 7235 section 2.1).
func bearerToken(authorization string) (string, bool) {
	scheme, token, ok := strings.Cut(authorization, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(token, " ")
	return token, token != ""
}
