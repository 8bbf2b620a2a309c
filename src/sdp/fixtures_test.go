package sdp

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fixtures returns every offer of testdata/offers by file name.
func fixtures(tb testing.TB) map[string][]byte {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "offers", "*.sdp"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no fixtures: %v", err)
	}
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out[filepath.Base(p)] = data
	}
	return out
}

// roundTrip checks that s survives Marshal and Unmarshal unchanged, and returns the written text.
func roundTrip(tb testing.TB, s *Session) []byte {
	tb.Helper()
	text, err := s.Marshal()
	if err != nil {
		tb.Fatalf("Marshal: %v", err)
	}
	again, err := Unmarshal(text)
	if err != nil {
		tb.Fatalf("Unmarshal(Marshal(s)): %v\n%s", err, text)
	}
	if !reflect.DeepEqual(s, again) {
		tb.Fatalf("round trip changed the session:\nbefore %+v\nafter  %+v\ntext:\n%s", s, again, text)
	}
	return text
}

func TestFixturesRoundTrip(t *testing.T) {
	for name, data := range fixtures(t) {
		t.Run(name, func(t *testing.T) {
			s, err := Unmarshal(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Media) == 0 {
				t.Fatal("no media section")
			}
			roundTrip(t, s)
		})
	}
}
