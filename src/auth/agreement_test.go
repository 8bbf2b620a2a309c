package auth

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzClaimsAgreement signs any header and payload, so that only the reading of the JSON decides, and checks that
// Verify accepts exactly the tokens the documented rules accept (docs/API.md, the bearer) as an independent reader sees
// them, that the claims it returns, which the server uses, are the ones that reader sees, and that lenient readers
// (encoding/json into a map, exact names, and into a struct, names without regard to case, the last duplicate winning
// in both) read the same values from any token Verify accepts.
func FuzzClaimsAgreement(f *testing.F) {
	for _, c := range exactCases {
		f.Add(c.header, c.payload)
	}
	f.Add(hs256, `{"userId":"alice","roomId":"r1","exp":1700003600,"nbf":1699999990.25,"iat":1699999000}`)
	f.Add(`{"alg":"HS256","kid":"k1","jwk":{"kty":"oct"}}`, `{"userId":"alice","aud":["a","b"],"ctx":{"n":[1,{"m":null}]}}`)
	f.Add(`{"alg":"HS256"}`, `{"userId":"\u00e9\u212a","roomId":"\u03c3"}`)
	f.Add(`{"alg":"HS384"}`, `{"userId":"alice"}`)
	v, err := NewHMACVerifier(testSecret)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, header, payload string) {
		token := signedToken(t, header, payload)
		if len(token) > MaxTokenBytes {
			return
		}
		got, err := v.Verify(token, testNow)
		want, accept := expectedClaims(header, payload, testNow)
		if (err == nil) != accept {
			t.Fatalf("header %q payload %q: Verify err %v, the rules accept: %v", header, payload, err, accept)
		}
		if !accept {
			return
		}
		if !sameClaims(got, want) {
			t.Fatalf("payload %q: Verify read %+v, the independent reader %+v", payload, got, want)
		}
		checkLenientReaders(t, payload, got)
	})
}

// member is one member of an object as the independent reader keeps it: in order, duplicates included. Its value is a
// string, json.Number, bool, nil, []member (an object) or []any (an array).
type member struct {
	name  string
	value any
}

// expectedClaims applies the rules of docs/API.md to a token signed with HS256 and testSecret, read by a reader written
// apart from readObject.
func expectedClaims(header, payload string, now time.Time) (Claims, bool) {
	h, ok := strictTree(header)
	if !ok || hasCaseVariant(h, "alg") || hasCaseVariant(h, "crit") {
		return Claims{}, false
	}
	if alg, _ := lookup(h, "alg"); alg != "HS256" {
		return Claims{}, false
	}
	if _, crit := lookup(h, "crit"); crit {
		return Claims{}, false
	}
	p, ok := strictTree(payload)
	if !ok {
		return Claims{}, false
	}
	for _, name := range []string{"userId", "roomId", "exp", "nbf"} {
		if hasCaseVariant(p, name) {
			return Claims{}, false
		}
	}
	var c Claims
	userID, _ := lookup(p, "userId")
	if c.UserID, ok = validID(userID); !ok {
		return Claims{}, false
	}
	if roomID, present := lookup(p, "roomId"); present {
		if c.RoomID, ok = validID(roomID); !ok {
			return Claims{}, false
		}
	}
	if c.ExpiresAt, ok = validDate(p, "exp"); !ok {
		return Claims{}, false
	}
	if c.NotBefore, ok = validDate(p, "nbf"); !ok {
		return Claims{}, false
	}
	if !c.ExpiresAt.IsZero() && now.Sub(c.ExpiresAt) >= Leeway {
		return Claims{}, false
	}
	if !c.NotBefore.IsZero() && c.NotBefore.Sub(now) > Leeway {
		return Claims{}, false
	}
	return c, true
}

// strictTree reads part as one JSON object in UTF-8 with no two names equal without regard to case in any object.
func strictTree(part string) ([]member, bool) {
	if !utf8.ValidString(part) {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(part))
	dec.UseNumber()
	v, ok := treeValue(dec)
	obj, isObject := v.([]member)
	if !ok || !isObject {
		return nil, false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, false
	}
	return obj, !hasDuplicate(obj)
}

