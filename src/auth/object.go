package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// object holds the top-level members of a JSON object read by readObject, under their exact names. A scalar member
// holds its token (string, json.Number, bool or nil); an object or array member holds its opening json.Delim, its
// contents checked but not kept, since no claim the server uses is structured.
type object map[string]json.Token

// hasCaseVariant reports whether o has a member named like one of names without regard to case, but not exactly.
func (o object) hasCaseVariant(names ...string) bool {
	for member := range o {
		for _, name := range names {
			if member != name && strings.EqualFold(member, name) {
				return true
			}
		}
	}
	return false
}

// frame is one open object or array while readObject walks the tokens.
type frame struct {
	// names holds the folded names seen so far in an object; it is nil in an array.
	names map[string]struct{}
	// awaitingValue is true in an object between a member's name and its value.
	awaitingValue bool
	name          string
}

// readObject reads data, which must be exactly one JSON object in valid UTF-8. It refuses any object, at any depth,
// with two member names equal without regard to case (ErrDuplicateName): encoding/json would let the last one win and
// match names without regard to case, and other JWT libraries differ, so a token whose reading depends on the reader
// is refused rather than read one way here and another way by the backend that issued it.
func readObject(data []byte) (object, error) {
	if !utf8.Valid(data) {
		return nil, ErrMalformed
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, ErrMalformed
	}
	top := object{}
	stack := []frame{{names: map[string]struct{}{}}}
	for len(stack) > 0 {
		tok, err := dec.Token()
		if err != nil {
			return nil, ErrMalformed
		}
		f := &stack[len(stack)-1]
		if f.names != nil && !f.awaitingValue {
			if tok == json.Delim('}') {
				stack = stack[:len(stack)-1]
				continue
			}
			if err := f.addName(tok); err != nil {
				return nil, err
			}
			continue
		}
		if tok == json.Delim(']') {
			stack = stack[:len(stack)-1]
			continue
		}
		if len(stack) == 1 {
			top[f.name] = tok
		}
		f.awaitingValue = false
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{names: map[string]struct{}{}})
		case json.Delim('['):
			stack = append(stack, frame{})
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, ErrMalformed
	}
	return top, nil
}

// addName records the member name tok of the object f, refusing one already there without regard to case.
func (f *frame) addName(tok json.Token) error {
	name, ok := tok.(string)
	if !ok {
		return ErrMalformed
	}
	folded := foldName(name)
	if _, dup := f.names[folded]; dup {
		return ErrDuplicateName
	}
	f.names[folded] = struct{}{}
	f.name = name
	f.awaitingValue = true
	return nil
}

// foldName maps two names to the same string exactly when strings.EqualFold says they are equal: each rune becomes the
// smallest rune of its Unicode simple case folding orbit (so "K", "k" and the Kelvin sign agree).
func foldName(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range name {
		b.WriteRune(smallestFold(r))
	}
	return b.String()
}

func smallestFold(r rune) rune {
	smallest := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		smallest = min(smallest, f)
	}
	return smallest
}
