package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"
)

// SignHS256 makes an HS256 token with the claims userId, roomId (when not empty), iat and exp = now + ttl.
// Dev mode hands such tokens to the reference client; tests use it too.
func SignHS256(secret []byte, userID, roomID string, now time.Time, ttl time.Duration) (string, error) {
	if len(secret) == 0 {
		return "", errors.New("auth: empty HMAC secret")
	}
	if userID == "" || len(userID) > MaxIDBytes || len(roomID) > MaxIDBytes {
		return "", ErrClaimInvalid
	}
	payload := struct {
		UserID string `json:"userId"`
		RoomID string `json:"roomId,omitempty"`
		Iat    int64  `json:"iat"`
		Exp    int64  `json:"exp"`
	}{userID, roomID, now.Unix(), now.Add(ttl).Unix()}
	body, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString(body)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), nil
}
