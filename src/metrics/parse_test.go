package metrics

import (
	"fmt"
	"strconv"
	"strings"
)

// parsed is an exposition read back by parseExposition: families with their type and help, and samples.
type parsed struct {
	types   map[string]string
	helps   map[string]string
	samples []parsedSample
}

type parsedSample struct {
	name   string
	labels map[string]string
	value  float64
}

// parseExposition is a strict reader of the text format, for tests: it checks what a scraper relies on (every
// sample belongs to the family announced just before it, label values unescape, numbers parse) and returns what it
// read.
func parseExposition(text string) (parsed, error) {
	p := parsed{types: map[string]string{}, helps: map[string]string{}}
	current := ""
	if text != "" && !strings.HasSuffix(text, "\n") {
		return p, fmt.Errorf("exposition does not end with a line feed")
	}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if text == "" {
			break
		}
		switch {
		case strings.HasPrefix(line, "# HELP "):
			name, help, ok := strings.Cut(line[len("# HELP "):], " ")
			if !ok || p.helps[name] != "" {
				return p, fmt.Errorf("line %d: bad or repeated HELP: %q", i+1, line)
			}
			p.helps[name] = unescapeHelp(help)
			current = name
		case strings.HasPrefix(line, "# TYPE "):
			name, kind, ok := strings.Cut(line[len("# TYPE "):], " ")
			if !ok || name != current || p.types[name] != "" {
				return p, fmt.Errorf("line %d: TYPE not after its HELP: %q", i+1, line)
			}
			p.types[name] = kind
		default:
			s, err := parseSample(line)
			if err != nil {
				return p, fmt.Errorf("line %d: %w", i+1, err)
			}
			if familyOf(s.name, p.types[current]) != current {
				return p, fmt.Errorf("line %d: sample %s outside its family (current %s)", i+1, s.name, current)
			}
			p.samples = append(p.samples, s)
		}
	}
	return p, nil
}

func familyOf(name, kind string) string {
	if kind == typeHistogram {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if strings.HasSuffix(name, suffix) {
				return strings.TrimSuffix(name, suffix)
			}
		}
	}
	return name
}

func parseSample(line string) (parsedSample, error) {
	s := parsedSample{labels: map[string]string{}}
	end := strings.IndexAny(line, "{ ")
	if end <= 0 {
		return s, fmt.Errorf("no metric name in %q", line)
	}
	s.name, line = line[:end], line[end:]
	if !validMetricName(s.name) {
		return s, fmt.Errorf("bad metric name %q", s.name)
	}
	if strings.HasPrefix(line, "{") {
		line = line[1:]
		for !strings.HasPrefix(line, "}") {
			name, rest, ok := strings.Cut(line, `="`)
			if !ok || !validLabelName(name) {
				return s, fmt.Errorf("bad label in %q", line)
			}
			value, rest, err := unescapeLabelValue(rest)
			if err != nil {
				return s, err
			}
			if _, dup := s.labels[name]; dup {
				return s, fmt.Errorf("label %s twice", name)
			}
			s.labels[name] = value
			line = strings.TrimPrefix(rest, ",")
			if line == rest && !strings.HasPrefix(line, "}") {
				return s, fmt.Errorf("labels not separated in %q", rest)
			}
		}
		line = line[1:]
	}
	if !strings.HasPrefix(line, " ") {
		return s, fmt.Errorf("no value after %s", s.name)
	}
	v, err := strconv.ParseFloat(line[1:], 64)
	if err != nil {
		return s, fmt.Errorf("bad value %q", line[1:])
	}
	s.value = v
	return s, nil
}

// unescapeLabelValue reads up to the closing quote and returns the value and what follows the quote.
func unescapeLabelValue(s string) (string, string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], nil
		case '\n':
			return "", "", fmt.Errorf("raw line feed in a label value")
		case '\\':
			if i+1 == len(s) {
				return "", "", fmt.Errorf("dangling backslash")
			}
			i++
			switch s[i] {
			case '\\':
				b.WriteByte('\\')
			case '"':
				b.WriteByte('"')
			case 'n':
				b.WriteByte('\n')
			default:
				return "", "", fmt.Errorf("bad escape \\%c", s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("unterminated label value")
}

func unescapeHelp(s string) string {
	return strings.NewReplacer(`\\`, `\`, `\n`, "\n").Replace(s)
}

// value returns the sample of name with exactly labels, or false.
func (p parsed) value(name string, labels map[string]string) (float64, bool) {
	for _, s := range p.samples {
		if s.name != name || len(s.labels) != len(labels) {
			continue
		}
		match := true
		for k, v := range labels {
			if s.labels[k] != v {
				match = false
			}
		}
		if match {
			return s.value, true
		}
	}
	return 0, false
}
