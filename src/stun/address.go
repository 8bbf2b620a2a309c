package stun

import (
	"encoding/binary"
	"net/netip"
)

// Address families of MAPPED-ADDRESS and XOR-MAPPED-ADDRESS (RFC 8489 14.1).
const (
	familyIPv4 = 0x01
	familyIPv6 = 0x02
)

// MappedAddress returns the MAPPED-ADDRESS, the plain form that RFC 3489 servers send.
func (m *Message) MappedAddress() (netip.AddrPort, error) {
	v, err := m.Get(AttrMappedAddress)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return decodeAddress(v, nil)
}

// XORMappedAddress returns the XOR-MAPPED-ADDRESS, IPv4 or IPv6 (RFC 8489 14.2).
func (m *Message) XORMappedAddress() (netip.AddrPort, error) {
	v, err := m.Get(AttrXORMappedAddress)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return decodeAddress(v, &m.id)
}

// decodeAddress reads an address value; with a transaction ID it undoes the XOR obfuscation.
// The first byte is reserved: receivers ignore it (RFC 8489 14.1).
func decodeAddress(v []byte, xorID *TransactionID) (netip.AddrPort, error) {
	if len(v) < 4 {
		return netip.AddrPort{}, errAddressLength
	}
	var ip [16]byte
	var size int
	switch v[1] {
	case familyIPv4:
		size = 4
	case familyIPv6:
		size = 16
	default:
		return netip.AddrPort{}, errAddressFamily
	}
	if len(v) != 4+size {
		return netip.AddrPort{}, errAddressLength
	}
	port := binary.BigEndian.Uint16(v[2:4])
	copy(ip[:], v[4:])
	if xorID != nil {
		port ^= uint16(MagicCookie >> 16)
		xorAddress(ip[:size], xorID)
	}
	if size == 4 {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip[:4])), port), nil
	}
	return netip.AddrPortFrom(netip.AddrFrom16(ip), port), nil
}

// xorAddress applies the XOR-MAPPED-ADDRESS mask in place: the magic cookie, then for IPv6 the transaction ID.
func xorAddress(ip []byte, id *TransactionID) {
	var mask [16]byte
	binary.BigEndian.PutUint32(mask[0:4], MagicCookie)
	copy(mask[4:], id[:])
	for i := range ip {
		ip[i] ^= mask[i]
	}
}

// appendAddress appends an address value. An IPv4-mapped IPv6 address (what a dual-stack socket reports for an
// IPv4 peer) is sent as IPv4, the family the peer actually used; the zone is dropped.
func appendAddress(b []byte, a netip.AddrPort, xorID *TransactionID) ([]byte, error) {
	ip := a.Addr().Unmap()
	if !ip.IsValid() {
		return b, invalid("address is not valid")
	}
	port := a.Port()
	family, size := byte(familyIPv6), 16
	if ip.Is4() {
		family, size = familyIPv4, 4
	}
	raw := ip.As16()
	addr := raw[16-size:]
	if xorID != nil {
		port ^= uint16(MagicCookie >> 16)
		xorAddress(addr, xorID)
	}
	b = append(b, 0, family)
	b = binary.BigEndian.AppendUint16(b, port)
	return append(b, addr...), nil
}
