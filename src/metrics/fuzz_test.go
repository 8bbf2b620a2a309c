package metrics

import (
	"strings"
	"testing"
)

// FuzzEmit emits samples with arbitrary names, help texts and label values, and checks that the exposition stays
// valid and that accepted label values and help texts read back unchanged (after invalid UTF-8 is replaced).
func FuzzEmit(f *testing.F) {
	for _, seed := range [][4]string{
		{"rooms", "Live rooms.", "action", "join"},
		{"a_b:c", "help \\ with\nline feed", "v", "quote \" backslash \\ lf \n"},
		{"9bad", "", "__reserved", ""},
		{"x", "bad \xff utf8", "l", "\xfe\xff"},
		{"x_bucket", "h", "le", "0.5"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3], 1.5)
	}
	f.Fuzz(func(t *testing.T, name, help, labelName, labelValue string, value float64) {
		out, errs := gather(t, func(e *Emitter) {
			e.Gauge(name, help, value, Label{labelName, labelValue})
			e.Counter(name+"_total", help, value)
			e.Histogram(name+"_h", help, Histogram{Bounds: []float64{1}, Counts: []uint64{1, 2}, Sum: value},
				Label{labelName, labelValue})
		})
		p, err := parseExposition(out)
		if err != nil {
			t.Fatalf("invalid exposition (%v):\n%q", err, out)
		}
		if len(errs) == 0 && len(p.samples) == 0 {
			t.Fatal("no sample and no error")
		}
		if v, ok := p.value(name, map[string]string{labelName: strings.ToValidUTF8(labelValue, "\uFFFD")}); ok {
			if v != value && !(v != v && value != value) {
				t.Fatalf("value %v read back as %v", value, v)
			}
			if got := p.helps[name]; got != strings.ToValidUTF8(help, "\uFFFD") {
				t.Fatalf("help %q read back as %q", help, got)
			}
		}
	})
}

// FuzzParseStatmResident checks that any content of /proc/self/statm gives a number or an error, never a panic.
func FuzzParseStatmResident(f *testing.F) {
	f.Add([]byte("12345 678 90 1 0 100 0\n"))
	f.Add([]byte("1"))
	f.Add([]byte(" \t\n"))
	f.Fuzz(func(t *testing.T, statm []byte) {
		if _, err := parseStatmResident(statm); err == nil && len(strings.Fields(string(statm))) < 2 {
			t.Fatalf("%q accepted", statm)
		}
	})
}
