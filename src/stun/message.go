package stun

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
)

const (
	// HeaderSize is the size of the STUN header: type, length, magic cookie and transaction ID.
	HeaderSize = 20
	// TransactionIDSize is the size of a transaction ID (RFC 8489 5).
	TransactionIDSize = 12
	// MagicCookie is the fixed value of bytes 4..7 of every RFC 5389/8489 message.
	MagicCookie uint32 = 0x2112A442

	attrHeaderSize = 4
	// maxAttributes bounds the attributes a parsed message records: a real check carries fewer than ten, and the
	// bound keeps a reused Message small whatever a hostile datagram holds.
	maxAttributes = 64
)

// Method is the 12-bit STUN method.
type Method uint16

// MethodBinding is the only method ICE and this package use.
const MethodBinding Method = 0x001

// Class is the 2-bit STUN message class.
type Class uint8

// The four message classes (RFC 8489 5).
const (
	ClassRequest Class = iota
	ClassIndication
	ClassSuccessResponse
	ClassErrorResponse
)

// String returns the class name.
func (c Class) String() string {
	switch c {
	case ClassRequest:
		return "request"
	case ClassIndication:
		return "indication"
	case ClassSuccessResponse:
		return "success response"
	case ClassErrorResponse:
		return "error response"
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// MessageType is a method and a class, as packed in the first 16 bits of the header.
type MessageType struct {
	Method Method
	Class  Class
}

// The Binding message types.
var (
	BindingRequest    = MessageType{Method: MethodBinding, Class: ClassRequest}
	BindingIndication = MessageType{Method: MethodBinding, Class: ClassIndication}
	BindingSuccess    = MessageType{Method: MethodBinding, Class: ClassSuccessResponse}
	BindingError      = MessageType{Method: MethodBinding, Class: ClassErrorResponse}
)

// Value packs the type into its 14-bit wire form: the class bits C1 and C0 sit at bits 8 and 4, between the method
// bits M11..M7, M6..M4 and M3..M0 (RFC 8489 Figure 3).
func (t MessageType) Value() uint16 {
	m := uint16(t.Method) & 0x0fff
	c := uint16(t.Class) & 0x3
	return (m&0x000f | (m&0x0070)<<1 | (m&0x0f80)<<2) | (c&0x1)<<4 | (c&0x2)<<7
}

// messageTypeFrom unpacks the first 16 bits of a header (the two top bits are known to be zero).
func messageTypeFrom(v uint16) MessageType {
	m := v&0x000f | (v&0x00e0)>>1 | (v&0x3e00)>>2
	c := (v&0x0010)>>4 | (v&0x0100)>>7
	return MessageType{Method: Method(m), Class: Class(c)}
}

// String returns e.g. "binding request".
func (t MessageType) String() string {
	if t.Method == MethodBinding {
		return "binding " + t.Class.String()
	}
	return fmt.Sprintf("method(0x%03x) %s", uint16(t.Method), t.Class)
}

// TransactionID identifies a STUN transaction; a response carries the ID of its request.
type TransactionID [TransactionIDSize]byte

// NewTransactionID returns a random transaction ID from crypto/rand, as RFC 8489 6 requires.
func NewTransactionID() (TransactionID, error) {
	var id TransactionID
	if _, err := rand.Read(id[:]); err != nil {
		return TransactionID{}, fmt.Errorf("stun: transaction ID: %w", err)
	}
	return id, nil
}

// Attribute is one attribute of a parsed message. Value aliases the parsed datagram (padding excluded).
type Attribute struct {
	Type  AttrType
	Value []byte
}

// Message is a parsed STUN message. It is meant to be reused: Parse overwrites it and records attributes in the
// capacity it already has, so one Message per read loop parses every datagram without allocating.
// Its slices alias the parsed datagram, which must stay unchanged while the Message is in use; nothing here ever
// writes to it. A Message is not safe for concurrent use.
type Message struct {
	typ        MessageType
	id         TransactionID
	raw        []byte
	attributes []Attribute
	// Offsets in raw of the attribute headers that the integrity and fingerprint checks need, 0 when absent (an
	// attribute starts after the header), which makes the zero Message a safe empty one.
	integrity, integrity256, fingerprint int
}

// NewMessage returns an empty Message with room for the attributes of a typical ICE check.
func NewMessage() *Message {
	return &Message{attributes: make([]Attribute, 0, 16)}
}

func (m *Message) reset() {
	m.typ = MessageType{}
	m.id = TransactionID{}
	m.raw = nil
	m.attributes = m.attributes[:0]
	m.integrity, m.integrity256, m.fingerprint = 0, 0, 0
}

// Type returns the message method and class.
func (m *Message) Type() MessageType { return m.typ }

// TransactionID returns the transaction ID.
func (m *Message) TransactionID() TransactionID { return m.id }

// Raw returns the parsed datagram.
func (m *Message) Raw() []byte { return m.raw }

// Attributes returns the attributes in wire order, without those RFC 8489 9 says to ignore (anything after
// MESSAGE-INTEGRITY but MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, anything after MESSAGE-INTEGRITY-SHA256 but
// FINGERPRINT, anything after FINGERPRINT). The slice is the Message's own: do not modify it.
func (m *Message) Attributes() []Attribute { return m.attributes }

// IsMessage reports whether b looks like a STUN message: long enough for a header, the two top bits zero and the
// magic cookie in place (RFC 8489 7). It is the cheap first test of a demultiplexer; Parse does the full checks.
func IsMessage(b []byte) bool {
	return len(b) >= HeaderSize && b[0]&0xc0 == 0 && binary.BigEndian.Uint32(b[4:8]) == MagicCookie
}

// Parse decodes the datagram b, which must hold exactly one STUN message, into m. It checks the header and the
// bounds of every attribute, and the fixed sizes of MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT;
// other attribute values are checked by their getters. It verifies no integrity or fingerprint: see Integrity.Check
// and Message.CheckFingerprint. Errors match ErrMalformed (ErrInvalidArgument for a nil m). On error m is left
// empty.
func (m *Message) Parse(b []byte) error {
	if m == nil {
		return errNil
	}
	m.reset()
	if err := m.parse(b); err != nil {
		m.reset()
		return err
	}
	return nil
}

func (m *Message) parse(b []byte) error {
	if len(b) < HeaderSize {
		return errShortHeader
	}
	if !IsMessage(b) {
		return errNotSTUN
	}
	length := int(binary.BigEndian.Uint16(b[2:4]))
	if length%4 != 0 {
		return errLengthNotAligned
	}
	if HeaderSize+length != len(b) {
		return errLengthMismatch
	}
	m.typ = messageTypeFrom(binary.BigEndian.Uint16(b[0:2]))
	copy(m.id[:], b[8:HeaderSize])
	m.raw = b
	return m.parseAttributes()
}

// parseAttributes walks the TLVs of m.raw. Every attribute, ignored or not, must fit: its 4-byte header (which the
// 32-bit alignment of the length guarantees, as every attribute ends on a 32-bit boundary) and then its value and
// padding.
func (m *Message) parseAttributes() error {
	b := m.raw
	for off := HeaderSize; len(b)-off >= attrHeaderSize; {
		t := AttrType(binary.BigEndian.Uint16(b[off : off+2]))
		n := int(binary.BigEndian.Uint16(b[off+2 : off+4]))
		valueStart := off + attrHeaderSize
		if padded(n) > len(b)-valueStart {
			return errAttrValue
		}
		if err := m.record(off, t, b[valueStart:valueStart+n]); err != nil {
			return err
		}
		off = valueStart + padded(n)
	}
	return nil
}

// record keeps the attribute at off unless RFC 8489 9 says to ignore it.
func (m *Message) record(off int, t AttrType, v []byte) error {
	switch {
	case m.fingerprint > 0:
		return nil
	case t == AttrFingerprint:
		if len(v) != 4 {
			return errFingerprintLength
		}
		m.fingerprint = off
	case m.integrity256 > 0:
		return nil
	case t == AttrMessageIntegritySHA256:
		if len(v) < 16 || len(v) > 32 || len(v)%4 != 0 {
			return errIntegrity256Length
		}
		m.integrity256 = off
	case m.integrity > 0:
		return nil
	case t == AttrMessageIntegrity:
		if len(v) != 20 {
			return errIntegrityLength
		}
		m.integrity = off
	}
	if len(m.attributes) == maxAttributes {
		return errTooManyAttributes
	}
	m.attributes = append(m.attributes, Attribute{Type: t, Value: v})
	return nil
}

// padded rounds n up to the 32-bit boundary every attribute ends on.
func padded(n int) int {
	return (n + 3) &^ 3
}

// Get returns the value of the first attribute of type t (RFC 8489 14: only the first occurrence counts), or
// ErrAttributeNotFound.
func (m *Message) Get(t AttrType) ([]byte, error) {
	for _, a := range m.attributes {
		if a.Type == t {
			return a.Value, nil
		}
	}
	return nil, ErrAttributeNotFound
}

// Contains reports whether the message has an attribute of type t.
func (m *Message) Contains(t AttrType) bool {
	_, err := m.Get(t)
	return err == nil
}
