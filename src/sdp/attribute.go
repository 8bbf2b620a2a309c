package sdp

import "strings"

// Attribute is an a= line this package does not interpret: a=Key:Value, or a=Key alone when Value is "" and
// Property is true.
type Attribute struct {
	Key      string
	Value    string
	Property bool
}

func (a Attribute) line() string {
	if a.Property {
		return a.Key
	}
	return a.Key + ":" + a.Value
}

// Param is one name=value item of a list such as fmtp parameters, rid restrictions or candidate extensions. An
// item without "=" (e.g. the "0-15" of telephone-event) has that text as Name and an empty Value; empty items and
// a lone "=" are skipped.
type Param struct {
	Name  string
	Value string
}

// parseParams splits "a=1;b=2" (any spaces around the items) into Params, in order.
func parseParams(s string, sep string) []Param {
	var params []Param
	for _, item := range strings.Split(s, sep) {
		name, value, _ := strings.Cut(item, "=")
		p := Param{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)}
		if p != (Param{}) { // an empty item or a lone "=" says nothing
			params = append(params, p)
		}
	}
	return params
}

func lookupParam(params []Param, name string) (string, bool) {
	for _, p := range params {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return "", false
}

// isToken reports whether s is a non-empty RFC 8866 token: visible ASCII except the separators " ( ) , / : ; < = >
// ? @ [ \ ] { }.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	switch {
	case c == '!', c >= '#' && c <= '\'', c == '*', c == '+', c == '-', c == '.', c >= '0' && c <= '9',
		c >= 'A' && c <= 'Z', c >= '^' && c <= '~':
		return true
	}
	return false
}

// isVisible reports whether s is non-empty and made of bytes above space (no control characters, no spaces).
func isVisible(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return false
		}
	}
	return true
}
