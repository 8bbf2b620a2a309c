package stun

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"sync"
)

// Integrity holds one HMAC key and computes and checks MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 14.5) and
// MESSAGE-INTEGRITY-SHA256 (RFC 8489 14.6) with it. It keeps its keyed hashes between calls, so checking or signing
// a message costs no allocation: build one per ICE password (per session) and keep it. It is safe for concurrent use.
type Integrity struct {
	mu     sync.Mutex
	sha1   hash.Hash
	sha256 hash.Hash
	header [HeaderSize]byte
	sum    [sha256.Size]byte
}

// NewShortTermIntegrity returns the Integrity of a short-term credential (RFC 8489 9.1.1): the key is the password,
// here the ICE password of the a=ice-pwd line. ICE passwords are ASCII ice-chars, so the OpaqueString profile leaves
// them unchanged and none is applied.
func NewShortTermIntegrity(password string) (*Integrity, error) {
	if password == "" {
		return nil, invalid("empty password")
	}
	return newIntegrity([]byte(password)), nil
}

// NewLongTermIntegrity returns the Integrity of a long-term credential (RFC 8489 9.2.2):
// key = MD5(username ":" realm ":" password). The arguments must already have been through the OpaqueString
// profile (SASLprep for RFC 5389 peers); this package does no Unicode normalisation.
func NewLongTermIntegrity(username, realm, password string) (*Integrity, error) {
	if username == "" || password == "" {
		return nil, invalid("empty username or password")
	}
	key := md5.Sum([]byte(username + ":" + realm + ":" + password))
	return newIntegrity(key[:]), nil
}

func newIntegrity(key []byte) *Integrity {
	return &Integrity{
		sha1:   hmac.New(sha1.New, key),
		sha256: hmac.New(sha256.New, key),
	}
}

// Check verifies the message integrity of a parsed message the way RFC 8489 9.1.3 orders it: with
// MESSAGE-INTEGRITY-SHA256 when present, else with MESSAGE-INTEGRITY. The HMAC covers the message up to the
// attribute, with the header length adjusted to end after it (the attributes that follow, such as FINGERPRINT, are
// left out); the datagram itself is never modified. Errors: ErrIntegrityMissing (400) or ErrIntegrity (401), and
// ErrInvalidArgument for a nil receiver or message.
func (i *Integrity) Check(m *Message) error {
	if !i.usable() || m == nil {
		return errNil
	}
	switch {
	case m.integrity256 > 0:
		return i.check(i.sha256, m, m.integrity256)
	case m.integrity > 0:
		return i.check(i.sha1, m, m.integrity)
	}
	return ErrIntegrityMissing
}

// usable reports whether i was made by a constructor.
func (i *Integrity) usable() bool {
	return i != nil && i.sha1 != nil && i.sha256 != nil
}

func (i *Integrity) check(h hash.Hash, m *Message, off int) error {
	size := int(binary.BigEndian.Uint16(m.raw[off+2 : off+4]))
	want := m.raw[off+attrHeaderSize : off+attrHeaderSize+size]
	i.mu.Lock()
	defer i.mu.Unlock()
	ok := hmac.Equal(i.mac(h, m.raw[:off], off+attrHeaderSize+size)[:size], want)
	if !ok {
		return ErrIntegrity
	}
	return nil
}

// mac returns the HMAC of msg (header and the attributes before the integrity attribute) as if the header length
// said end, the offset where the integrity attribute ends. The result lives in i.sum: the caller holds i.mu.
func (i *Integrity) mac(h hash.Hash, msg []byte, end int) []byte {
	copy(i.header[:], msg[:HeaderSize])
	binary.BigEndian.PutUint16(i.header[2:4], uint16(end-HeaderSize))
	h.Reset()
	h.Write(i.header[:])
	h.Write(msg[HeaderSize:])
	return h.Sum(i.sum[:0])
}
