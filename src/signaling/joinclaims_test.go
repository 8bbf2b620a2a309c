package signaling

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// rawHS256 signs claims, a JSON text written as is (duplicate names, any letter case), with the test secret.
func rawHS256(claims string) string {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(claims))
	mac := hmac.New(sha256.New, testSecret)
	mac.Write([]byte(input))
	return input + "." + enc.EncodeToString(mac.Sum(nil))
}

// TestJoinRefusesAmbiguousClaims: the bearers of issue 13 (case 4), which joined as mallory or in room r before
// the verifier matched claim names exactly and refused duplicates, are refused 1286 at join; the same token
// without the trick joins, so the rows test the claims and not the signing.
func TestJoinRefusesAmbiguousClaims(t *testing.T) {
	h := newHarness(t, nil)
	future, past := time.Now().Add(time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
	tests := []struct {
		name, claims, room string
	}{
		{"userid in lower case", fmt.Sprintf(`{"userid":"mallory","exp":%d}`, future), "r"},
		{"USERID beside userId", fmt.Sprintf(`{"userId":"alice","USERID":"mallory","exp":%d}`, future), "r"},
		{"ROOMID beside roomId", fmt.Sprintf(`{"userId":"alice","roomId":"other","ROOMID":"r","exp":%d}`, future), "r"},
		{"exp past, EXP future", fmt.Sprintf(`{"userId":"alice","exp":%d,"EXP":%d}`, past, future), "r"},
		{"duplicate userId", fmt.Sprintf(`{"userId":"alice","userId":"mallory","exp":%d}`, future), "r"},
	}
	c := h.dial()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.send("join", map[string]any{"roomId": tt.room, "bearer": rawHS256(tt.claims)})
			c.expectError("join", protocol.CodeAuthFailed)
		})
	}
	c.send("join", map[string]any{"roomId": "r", "bearer": rawHS256(fmt.Sprintf(`{"userId":"alice","exp":%d}`, future))})
	if got := decode[protocol.JoinResult](t, c.expectOK("join").D); got.UserID != "alice" {
		t.Fatalf("joined as %q", got.UserID)
	}
}
