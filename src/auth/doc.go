// Package auth verifies the JWT bearers of the websocket API with the standard library only.
//
//	v, err := auth.NewHMACVerifier(secret) // JWT_SECRET: HS256, HS384, HS512
//	// or: key, err := auth.ParsePublicKeyPEM(pemData); v, err := auth.NewPublicKeyVerifier(key)
//	claims, err := v.Verify(bearer, time.Now()) // claims.UserID, and claims.RoomID when the token is bound to a room
//
// A Verifier accepts exactly the algorithms of its key: HS256, HS384 and HS512 for an HMAC secret, RS256 for an RSA
// public key, ES256 for a P-256 public key. Anything else, "none" included, is refused, so a token signed with one
// family can never be checked with the key of another (no algorithm confusion). SignHS256 makes the tokens of dev mode
// and of tests.
//
// The header and the claims are read strictly, once, and Verify returns the claims it checked: names match exactly,
// and a token with two member names equal without regard to case in any of its objects, or with a member named like a
// used claim in another case, is refused. Readers differ on such tokens (first or last duplicate, names with or
// without regard to case), so the backend that issued a token and this server could otherwise read different users,
// rooms or expiry times from it.
package auth
