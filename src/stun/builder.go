package stun

import (
	"encoding/binary"
	"net/netip"
	"unicode/utf8"
)

// maxUsernameEncode: a USERNAME MUST be fewer than 509 bytes (RFC 8489 14.3).
const maxUsernameEncode = 508

// Builder appends one STUN message to a caller's buffer: NewBuilder writes the header, each Add method one attribute
// (keeping the header length right), and Bytes returns the buffer. When the buffer has the capacity (1500 bytes are
// plenty for ICE), building allocates nothing. The first error sticks: later calls do nothing and Bytes returns it,
// so a chain of Adds needs one error check.
//
// Order matters, as receivers ignore what follows the integrity attributes (RFC 8489 9): add the plain attributes
// first, then MESSAGE-INTEGRITY, then MESSAGE-INTEGRITY-SHA256, then FINGERPRINT last. Adding out of that order is
// an ErrInvalidArgument.
type Builder struct {
	buf   []byte
	start int
	id    TransactionID
	stage buildStage
	err   error
}

// buildStage is how far a message has gone in the attribute order RFC 8489 imposes.
type buildStage uint8

const (
	stagePlain buildStage = iota
	stageIntegrity
	stageIntegrity256
	stageFingerprint
)

// NewBuilder starts a message of type t and transaction id at the end of dst.
func NewBuilder(dst []byte, t MessageType, id TransactionID) *Builder {
	b := &Builder{start: len(dst), id: id}
	b.header(dst, t)
	return b
}

func (b *Builder) header(dst []byte, t MessageType) {
	b.buf = dst
	if t.Method > 0x0fff || t.Class > ClassErrorResponse {
		b.err = invalid("method above 0xfff or unknown class")
		return
	}
	b.buf = binary.BigEndian.AppendUint16(b.buf, t.Value())
	b.buf = append(b.buf, 0, 0)
	b.buf = binary.BigEndian.AppendUint32(b.buf, MagicCookie)
	b.buf = append(b.buf, b.id[:]...)
}

// Bytes returns dst with the message appended, or the first error met.
func (b *Builder) Bytes() ([]byte, error) {
	if b.err != nil {
		return nil, b.err
	}
	return b.buf, nil
}

// Add appends an attribute with a raw value. The integrity and fingerprint attributes have their own methods.
func (b *Builder) Add(t AttrType, v []byte) *Builder {
	if t == AttrMessageIntegrity || t == AttrMessageIntegritySHA256 || t == AttrFingerprint {
		return b.fail(invalid(t.String() + " is computed: use its own Add method"))
	}
	if value := b.attribute(t, len(v), stagePlain); value != nil {
		copy(value, v)
	}
	return b
}

// AddText appends a UTF-8 text attribute: USERNAME, REALM, NONCE or SOFTWARE (fewer than 509 bytes,
// RFC 8489 14.3-14.14).
func (b *Builder) AddText(t AttrType, s string) *Builder {
	if len(s) > maxTextEncode || t == AttrUsername && len(s) > maxUsernameEncode || !utf8.ValidString(s) {
		return b.fail(invalid(t.String() + " too long or not UTF-8"))
	}
	if value := b.attribute(t, len(s), stagePlain); value != nil {
		copy(value, s)
	}
	return b
}

// AddUsername appends USERNAME; for an ICE check it is "<receiver ufrag>:<sender ufrag>".
func (b *Builder) AddUsername(s string) *Builder {
	return b.AddText(AttrUsername, s)
}

// AddMappedAddress appends MAPPED-ADDRESS (for RFC 3489 clients only).
func (b *Builder) AddMappedAddress(a netip.AddrPort) *Builder {
	return b.address(AttrMappedAddress, a, nil)
}

// AddXORMappedAddress appends XOR-MAPPED-ADDRESS: the source address of the request, as the sender's peer sees it.
func (b *Builder) AddXORMappedAddress(a netip.AddrPort) *Builder {
	return b.address(AttrXORMappedAddress, a, &b.id)
}

func (b *Builder) address(t AttrType, a netip.AddrPort, xorID *TransactionID) *Builder {
	if b.err != nil {
		return b
	}
	var scratch [20]byte
	v, err := appendAddress(scratch[:0], a, xorID)
	if err != nil {
		return b.fail(err)
	}
	if value := b.attribute(t, len(v), stagePlain); value != nil {
		copy(value, v)
	}
	return b
}

// AddErrorCode appends ERROR-CODE; an empty reason stands for the code's recommended phrase.
func (b *Builder) AddErrorCode(code ErrorCode, reason string) *Builder {
	if reason == "" {
		reason = code.Reason()
	}
	if !code.valid() || len(reason) > maxTextEncode || !utf8.ValidString(reason) {
		return b.fail(invalid("error code outside 300..699, or reason too long or not UTF-8"))
	}
	value := b.attribute(AttrErrorCode, 4+len(reason), stagePlain)
	if value != nil {
		value[0], value[1] = 0, 0
		value[2], value[3] = byte(code/100), byte(code%100)
		copy(value[4:], reason)
	}
	return b
}

