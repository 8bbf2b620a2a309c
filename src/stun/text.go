package stun

import "unicode/utf8"

// maxTextDecode is the longest USERNAME, REALM, NONCE, SOFTWARE or reason phrase a receiver must accept
// (RFC 8489 14.3, 14.8-14.10, 14.14); maxTextEncode is the longest a sender may write.
const (
	maxTextDecode = 763
	maxTextEncode = 509
)

// Text returns the value of a UTF-8 text attribute (USERNAME, REALM, NONCE, SOFTWARE), checked for the length and
// encoding RFC 8489 14 gives them. The value aliases the datagram; string(v) copies it.
func (m *Message) Text(t AttrType) ([]byte, error) {
	v, err := m.Get(t)
	if err != nil {
		return nil, err
	}
	if err := checkText(v); err != nil {
		return nil, err
	}
	return v, nil
}

func checkText(v []byte) error {
	if len(v) > maxTextDecode {
		return errTextTooLong
	}
	if !utf8.Valid(v) {
		return errTextUTF8
	}
	return nil
}
