package auth

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestReadObject(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    object
		wantErr error
	}{
		{"scalars", `{"s":"x","n":-1.5e3,"t":true,"f":false,"z":null}`,
			object{"s": "x", "n": json.Number("-1.5e3"), "t": true, "f": false, "z": nil}, nil},
		{"structured values keep their opening delimiter", `{"o":{"a":[1,{"b":2}]},"a":[],"e":{}}`,
			object{"o": json.Delim('{'), "a": json.Delim('['), "e": json.Delim('{')}, nil},
		{"nested members are not top-level", `{"o":{"userId":"x"}}`, object{"o": json.Delim('{')}, nil},
		{"empty", `{}`, object{}, nil},
		{"escaped names read as their text", `{"\u0061":1}`, object{"a": json.Number("1")}, nil},
		{"duplicate", `{"a":1,"a":1}`, nil, ErrDuplicateName},
		{"duplicate in case", `{"a":1,"A":1}`, nil, ErrDuplicateName},
		{"duplicate deep in arrays", `{"a":[[[{"b":{"c":1,"C":2}}]]]}`, nil, ErrDuplicateName},
		{"duplicate after the deep part", `{"a":{"b":{"c":{}}},"A":1}`, nil, ErrDuplicateName},
		{"array", `[]`, nil, ErrMalformed},
		{"string", `"a"`, nil, ErrMalformed},
		{"nothing", ``, nil, ErrMalformed},
		{"two objects", `{}{}`, nil, ErrMalformed},
		{"unclosed", `{"a":{}`, nil, ErrMalformed},
		{"bad closer", `{"a":[}`, nil, ErrMalformed},
		{"invalid UTF-8", "{\"a\xff\":1}", nil, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readObject([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for name, want := range tt.want {
				if v, ok := got[name]; !ok || v != want {
					t.Fatalf("%q = %#v, want %#v", name, v, want)
				}
			}
		})
	}
}

// Nesting as deep as a token can hold is read to its end, and a duplicate at the bottom is still found.
func TestReadObjectDeep(t *testing.T) {
	depth := MaxTokenBytes
	deep := `{"a":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
	got, err := readObject([]byte(deep))
	if err != nil || got["a"] != json.Delim('[') {
		t.Fatalf("got %v, %v", got, err)
	}
	dup := `{"a":` + strings.Repeat(`[{"b":`, depth) + `{"c":1,"c":2}` + strings.Repeat("}]", depth) + `}`
	if _, err := readObject([]byte(dup)); !errors.Is(err, ErrDuplicateName) {
		t.Fatalf("deep duplicate: %v", err)
	}
}

func TestFoldNameAgreesWithEqualFold(t *testing.T) {
	for _, pair := range [][2]string{
		{"userId", "USERID"}, {"k", "\u212a"}, {"s", "\u017f"}, {"\u00e9", "\u00c9"}, {"\u03c3", "\u03c2"},
		{"exp", "ex"}, {"a", "b"}, {"\u00df", "ss"}, {"", ""},
	} {
		a, b := pair[0], pair[1]
		if got, want := foldName(a) == foldName(b), strings.EqualFold(a, b); got != want {
			t.Errorf("%q, %q: folded equal %v, EqualFold %v", a, b, got, want)
		}
	}
}

func FuzzFoldName(f *testing.F) {
	f.Add("userId", "USERID")
	f.Add("k", "\u212a")
	f.Add("\u03a3", "\u03c2")
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return
		}
		if got, want := foldName(a) == foldName(b), strings.EqualFold(a, b); got != want {
			t.Fatalf("%q, %q: folded equal %v, EqualFold %v", a, b, got, want)
		}
	})
}
