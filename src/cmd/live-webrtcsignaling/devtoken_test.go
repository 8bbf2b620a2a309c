package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/auth"
)

// TestDevTokenSignsOnlyWhatVerifyAccepts: a userId or roomId that Verify would refuse (U+FFFD, which its JSON
// reader puts for invalid UTF-8; invalid UTF-8 itself) is refused 400 up front; a valid one gives a bearer that
// Verify accepts with the same claims.
func TestDevTokenSignsOnlyWhatVerifyAccepts(t *testing.T) {
	secret := []byte("dev-secret-dev-secret-dev-secret")
	handler := newDevTokenHandler(secret)
	get := func(query url.Values) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dev/token?"+query.Encode(), nil))
		return rec
	}
	for _, q := range []url.Values{
		{"userId": {"al\uFFFDce"}},
		{"userId": {"\uFFFD"}},
		{"userId": {"al\xffce"}},
		{"userId": {"alice"}, "roomId": {"r\uFFFD"}},
		{"userId": {""}},
	} {
		if rec := get(q); rec.Code != http.StatusBadRequest {
			t.Errorf("%v: %d, want 400", q, rec.Code)
		}
	}
	rec := get(url.Values{"userId": {"élise"}, "roomId": {"salle"}})
	if rec.Code != http.StatusOK {
		t.Fatalf("valid ids: %d %s", rec.Code, rec.Body)
	}
	var body struct{ Bearer string }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewHMACVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := v.Verify(body.Bearer, time.Now())
	if err != nil || claims.UserID != "élise" || claims.RoomID != "salle" {
		t.Fatalf("Verify: %+v %v", claims, err)
	}
}
