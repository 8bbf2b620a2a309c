package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"testing"
	"time"
)

// signedToken signs header and payload, taken as they are, with HS256 and testSecret: the signature is always good,
// so only the reading of the JSON decides.
func signedToken(t testing.TB, header, payload string) string {
	t.Helper()
	input := b64(header) + "." + b64(payload)
	mac := hmac.New(sha256.New, testSecret)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

const hs256 = `{"alg":"HS256","typ":"JWT"}`

// exactCases are the cases of issue 13 and their neighbours; FuzzClaimsAgreement starts from them too.
var exactCases = []struct {
	name    string
	header  string
	payload string
	want    Claims
	wantErr error
}{
	// The attacks of issue 13 and their variants, all accepted before.
	{"userId in another case", hs256, `{"userid":"mallory"}`, Claims{}, ErrNameCase},
	{"userId and USERID", hs256, `{"userId":"alice","USERID":"mallory"}`, Claims{}, ErrDuplicateName},
	{"USERID and userId", hs256, `{"USERID":"mallory","userId":"alice"}`, Claims{}, ErrNameCase},
	{"roomId and ROOMID", hs256, `{"userId":"alice","roomId":"other","ROOMID":"r"}`, Claims{}, ErrDuplicateName},
	{"roomId and ROOMID, no userId", hs256, `{"roomId":"other","ROOMID":"r"}`, Claims{}, ErrDuplicateName},
	{"past exp and future EXP", hs256, `{"userId":"alice","exp":1699996400,"EXP":1700003600}`, Claims{}, ErrDuplicateName},
	{"future EXP alone", hs256, `{"userId":"alice","EXP":1700003600}`, Claims{}, ErrNameCase},
	{"past Exp alone", hs256, `{"userId":"alice","Exp":1699996400}`, Claims{}, ErrNameCase},
	{"NBF alone", hs256, `{"userId":"alice","NBF":1800000000}`, Claims{}, ErrNameCase},
	{"roomID alone", hs256, `{"userId":"alice","roomID":"r"}`, Claims{}, ErrNameCase},
	{"userId twice", hs256, `{"userId":"alice","userId":"mallory"}`, Claims{}, ErrDuplicateName},
	{"exp twice", hs256, `{"userId":"alice","exp":1699996400,"exp":1700003600}`, Claims{}, ErrDuplicateName},
	{"unused claim twice", hs256, `{"userId":"alice","iat":1,"iat":2}`, Claims{}, ErrDuplicateName},
	{"unused claims differing by case", hs256, `{"userId":"alice","scope":"a","Scope":"b"}`, Claims{}, ErrDuplicateName},
	{"Kelvin sign folds to k", hs256, "{\"userId\":\"alice\",\"k\":1,\"\u212a\":2}", Claims{}, ErrDuplicateName},
	{"escaped name equal to another", hs256, `{"userId":"alice","\u0075serId":"mallory"}`, Claims{}, ErrDuplicateName},

	// Duplicates at any depth.
	{"nested duplicate", hs256, `{"userId":"alice","ctx":{"a":1,"a":2}}`, Claims{}, ErrDuplicateName},
	{"nested duplicate in case", hs256, `{"userId":"alice","ctx":[{"x":{"y":1,"Y":2}}]}`, Claims{}, ErrDuplicateName},
	{"duplicate after a nested object", hs256, `{"userId":"alice","ctx":{"userId":"x"},"userId":"mallory"}`, Claims{}, ErrDuplicateName},
	{"same name in sibling objects", hs256, `{"userId":"alice","ctx":[{"a":1},{"a":2}],"o":{"a":{"a":3}}}`, Claims{UserID: "alice"}, nil},
	{"claim name nested is not the claim", hs256, `{"userId":"alice","ctx":{"userId":"mallory","EXP":1,"roomId":"r"}}`, Claims{UserID: "alice"}, nil},

	// The header.
	{"alg twice", `{"alg":"HS256","alg":"none"}`, `{"userId":"alice"}`, Claims{}, ErrDuplicateName},
	{"alg twice, HS256 last", `{"alg":"none","alg":"HS256"}`, `{"userId":"alice"}`, Claims{}, ErrDuplicateName},
	{"alg and ALG", `{"alg":"HS256","ALG":"HS512"}`, `{"userId":"alice"}`, Claims{}, ErrDuplicateName},
	{"ALG alone", `{"ALG":"HS256"}`, `{"userId":"alice"}`, Claims{}, ErrNameCase},
	{"no alg", `{"typ":"JWT"}`, `{"userId":"alice"}`, Claims{}, ErrAlgorithm},
	{"alg not a string", `{"alg":["HS256"]}`, `{"userId":"alice"}`, Claims{}, ErrAlgorithm},
	{"Crit", `{"alg":"HS256","Crit":["exp"]}`, `{"userId":"alice"}`, Claims{}, ErrNameCase},
	{"null crit", `{"alg":"HS256","crit":null}`, `{"userId":"alice"}`, Claims{}, ErrMalformed},
	{"nested duplicate in header", `{"alg":"HS256","jwk":{"kty":"oct","KTY":"RSA"}}`, `{"userId":"alice"}`, Claims{}, ErrDuplicateName},
	{"header array", `["HS256"]`, `{"userId":"alice"}`, Claims{}, ErrMalformed},

	// Types: a claim present with the wrong type is refused, never taken as absent.
	{"userId true", hs256, `{"userId":true}`, Claims{}, ErrClaimInvalid},
	{"userId array", hs256, `{"userId":["alice"]}`, Claims{}, ErrClaimInvalid},
	{"userId object", hs256, `{"userId":{"id":"alice"}}`, Claims{}, ErrClaimInvalid},
	{"userId huge number", hs256, `{"userId":1e999}`, Claims{}, ErrClaimInvalid},
	{"userId lone surrogate", hs256, `{"userId":"\ud800"}`, Claims{}, ErrClaimInvalid},
	{"roomId null", hs256, `{"userId":"alice","roomId":null}`, Claims{}, ErrClaimInvalid},
	{"roomId object", hs256, `{"userId":"alice","roomId":{}}`, Claims{}, ErrClaimInvalid},
	{"exp null", hs256, `{"userId":"alice","exp":null}`, Claims{}, ErrClaimInvalid},
	{"exp numeric string", hs256, `{"userId":"alice","exp":"1700003600"}`, Claims{}, ErrClaimInvalid},
	{"exp true", hs256, `{"userId":"alice","exp":true}`, Claims{}, ErrClaimInvalid},
	{"exp array", hs256, `{"userId":"alice","exp":[1700003600]}`, Claims{}, ErrClaimInvalid},
	{"nbf null", hs256, `{"userId":"alice","nbf":null}`, Claims{}, ErrClaimInvalid},
	{"nbf string", hs256, `{"userId":"alice","nbf":"now"}`, Claims{}, ErrClaimInvalid},
	{"nbf object", hs256, `{"userId":"alice","nbf":{"t":1}}`, Claims{}, ErrClaimInvalid},

	// Numbers out of range.
	{"exp beyond float64", hs256, `{"userId":"alice","exp":1e400}`, Claims{}, ErrClaimInvalid},
	{"exp past the year 5138", hs256, `{"userId":"alice","exp":100000000001}`, Claims{}, ErrClaimInvalid},
	{"exp of 30 digits", hs256, `{"userId":"alice","exp":100000000000000000000000000000}`, Claims{}, ErrClaimInvalid},
	{"nbf huge", hs256, `{"userId":"alice","nbf":1.7976931348623157e308}`, Claims{}, ErrClaimInvalid},
	{"exp negative zero", hs256, `{"userId":"alice","exp":-0}`, Claims{}, ErrExpired},
	{"exp with exponent", hs256, `{"userId":"alice","exp":1.7000036e9}`, Claims{UserID: "alice", ExpiresAt: time.Unix(1700003600, 0)}, nil},

	// The JSON text itself.
	{"trailing object", hs256, `{"userId":"alice"}{}`, Claims{}, ErrMalformed},
	{"trailing text", hs256, `{"userId":"alice"} x`, Claims{}, ErrMalformed},
	{"whitespace around", hs256, " \n{ \"userId\" : \"alice\" }\t", Claims{UserID: "alice"}, nil},
	{"trailing comma", hs256, `{"userId":"alice",}`, Claims{}, ErrMalformed},
	{"missing colon", hs256, `{"userId" "alice"}`, Claims{}, ErrMalformed},
	{"missing comma", hs256, `{"userId":"alice" "roomId":"r"}`, Claims{}, ErrMalformed},
	{"number as a name", hs256, `{1:2,"userId":"alice"}`, Claims{}, ErrMalformed},
	{"unclosed", hs256, `{"userId":"alice","ctx":[1,2}`, Claims{}, ErrMalformed},
	{"invalid UTF-8", hs256, "{\"userId\":\"alice\xff\"}", Claims{}, ErrMalformed},
	{"invalid UTF-8 in an unused name", hs256, "{\"userId\":\"alice\",\"\xc0\xae\":1}", Claims{}, ErrMalformed},
}

// Claim names are matched exactly, and no JSON object of the token may hold two names equal without regard to case:
// a token whose reading depends on the JSON reader is refused, whatever the reader of the backend that issued it.
func TestVerifyExactClaimNames(t *testing.T) {
	v, err := NewHMACVerifier(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range exactCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(signedToken(t, tt.header, tt.payload), testNow)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if !sameClaims(got, tt.want) {
				t.Fatalf("claims = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// Whatever the reason, a refused token yields no claims, so a caller that forgot the error still has no identity.
func TestVerifyRefusalYieldsNoClaims(t *testing.T) {
	v, err := NewHMACVerifier(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	for _, payload := range []string{
		`{"userId":"alice","userId":"mallory"}`,
		`{"userId":"mallory","exp":1}`,
		`{"userId":"mallory","roomId":null}`,
	} {
		got, err := v.Verify(signedToken(t, `{"alg":"HS256"}`, payload), testNow)
		if err == nil || !sameClaims(got, Claims{}) {
			t.Errorf("%s: claims %+v, err %v", payload, got, err)
		}
	}
}

func sameClaims(a, b Claims) bool {
	return a.UserID == b.UserID && a.RoomID == b.RoomID && a.ExpiresAt.Equal(b.ExpiresAt) && a.NotBefore.Equal(b.NotBefore)
}
