package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heytribe/live-webrtcsignaling/src/auth"
)

// devTokenTTL is the lifetime of dev mode bearers.
const devTokenTTL = 12 * time.Hour

// devTokenID reports whether id may be signed as a userId or roomId claim: what auth's Verify accepts, so that
// the endpoint never hands out a bearer that join then refuses. Verify refuses U+FFFD, which its JSON reader puts in
// place of invalid UTF-8.
func devTokenID(id string) bool {
	return len(id) <= auth.MaxIDBytes && utf8.ValidString(id) && !strings.ContainsRune(id, utf8.RuneError)
}

// newDevTokenHandler serves GET /dev/token?userId=<id>[&roomId=<id>] with {"bearer":"<HS256 JWT>"}. It is mounted
// in dev mode only, where the server listens on loopback and the secret is random.
func newDevTokenHandler(secret []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		userID, roomID := r.URL.Query().Get("userId"), r.URL.Query().Get("roomId")
		if userID == "" || !devTokenID(userID) || !devTokenID(roomID) {
			http.Error(w, "userId (1-128 bytes of UTF-8, no U+FFFD) required, roomId optional (at most 128 bytes)",
				http.StatusBadRequest)
			return
		}
		bearer, err := auth.SignHS256(secret, userID, roomID, time.Now(), devTokenTTL)
		if err != nil {
			http.Error(w, "cannot sign", http.StatusInternalServerError)
			return
		}
		body, err := json.Marshal(map[string]string{"bearer": bearer})
		if err != nil {
			http.Error(w, "cannot encode", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(body)
	})
}
