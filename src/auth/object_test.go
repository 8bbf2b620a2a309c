package auth

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestReadObject(t *testing.T) {
	names := []string{"s", "n", "t", "f", "z", "o", "a", "e"}
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
		{"members not asked for are left out", `{"s":"x","userId":"u","S2":1}`, object{"s": "x"}, nil},
		{"a name asked for in another case", `{"S":"x"}`, nil, ErrNameCase},
		{"a nested name in another case is not the member", `{"o":{"S":"x"}}`, object{"o": json.Delim('{')}, nil},
		{"empty", `{}`, object{}, nil},
		{"escaped names read as their text", `{"\u0061":1,"\u0073":"\u00e9"}`, object{"a": json.Number("1"), "s": "\u00e9"}, nil},
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
			got, err := readObject([]byte(tt.in), names...)
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

// Nesting deeper than a token can hold (MaxTokenBytes of base64 is 6 KiB of JSON) is read to its end, and a duplicate
// at the bottom is still found.
func TestReadObjectDeep(t *testing.T) {
	const depth = 5000
	deep := `{"a":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
	got, err := readObject([]byte(deep), "a")
	if err != nil || got["a"] != json.Delim('[') {
		t.Fatalf("got %v, %v", got, err)
	}
	dup := `{"a":` + strings.Repeat(`[{"b":`, depth/2) + `{"c":1,"c":2}` + strings.Repeat("}]", depth/2) + `}`
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
		if got, want := foldName([]byte(a)) == foldName([]byte(b)), strings.EqualFold(a, b); got != want {
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
		if got, want := foldName([]byte(a)) == foldName([]byte(b)), strings.EqualFold(a, b); got != want {
			t.Fatalf("%q, %q: folded equal %v, EqualFold %v", a, b, got, want)
		}
	})
}

// FuzzReadObject compares readObject with the reader of FuzzClaimsAgreement, built on json.Decoder: the same text
// accepted, the same members read.
func FuzzReadObject(f *testing.F) {
	for _, c := range exactCases {
		f.Add(c.payload)
	}
	f.Add(`{"s":"\u00e9\"\\","n":1e3,"t":true,"f":false,"z":null,"o":{"a":[1,"]",{"}":2}]},"a":[[]],"e":{}}`)
	names := []string{"s", "n", "t", "f", "z", "o", "a", "e", "userId"}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := readObject([]byte(in), names...)
		tree, ok := strictTree(in)
		for _, name := range names {
			ok = ok && !hasCaseVariant(tree, name)
		}
		if (err == nil) != ok {
			t.Fatalf("%q: readObject err %v, reference accepts %v", in, err, ok)
		}
		if !ok {
			return
		}
		want := object{}
		for _, name := range names {
			if v, present := lookup(tree, name); present {
				want[name] = firstToken(v)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%q: read %v, reference %v", in, got, want)
		}
		for name, v := range want {
			if got[name] != v {
				t.Fatalf("%q: %s = %#v, reference %#v", in, name, got[name], v)
			}
		}
	})
}

// firstToken is how readObject reports a value of the reference's tree.
func firstToken(v any) json.Token {
	switch v.(type) {
	case []member:
		return json.Delim('{')
	case []any:
		return json.Delim('[')
	default:
		return v
	}
}

// BenchmarkVerifyHostileHeader measures what an unauthenticated client can make the server spend per join: headers of
// about 6 KiB, as large as MaxTokenBytes allows, are read in full before the signature can be checked.
func BenchmarkVerifyHostileHeader(b *testing.B) {
	v, err := NewHMACVerifier(testSecret)
	if err != nil {
		b.Fatal(err)
	}
	members := func(member func(i int) string) string {
		header := `{"alg":"HS256"`
		for i := 0; len(header) < 6000; i++ {
			header += "," + member(i)
		}
		return header + "}"
	}
	for _, bc := range []struct{ name, header string }{
		{"names", members(func(i int) string { return `"` + strconv.Itoa(i) + `":0` })},
		{"escaped names", members(func(i int) string { return `"\u0061` + strconv.Itoa(i) + `":0` })},
		{"nested objects", `{"alg":"HS256","x":` + strings.Repeat(`{"a":`, 900) + "0" + strings.Repeat("}", 900) + "}"},
	} {
		token := b64(bc.header) + "." + b64(`{"userId":"u"}`) + ".AAAA"
		if _, err := v.Verify(token, testNow); !errors.Is(err, ErrSignature) || len(token) > MaxTokenBytes {
			b.Fatalf("%s: %d bytes, %v", bc.name, len(token), err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(token, testNow); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}
