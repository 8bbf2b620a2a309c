package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"hash"
	"strings"
	"testing"
	"time"
)

var (
	testSecret = []byte("0123456789abcdef0123456789abcdef")
	testNow    = time.Unix(1_700_000_000, 0)
)

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func hmacToken(t testing.TB, newHash func() hash.Hash, alg, payload string, secret []byte) string {
	t.Helper()
	input := b64(`{"alg":"`+alg+`","typ":"JWT"}`) + "." + b64(payload)
	mac := hmac.New(newHash, secret)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func rsaToken(t testing.TB, key *rsa.PrivateKey, payload string) string {
	t.Helper()
	input := b64(`{"alg":"RS256"}`) + "." + b64(payload)
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func ecToken(t testing.TB, key *ecdsa.PrivateKey, payload string) string {
	t.Helper()
	input := b64(`{"alg":"ES256"}`) + "." + b64(payload)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestVerifyHMAC(t *testing.T) {
	v, err := NewHMACVerifier(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	valid := `{"userId":"u1","exp":1700000100}`
	tests := []struct {
		name    string
		token   string
		want    Claims
		wantErr error
	}{
		{"HS256", hmacToken(t, sha256.New, "HS256", valid, testSecret), Claims{UserID: "u1", ExpiresAt: time.Unix(1700000100, 0)}, nil},
		{"HS384", hmacToken(t, sha512.New384, "HS384", `{"userId":"u1"}`, testSecret), Claims{UserID: "u1"}, nil},
		{"HS512", hmacToken(t, sha512.New, "HS512", `{"userId":"u1","roomId":"r1"}`, testSecret), Claims{UserID: "u1", RoomID: "r1"}, nil},
		{"fractional exp", hmacToken(t, sha256.New, "HS256", `{"userId":"u","exp":1700000100.5}`, testSecret), Claims{UserID: "u", ExpiresAt: time.Unix(1700000100, 5e8)}, nil},
		{"wrong secret", hmacToken(t, sha256.New, "HS256", valid, []byte("other")), Claims{}, ErrSignature},
		{"alg mismatch with hash", hmacToken(t, sha256.New, "HS512", valid, testSecret), Claims{}, ErrSignature},
		{"alg none", b64(`{"alg":"none"}`) + "." + b64(valid) + ".", Claims{}, ErrAlgorithm},
		{"alg RS256 on HMAC key", b64(`{"alg":"RS256"}`) + "." + b64(valid) + ".AAAA", Claims{}, ErrAlgorithm},
		{"expired", hmacToken(t, sha256.New, "HS256", `{"userId":"u","exp":1699999960}`, testSecret), Claims{}, ErrExpired},
		{"expired within leeway", hmacToken(t, sha256.New, "HS256", `{"userId":"u","exp":1699999980}`, testSecret), Claims{UserID: "u", ExpiresAt: time.Unix(1699999980, 0)}, nil},
		{"not yet valid", hmacToken(t, sha256.New, "HS256", `{"userId":"u","nbf":1700000040}`, testSecret), Claims{}, ErrNotYetValid},
		{"nbf within leeway", hmacToken(t, sha256.New, "HS256", `{"userId":"u","nbf":1700000020}`, testSecret), Claims{UserID: "u", NotBefore: time.Unix(1700000020, 0)}, nil},
		{"missing userId", hmacToken(t, sha256.New, "HS256", `{"clientId":"c"}`, testSecret), Claims{}, ErrClaimMissing},
		{"null userId", hmacToken(t, sha256.New, "HS256", `{"userId":null}`, testSecret), Claims{}, ErrClaimMissing},
		{"numeric userId", hmacToken(t, sha256.New, "HS256", `{"userId":42}`, testSecret), Claims{}, ErrClaimInvalid},
		{"empty userId", hmacToken(t, sha256.New, "HS256", `{"userId":""}`, testSecret), Claims{}, ErrClaimInvalid},
		{"long userId", hmacToken(t, sha256.New, "HS256", `{"userId":"`+strings.Repeat("x", 129)+`"}`, testSecret), Claims{}, ErrClaimInvalid},
		{"numeric roomId", hmacToken(t, sha256.New, "HS256", `{"userId":"u","roomId":7}`, testSecret), Claims{}, ErrClaimInvalid},
		{"string exp", hmacToken(t, sha256.New, "HS256", `{"userId":"u","exp":"soon"}`, testSecret), Claims{}, ErrClaimInvalid},
		{"negative exp", hmacToken(t, sha256.New, "HS256", `{"userId":"u","exp":-1}`, testSecret), Claims{}, ErrClaimInvalid},
		{"payload not JSON", hmacToken(t, sha256.New, "HS256", `not json`, testSecret), Claims{}, ErrMalformed},
		{"payload array", hmacToken(t, sha256.New, "HS256", `[1]`, testSecret), Claims{}, ErrMalformed},
		{"crit header", b64(`{"alg":"HS256","crit":["exp"]}`) + "." + b64(valid) + ".AAAA", Claims{}, ErrMalformed},
		{"two segments", b64(`{"alg":"HS256"}`) + "." + b64(valid), Claims{}, ErrMalformed},
		{"four segments", hmacToken(t, sha256.New, "HS256", valid, testSecret) + ".x", Claims{}, ErrMalformed},
		{"padded signature", hmacToken(t, sha256.New, "HS256", valid, testSecret) + "=", Claims{}, ErrMalformed},
		{"empty", "", Claims{}, ErrMalformed},
		{"huge", strings.Repeat("a", MaxTokenBytes+1), Claims{}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(tt.token, testNow)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if !got.ExpiresAt.Equal(tt.want.ExpiresAt) || !got.NotBefore.Equal(tt.want.NotBefore) ||
				got.UserID != tt.want.UserID || got.RoomID != tt.want.RoomID {
				t.Fatalf("claims = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestVerifyPublicKeys(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaV, err := NewPublicKeyVerifier(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	ecV, err := NewPublicKeyVerifier(&ecKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaDER, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaDER})
	payload := `{"userId":"u1"}`
	tests := []struct {
		name    string
		v       *Verifier
		token   string
		wantErr error
	}{
		{"RS256", rsaV, rsaToken(t, rsaKey, payload), nil},
		{"ES256", ecV, ecToken(t, ecKey, payload), nil},
		{"ES256 token on RSA key", rsaV, ecToken(t, ecKey, payload), ErrAlgorithm},
		{"RS256 token on EC key", ecV, rsaToken(t, rsaKey, payload), ErrAlgorithm},
		// The classic confusion attack: an HMAC token keyed with the public key's PEM text.
		{"HS256 keyed with the RSA public key", rsaV, hmacToken(t, sha256.New, "HS256", payload, rsaPEM), ErrAlgorithm},
		{"none on RSA key", rsaV, b64(`{"alg":"none"}`) + "." + b64(payload) + ".", ErrAlgorithm},
		{"RS256 tampered payload", rsaV, tamper(rsaToken(t, rsaKey, payload)), ErrSignature},
		{"ES256 tampered payload", ecV, tamper(ecToken(t, ecKey, payload)), ErrSignature},
		{"ES256 short signature", ecV, b64(`{"alg":"ES256"}`) + "." + b64(payload) + ".AAAA", ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.v.Verify(tt.token, testNow)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && got.UserID != "u1" {
				t.Fatalf("userId = %q", got.UserID)
			}
		})
	}
	parsed, err := ParsePublicKeyPEM(rsaPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !rsaKey.PublicKey.Equal(parsed) {
		t.Fatal("parsed PEM key differs")
	}
}

// tamper replaces the payload with another valid one, keeping the signature.
func tamper(token string) string {
	parts := strings.Split(token, ".")
	return parts[0] + "." + b64(`{"userId":"admin"}`) + "." + parts[2]
}

func TestNewVerifierRejectsBadKeys(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string]crypto.PublicKey{
		"RSA 1024": &small.PublicKey, "P-384": &p384.PublicKey, "nil": nil, "string": "key",
	} {
		if _, err := NewPublicKeyVerifier(key); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewHMACVerifier(nil); err == nil {
		t.Error("empty secret accepted")
	}
	if _, err := ParsePublicKeyPEM([]byte("not pem")); err == nil {
		t.Error("garbage PEM accepted")
	}
}

func TestSignHS256RoundTrip(t *testing.T) {
	v, err := NewHMACVerifier(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	token, err := SignHS256(testSecret, "u1", "r1", testNow, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Verify(token, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != "u1" || got.RoomID != "r1" || !got.ExpiresAt.Equal(testNow.Add(time.Hour)) {
		t.Fatalf("claims = %+v", got)
	}
	if _, err := v.Verify(token, testNow.Add(2*time.Hour)); !errors.Is(err, ErrExpired) {
		t.Fatalf("after expiry: err = %v", err)
	}
	if _, err := SignHS256(testSecret, "", "", testNow, time.Hour); err == nil {
		t.Fatal("empty userId signed")
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(hmacToken(f, sha256.New, "HS256", `{"userId":"u1","exp":1700000100,"roomId":"r"}`, testSecret))
	f.Add(hmacToken(f, sha512.New, "HS512", `{"userId":"u1","nbf":1.5}`, testSecret))
	f.Add(b64(`{"alg":"none"}`) + "." + b64(`{"userId":"u"}`) + ".")
	f.Add("a.b.c")
	f.Add("..")
	v, err := NewHMACVerifier(testSecret)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(token, testNow)
		if err == nil && (c.UserID == "" || len(c.UserID) > MaxIDBytes || len(c.RoomID) > MaxIDBytes) {
			t.Fatalf("accepted invalid claims %+v", c)
		}
	})
}