func treeValue(dec *json.Decoder) (any, bool) {
	tok, err := dec.Token()
	if err != nil {
		return nil, false
	}
	switch tok {
	case json.Delim('{'):
		obj := []member{}
		for dec.More() {
			nameTok, err := dec.Token()
			name, isString := nameTok.(string)
			if err != nil || !isString {
				return nil, false
			}
			v, ok := treeValue(dec)
			if !ok {
				return nil, false
			}
			obj = append(obj, member{name, v})
		}
		end, err := dec.Token()
		return obj, err == nil && end == json.Delim('}')
	case json.Delim('['):
		arr := []any{}
		for dec.More() {
			v, ok := treeValue(dec)
			if !ok {
				return nil, false
			}
			arr = append(arr, v)
		}
		end, err := dec.Token()
		return arr, err == nil && end == json.Delim(']')
	default:
		return tok, true
	}
}

// hasDuplicate compares every pair of names of every object, at any depth.
func hasDuplicate(v any) bool {
	switch v := v.(type) {
	case []member:
		for i, m := range v {
			for _, other := range v[:i] {
				if strings.EqualFold(m.name, other.name) {
					return true
				}
			}
			if hasDuplicate(m.value) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if hasDuplicate(e) {
				return true
			}
		}
	}
	return false
}

func hasCaseVariant(obj []member, name string) bool {
	for _, m := range obj {
		if m.name != name && strings.EqualFold(m.name, name) {
			return true
		}
	}
	return false
}

func lookup(obj []member, name string) (any, bool) {
	for _, m := range obj {
		if m.name == name {
			return m.value, true
		}
	}
	return nil, false
}

func validID(v any) (string, bool) {
	s, ok := v.(string)
	return s, ok && s != "" && len(s) <= MaxIDBytes && !strings.ContainsRune(s, utf8.RuneError)
}

func validDate(obj []member, name string) (time.Time, bool) {
	v, present := lookup(obj, name)
	if !present {
		return time.Time{}, true
	}
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f < 0 || f > 1e11 {
		return time.Time{}, false
	}
	return numericDate(f), true
}

func numericDate(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9))
}

// checkLenientReaders decodes an accepted payload the way a backend on encoding/json might, and requires the values
// the server uses to be the ones it sees.
func checkLenientReaders(t *testing.T, payload string, got Claims) {
	t.Helper()
	var exact map[string]any
	var folded struct {
		UserID any `json:"userId"`
		RoomID any `json:"roomId"`
		Exp    any `json:"exp"`
		Nbf    any `json:"nbf"`
	}
	for _, target := range []any{&exact, &folded} {
		dec := json.NewDecoder(strings.NewReader(payload))
		dec.UseNumber()
		if err := dec.Decode(target); err != nil {
			t.Fatalf("payload %q: accepted by Verify, refused by encoding/json: %v", payload, err)
		}
	}
	readings := map[string][4]any{
		"map":    {exact["userId"], exact["roomId"], exact["exp"], exact["nbf"]},
		"struct": {folded.UserID, folded.RoomID, folded.Exp, folded.Nbf},
	}
	for reader, r := range readings {
		if r[0] != got.UserID || !sameOptionalID(r[1], got.RoomID) || !sameOptionalDate(r[2], got.ExpiresAt) ||
			!sameOptionalDate(r[3], got.NotBefore) {
			t.Fatalf("payload %q: Verify read %+v, encoding/json (%s) %v", payload, got, reader, r)
		}
	}
}

func sameOptionalID(v any, id string) bool {
	if v == nil {
		return id == ""
	}
	return v == id
}

func sameOptionalDate(v any, date time.Time) bool {
	if v == nil {
		return date.IsZero()
	}
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	return err == nil && numericDate(f).Equal(date)
}
