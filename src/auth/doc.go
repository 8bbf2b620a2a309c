// Package auth verifies the JWT bearers of the websocket API with the standard library only.
//
// A Verifier accepts exactly the algorithms of its key: HS256, HS384 and HS512 for an HMAC secret, RS256 for an RSA
// public key, ES256 for a P-256 public key. Anything else, "none" included, is refused, so a token signed with one
// family can never be checked with the key of another (no algorithm confusion). SignHS256 makes the tokens of dev mode
// and of tests.
package auth