// AddUnknownAttributes appends UNKNOWN-ATTRIBUTES, for a 420 response.
func (b *Builder) AddUnknownAttributes(types []AttrType) *Builder {
	value := b.attribute(AttrUnknownAttributes, 2*len(types), stagePlain)
	for i := 0; value != nil && i < len(types); i++ {
		binary.BigEndian.PutUint16(value[2*i:], uint16(types[i]))
	}
	return b
}

// AddPriority appends PRIORITY (RFC 8445 7.1.1).
func (b *Builder) AddPriority(p uint32) *Builder {
	if value := b.attribute(AttrPriority, 4, stagePlain); value != nil {
		binary.BigEndian.PutUint32(value, p)
	}
	return b
}

// AddUseCandidate appends USE-CANDIDATE (RFC 8445 7.1.2).
func (b *Builder) AddUseCandidate() *Builder {
	b.attribute(AttrUseCandidate, 0, stagePlain)
	return b
}

// AddICEControlling appends ICE-CONTROLLING with the sender's tie-breaker (RFC 8445 7.1.3).
func (b *Builder) AddICEControlling(tieBreaker uint64) *Builder {
	return b.uint64(AttrICEControlling, tieBreaker)
}

// AddICEControlled appends ICE-CONTROLLED with the sender's tie-breaker (RFC 8445 7.1.3).
func (b *Builder) AddICEControlled(tieBreaker uint64) *Builder {
	return b.uint64(AttrICEControlled, tieBreaker)
}

func (b *Builder) uint64(t AttrType, v uint64) *Builder {
	if value := b.attribute(t, 8, stagePlain); value != nil {
		binary.BigEndian.PutUint64(value, v)
	}
	return b
}

// AddMessageIntegrity appends MESSAGE-INTEGRITY, the HMAC-SHA1 with i's key of everything before it (RFC 8489 14.5).
func (b *Builder) AddMessageIntegrity(i *Integrity) *Builder {
	if !i.usable() {
		return b.fail(invalid("nil Integrity"))
	}
	return b.integrity(AttrMessageIntegrity, 20, stageIntegrity, i)
}

// AddMessageIntegritySHA256 appends MESSAGE-INTEGRITY-SHA256, the full 32-byte HMAC-SHA256 (RFC 8489 14.6).
func (b *Builder) AddMessageIntegritySHA256(i *Integrity) *Builder {
	if !i.usable() {
		return b.fail(invalid("nil Integrity"))
	}
	return b.integrity(AttrMessageIntegritySHA256, 32, stageIntegrity256, i)
}

func (b *Builder) integrity(t AttrType, size int, stage buildStage, i *Integrity) *Builder {
	attrStart := len(b.buf)
	value := b.attribute(t, size, stage)
	if value == nil {
		return b
	}
	h := i.sha1
	if t == AttrMessageIntegritySHA256 {
		h = i.sha256
	}
	i.mu.Lock()
	copy(value, i.mac(h, b.buf[b.start:attrStart], len(b.buf)-b.start))
	i.mu.Unlock()
	return b
}

// AddFingerprint appends FINGERPRINT, which must come last (RFC 8489 14.7). ICE requires it on every check and
// response (RFC 8445 7).
func (b *Builder) AddFingerprint() *Builder {
	attrStart := len(b.buf)
	if value := b.attribute(AttrFingerprint, 4, stageFingerprint); value != nil {
		binary.BigEndian.PutUint32(value, fingerprint(b.buf[b.start:attrStart], len(b.buf)-b.start))
	}
	return b
}

// attribute appends the header of an attribute of n value bytes, then zeroed value and padding, and updates the
// message length. It returns the value to fill in, or nil after an error. stage is where the attribute stands in
// the order of RFC 8489 9: a plain attribute after an integrity one, or anything after FINGERPRINT, is refused.
func (b *Builder) attribute(t AttrType, n int, stage buildStage) []byte {
	if b.err != nil {
		return nil
	}
	if len(b.buf)-b.start < HeaderSize {
		b.err = invalid("Builder not made by NewBuilder")
		return nil
	}
	if stage <= b.stage && b.stage != stagePlain {
		b.err = invalid(t.String() + " after an integrity or fingerprint attribute")
		return nil
	}
	length := len(b.buf) - b.start - HeaderSize + attrHeaderSize + padded(n)
	if n > 0xffff || length > 0xffff {
		b.err = invalid(t.String() + " makes the message longer than 65535 bytes")
		return nil
	}
	b.stage = stage
	b.buf = binary.BigEndian.AppendUint16(b.buf, uint16(t))
	b.buf = binary.BigEndian.AppendUint16(b.buf, uint16(n))
	valueStart := len(b.buf)
	b.buf = append(b.buf, make([]byte, padded(n))...)
	binary.BigEndian.PutUint16(b.buf[b.start+2:b.start+4], uint16(length))
	return b.buf[valueStart : valueStart+n]
}

func (b *Builder) fail(err error) *Builder {
	if b.err == nil {
		b.err = err
	}
	return b
}
