package auth

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// object holds the top-level members of a JSON object that readObject was asked for, under their exact names. A
// scalar member holds its token (string, json.Number, bool or nil); an object or array member holds its opening
// json.Delim, its contents checked but not kept, since no claim the server uses is structured.
type object map[string]json.Token

// frame is one open object or array while readObject walks the tokens.
type frame struct {
	isObject bool
	// members counts an object's members so far. first is the folded name of the first, and names holds the folded
	// names of the others, made at the second member: most objects of a token are small, and a hostile one may nest
	// hundreds of one-member objects.
	members int
	first   string
	names   map[string]struct{}
	// awaitingValue is true in an object between a member's name and its value.
	awaitingValue bool
	// wanted is the index in readObject's names of the top-level member whose value comes next, or -1.
	wanted int
}

// readObject reads data, which must be exactly one JSON object in valid UTF-8, and returns its top-level members
// called names. It refuses any object, at any depth, with two member names equal without regard to case
// (ErrDuplicateName), and a top-level member named like one of names in another letter case (ErrNameCase):
// encoding/json matches names without regard to case and lets the last duplicate win, other JWT libraries differ,
// so a token whose reading depends on the reader is refused rather than read one way here and another way by the
// backend that issued it.
//
// json.Valid checks the syntax first, so the walk only has to find where each token ends; json.Decoder.Token would do
// both, but at several times the cost on a hostile header, which is read before its signature can be checked.
func readObject(data []byte, names ...string) (object, error) {
	if !utf8.Valid(data) || !json.Valid(data) {
		return nil, ErrMalformed
	}
	toks := tokens{data: data}
	if tok, ok := toks.next(); !ok || tok[0] != '{' {
		return nil, ErrMalformed
	}
	folded := make([]string, len(names))
	for i, name := range names {
		folded[i] = foldName([]byte(name))
	}
	top := object{}
	stack := []frame{{isObject: true}}
	for len(stack) > 0 {
		tok, ok := toks.next()
		if !ok {
			return nil, ErrMalformed
		}
		f := &stack[len(stack)-1]
		if f.isObject && !f.awaitingValue {
			if tok[0] == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			name, err := f.addName(tok)
			if err != nil {
				return nil, err
			}
			if len(stack) == 1 {
				if f.wanted, err = wantedIndex(name, names, folded); err != nil {
					return nil, err
				}
			}
			continue
		}
		if tok[0] == ']' {
			stack = stack[:len(stack)-1]
			continue
		}
		if len(stack) == 1 && f.wanted >= 0 {
			v, err := scalar(tok)
			if err != nil {
				return nil, err
			}
			top[names[f.wanted]] = v
		}
		f.awaitingValue = false
		switch tok[0] {
		case '{':
			stack = append(stack, frame{isObject: true})
		case '[':
			stack = append(stack, frame{})
		}
	}
	return top, nil
}

// addName records the member name tok (a string token, quotes included) of the object f, refusing one already there
// without regard to case, and returns the name with its folded form.
func (f *frame) addName(tok []byte) (foldedName, error) {
	name, err := stringText(tok)
	if err != nil {
		return foldedName{}, err
	}
	n := foldedName{text: name, folded: foldName(name)}
	switch {
	case f.members == 0:
		f.first = n.folded
	case n.folded == f.first:
		return foldedName{}, ErrDuplicateName
	default:
		if f.names == nil {
			f.names = map[string]struct{}{}
		}
		if _, dup := f.names[n.folded]; dup {
			return foldedName{}, ErrDuplicateName
		}
		f.names[n.folded] = struct{}{}
	}
	f.members++
	f.awaitingValue = true
	return n, nil
}

type foldedName struct {
	text   []byte
	folded string
}

// wantedIndex returns the index of n in names (whose folded forms are folded), or -1 if n is none of them; a name
// equal to one of them only without regard to case is refused.
func wantedIndex(n foldedName, names, folded []string) (int, error) {
	for i := range names {
		if n.folded != folded[i] {
			continue
		}
		if string(n.text) != names[i] {
			return -1, ErrNameCase
		}
		return i, nil
	}
	return -1, nil
}

// tokens walks JSON text that json.Valid accepted, so it only has to find where each token ends.
type tokens struct {
	data []byte
	pos  int
}

// next returns the next token: a delimiter ({ } [ ]), a string with its quotes, or a number or literal. It skips the
// separators (, and :), which valid text puts where the delimiters and the alternation of names and values say. ok is
// false at the end of the text.
func (t *tokens) next() (tok []byte, ok bool) {
	for t.pos < len(t.data) {
		switch t.data[t.pos] {
		case ' ', '\t', '\r', '\n', ',', ':':
			t.pos++
		case '{', '}', '[', ']':
			return t.take(t.pos + 1)
		case '"':
			return t.take(t.stringEnd())
		default:
			return t.take(t.literalEnd())
		}
	}
	return nil, false
}

func (t *tokens) take(end int) ([]byte, bool) {
	if end <= t.pos || end > len(t.data) {
		return nil, false
	}
	tok := t.data[t.pos:end]
	t.pos = end
	return tok, true
}

// stringEnd returns the index just past the closing quote of the string at t.pos.
func (t *tokens) stringEnd() int {
	for i := t.pos + 1; i < len(t.data); i++ {
		switch t.data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(t.data) + 1
}

// literalEnd returns the index just past the number, true, false or null at t.pos.
func (t *tokens) literalEnd() int {
	i := t.pos
	for i < len(t.data) && !endsLiteral(t.data[i]) {
		i++
	}
	return i
}

func endsLiteral(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ',', ']', '}':
		return true
	}
	return false
}

// scalar is the value of a top-level member from its first token: the token of a scalar, or the opening json.Delim
// of an object or array.
func scalar(tok []byte) (json.Token, error) {
	switch tok[0] {
	case '{', '[':
		return json.Delim(tok[0]), nil
	case '"':
		text, err := stringText(tok)
		return string(text), err
	case 't':
		return true, nil
	case 'f':
		return false, nil
	case 'n':
		return nil, nil
	default:
		return json.Number(tok), nil
	}
}

// stringText is the text of a string token (quotes included): the bytes between the quotes when it holds no escape,
// else what encoding/json unescapes.
func stringText(tok []byte) ([]byte, error) {
	if len(tok) < 2 || tok[0] != '"' {
		return nil, ErrMalformed
	}
	if bytes.IndexByte(tok, '\\') < 0 {
		return tok[1 : len(tok)-1], nil
	}
	var s string
	if err := json.Unmarshal(tok, &s); err != nil {
		return nil, ErrMalformed
	}
	return []byte(s), nil
}

// foldName maps two names to the same string exactly when strings.EqualFold says they are equal: each rune becomes the
// smallest rune of its Unicode simple case folding orbit (so "K", "k" and the Kelvin sign agree).
func foldName(name []byte) string {
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range string(name) {
		b.WriteRune(smallestFold(r))
	}
	return b.String()
}

func smallestFold(r rune) rune {
	if r < utf8.RuneSelf {
		// In ASCII the upper-case letter is the smallest of its orbit (even of k's, which holds the Kelvin sign).
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}
	smallest := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		smallest = min(smallest, f)
	}
	return smallest
}
