package metrics

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Metric family types, as the text format names them.
const (
	typeCounter   = "counter"
	typeGauge     = "gauge"
	typeHistogram = "histogram"
)

// Label is one name="value" pair of a sample.
type Label struct {
	Name, Value string
}

// Histogram is a snapshot of a histogram, as its owner keeps it: observations per bucket, not cumulative.
type Histogram struct {
	// Bounds are the buckets' upper bounds (inclusive), strictly ascending; the +Inf bucket is implicit.
	Bounds []float64
	// Counts holds len(Bounds)+1 counts: Counts[i] observations in (Bounds[i-1], Bounds[i]], the last one above
	// every bound.
	Counts []uint64
	// Sum is the sum of every observation; NaN when its owner does not keep it, and the _sum sample is then left
	// out (quantiles need only the buckets).
	Sum float64
}

// Emitter collects the samples of one scrape, grouped by family. Collectors receive it; it is not safe for
// concurrent use (a collector that gathers in parallel emits from one goroutine at the end).
type Emitter struct {
	families map[string]*family
	order    []*family
	errs     []error
}

// family is one metric family and its sample lines so far.
type family struct {
	name, help, kind string
	lines            []byte
	// series are the label sets already emitted, so a duplicate is refused instead of breaking the scrape.
	series map[string]struct{}
}

func newEmitter() *Emitter {
	return &Emitter{families: make(map[string]*family)}
}

// Counter emits one sample of a counter: a value that only goes up (since start), such as messages_total.
func (e *Emitter) Counter(name, help string, value float64, labels ...Label) {
	if math.IsNaN(value) || value < 0 {
		e.fail(name, fmt.Errorf("counter value %v is negative or NaN", value))
		return
	}
	e.sample(name, help, typeCounter, value, labels)
}

// Gauge emits one sample of a gauge: a value that goes up and down, such as rooms.
func (e *Emitter) Gauge(name, help string, value float64, labels ...Label) {
	e.sample(name, help, typeGauge, value, labels)
}

// Histogram emits one histogram: its cumulative name_bucket{le=...} samples, name_sum and name_count.
func (e *Emitter) Histogram(name, help string, h Histogram, labels ...Label) {
	if err := h.check(); err != nil {
		e.fail(name, err)
		return
	}
	if slices.ContainsFunc(labels, func(l Label) bool { return l.Name == "le" }) {
		e.fail(name, errors.New(`a histogram's labels must not include "le"`))
		return
	}
	f, ok := e.series(name, help, typeHistogram, labels)
	if !ok {
		return
	}
	var cumulative uint64
	for i, bound := range h.Bounds {
		cumulative += h.Counts[i]
		f.lines = appendSample(f.lines, name+"_bucket", labels, Label{"le", formatFloat(bound)}, float64(cumulative))
	}
	cumulative += h.Counts[len(h.Bounds)]
	f.lines = appendSample(f.lines, name+"_bucket", labels, Label{"le", "+Inf"}, float64(cumulative))
	if !math.IsNaN(h.Sum) {
		f.lines = appendSample(f.lines, name+"_sum", labels, Label{}, h.Sum)
	}
	f.lines = appendSample(f.lines, name+"_count", labels, Label{}, float64(cumulative))
}

func (h Histogram) check() error {
	if len(h.Counts) != len(h.Bounds)+1 {
		return fmt.Errorf("histogram has %d bounds and %d counts, want one count more than bounds",
			len(h.Bounds), len(h.Counts))
	}
	for i, b := range h.Bounds {
		if math.IsNaN(b) || math.IsInf(b, 0) || (i > 0 && b <= h.Bounds[i-1]) {
			return fmt.Errorf("histogram bounds must be finite and strictly ascending, got %v", h.Bounds)
		}
	}
	return nil
}

func (e *Emitter) sample(name, help, kind string, value float64, labels []Label) {
	f, ok := e.series(name, help, kind, labels)
	if !ok {
		return
	}
	f.lines = appendSample(f.lines, name, labels, Label{}, value)
}

