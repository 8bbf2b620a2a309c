package gst

import (
	"fmt"
	"strings"
)

// checkTypedValues refuses caps or pipeline text that would make GStreamer
// 1.22 deserialize a buffer from anything but hex digits, or deserialize a
// sample at all. On a non-hex digit gst_value_deserialize_buffer unrefs the
// half-built buffer and then unmaps it: a use-after-free that corrupts the
// heap (found by FuzzAppSrcSetCaps). The check is conservative: it may refuse
// text GStreamer would have parsed safely, never the other way round.
func checkTypedValues(text string) error {
	for i := 0; i < len(text); i++ {
		if text[i] != '(' {
			continue
		}
		typ, end, ok := typeCast(text, i)
		if !ok {
			continue
		}
		switch strings.ToLower(typ) {
		case "sample", "gstsample":
			return fmt.Errorf("gst: %s values are not accepted", typ)
		case "buffer", "gstbuffer":
			if !hexValue(text[end:]) {
				return fmt.Errorf("gst: %s value at offset %d is not even-length hex", typ, end)
			}
		}
	}
	return nil
}

// typeCast reads a "( name )" type cast starting at text[open], returning the
// name and the offset just after ")".
func typeCast(text string, open int) (name string, end int, ok bool) {
	k := skipSpaces(text, open+1)
	start := k
	for k < len(text) && isSimpleChar(text[k]) {
		k++
	}
	name = text[start:k]
	k = skipSpaces(text, k)
	if name == "" || k >= len(text) || text[k] != ')' {
		return "", 0, false
	}
	return name, k + 1, true
}

// hexValue reports whether the value at the start of text (a simple string, a
// quoted string, or a list of them in <>, {} or []) holds only even-length
// hex tokens.
func hexValue(text string) bool {
	k := skipSpaces(text, 0)
	if k == len(text) {
		return true
	}
	switch text[k] {
	case '<', '{', '[':
		return hexList(text[k:])
	case '"':
		closing := strings.IndexByte(text[k+1:], '"')
		return closing >= 0 && isHex(text[k+1:k+1+closing])
	case ',', ';':
		return true // no value: GStreamer refuses it without deserializing
	default:
		end := k
		for end < len(text) && isSimpleChar(text[end]) {
			end++
		}
		// An empty token here is something else (an escaped quote of a
		// nested structure, ...), which could reach the deserializer later.
		return end > k && isHex(text[k:end])
	}
}

// hexList checks every token of a bracketed list, up to its matching closer.
func hexList(text string) bool {
	depth := 0
	token := strings.Builder{}
	for k := 0; k < len(text); k++ {
		c := text[k]
		switch {
		case c == '<' || c == '{' || c == '[':
			depth++
		case c == '>' || c == '}' || c == ']':
			depth--
		case c == ',' || c == ' ' || c == '\t' || c == '\n':
		default:
			token.WriteByte(c)
			continue
		}
		if !isHex(token.String()) {
			return false
		}
		token.Reset()
		if depth == 0 {
			return true
		}
	}
	return false // unterminated list: GStreamer refuses it, and so do we
}

func isHex(s string) bool {
	if len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// isSimpleChar matches GStreamer's unquoted string characters.
func isSimpleChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("_-+/:.", c) >= 0
}

func skipSpaces(text string, k int) int {
	for k < len(text) && (text[k] == ' ' || text[k] == '\t' || text[k] == '\n' || text[k] == '\r') {
		k++
	}
	return k
}
