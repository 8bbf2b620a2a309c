package stun

import (
	"encoding/binary"
	"hash/crc32"
)

// fingerprintXOR is XORed into the CRC-32 so that a CRC an application protocol carries cannot pass for a STUN
// FINGERPRINT (RFC 8489 14.7).
const fingerprintXOR uint32 = 0x5354554e

// CheckFingerprint verifies the FINGERPRINT attribute: CRC-32 of the message before it, with the header length
// ending after it, XOR 0x5354554e (RFC 8489 14.7). The datagram is never modified.
// Errors: ErrFingerprintMissing or ErrFingerprint.
func (m *Message) CheckFingerprint() error {
	if m.fingerprint == 0 {
		return ErrFingerprintMissing
	}
	off := m.fingerprint
	got := binary.BigEndian.Uint32(m.raw[off+attrHeaderSize : off+attrHeaderSize+4])
	if fingerprint(m.raw[:off], off+attrHeaderSize+4) != got {
		return ErrFingerprint
	}
	return nil
}

// fingerprint computes the FINGERPRINT value of msg (the message before the attribute) as if the header length
// said end, the offset where the FINGERPRINT attribute ends. Only when ignored attributes follow FINGERPRINT does the
// length differ, and only then does the CRC need a copy of the length.
func fingerprint(msg []byte, end int) uint32 {
	length := uint16(end - HeaderSize)
	if binary.BigEndian.Uint16(msg[2:4]) == length {
		return crc32.ChecksumIEEE(msg) ^ fingerprintXOR
	}
	adjusted := binary.BigEndian.AppendUint16(make([]byte, 0, 2), length)
	crc := crc32.ChecksumIEEE(msg[0:2])
	crc = crc32.Update(crc, crc32.IEEETable, adjusted)
	crc = crc32.Update(crc, crc32.IEEETable, msg[4:])
	return crc ^ fingerprintXOR
}