// series returns the family of a new sample after checking its name, type, help and labels.
func (e *Emitter) series(name, help, kind string, labels []Label) (*family, bool) {
	f, ok := e.families[name]
	if !ok {
		if !validMetricName(name) {
			e.fail(name, errors.New("invalid metric name"))
			return nil, false
		}
		f = &family{name: name, help: help, kind: kind, series: make(map[string]struct{})}
		e.families[name] = f
		e.order = append(e.order, f)
	}
	if f.kind != kind || f.help != help {
		e.fail(name, fmt.Errorf("emitted as %s %q and as %s %q", f.kind, f.help, kind, help))
		return nil, false
	}
	key, err := seriesKey(labels)
	if err != nil {
		e.fail(name, err)
		return nil, false
	}
	if _, dup := f.series[key]; dup {
		e.fail(name, fmt.Errorf("duplicate series %v", labels))
		return nil, false
	}
	f.series[key] = struct{}{}
	return f, true
}

func (e *Emitter) fail(name string, err error) {
	e.errs = append(e.errs, fmt.Errorf("metrics: %q: %w", name, err))
}

// seriesKey checks the label names and returns the label set in a canonical form.
func seriesKey(labels []Label) (string, error) {
	sorted := slices.Clone(labels)
	slices.SortFunc(sorted, func(a, b Label) int { return strings.Compare(a.Name, b.Name) })
	var b strings.Builder
	for i, l := range sorted {
		if !validLabelName(l.Name) {
			return "", fmt.Errorf("invalid label name %q", l.Name)
		}
		if i > 0 && sorted[i-1].Name == l.Name {
			return "", fmt.Errorf("label %q given twice", l.Name)
		}
		// 0xff never occurs in UTF-8, and values are made valid UTF-8 before they are written.
		b.WriteString(l.Name)
		b.WriteByte(0xff)
		b.WriteString(strings.ToValidUTF8(l.Value, "\uFFFD"))
		b.WriteByte(0xff)
	}
	return b.String(), nil
}

// validMetricName: [a-zA-Z_:][a-zA-Z0-9_:]*.
func validMetricName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isLetter(c) || c == '_' || c == ':' || (i > 0 && isDigit(c))) {
			return false
		}
	}
	return true
}

// validLabelName: [a-zA-Z_][a-zA-Z0-9_]*, and not reserved (__ prefix).
func validLabelName(s string) bool {
	if s == "" || strings.HasPrefix(s, "__") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isLetter(c) || c == '_' || (i > 0 && isDigit(c))) {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// appendSample appends `name{labels,extra} value\n`; extra is skipped when its name is empty.
func appendSample(b []byte, name string, labels []Label, extra Label, value float64) []byte {
	b = append(b, name...)
	if len(labels) > 0 || extra.Name != "" {
		b = append(b, '{')
		for i, l := range labels {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendLabel(b, l)
		}
		if extra.Name != "" {
			if len(labels) > 0 {
				b = append(b, ',')
			}
			b = appendLabel(b, extra)
		}
		b = append(b, '}')
	}
	b = append(b, ' ')
	b = append(b, formatFloat(value)...)
	return append(b, '\n')
}

func appendLabel(b []byte, l Label) []byte {
	b = append(b, l.Name...)
	b = append(b, `="`...)
	b = appendEscaped(b, l.Value, true)
	return append(b, '"')
}

// appendEscaped escapes a label value (backslash, double quote, line feed) or a HELP text (backslash, line feed),
// replacing invalid UTF-8 so that the exposition stays UTF-8.
func appendEscaped(b []byte, s string, quote bool) []byte {
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '\\':
			b = append(b, `\\`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return b
}

// formatFloat writes integers without exponent (counters read best that way) and other values in Go's shortest
// form, which Prometheus parses; infinities and NaN as the format spells them.
func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
