package srtp

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"testing"
)

var testProfiles = []Profile{ProfileAEADAES128GCM, ProfileAES128CMHMACSHA1_80}

// masterKey returns a random key and salt for p.
func masterKey(t testing.TB, p Profile) (key, salt []byte) {
	t.Helper()
	key, salt = make([]byte, p.KeyLen()), make([]byte, p.SaltLen())
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	if _, err := rand.Read(salt); err != nil {
		t.Fatal(err)
	}
	return key, salt
}

// pair returns an Outbound and an Inbound that share one master key, closed at the end of the test.
func pair(t testing.TB, p Profile) (*Outbound, *Inbound) {
	t.Helper()
	key, salt := masterKey(t, p)
	out, err := NewOutbound(p, key, salt)
	if err != nil {
		t.Fatalf("NewOutbound(%v): %v", p, err)
	}
	in, err := NewInbound(p, key, salt)
	if err != nil {
		t.Fatalf("NewInbound(%v): %v", p, err)
	}
	t.Cleanup(func() {
		if err := out.Close(); err != nil {
			t.Errorf("Outbound.Close: %v", err)
		}
		if err := in.Close(); err != nil {
			t.Errorf("Inbound.Close: %v", err)
		}
	})
	return out, in
}

// rtpPacket describes an RTP packet to build.
type rtpPacket struct {
	ssrc      uint32
	seq       uint16
	csrcs     int
	extWords  int // header extension length in 32-bit words, -1 for none
	payload   int
	payloadAt byte
}

// build returns the packet in a fresh buffer with room for any trailer.
func (p rtpPacket) build() []byte {
	pkt := make([]byte, 0, rtpHeaderLen+4*p.csrcs+4+4*max(p.extWords, 0)+p.payload+MaxRTCPOverhead)
	first := byte(0x80 | p.csrcs)
	if p.extWords >= 0 {
		first |= 0x10
	}
	pkt = append(pkt, first, 96)
	pkt = binary.BigEndian.AppendUint16(pkt, p.seq)
	pkt = binary.BigEndian.AppendUint32(pkt, 90000+uint32(p.seq)*3000)
	pkt = binary.BigEndian.AppendUint32(pkt, p.ssrc)
	for i := range p.csrcs {
		pkt = binary.BigEndian.AppendUint32(pkt, uint32(1000+i))
	}
	if p.extWords >= 0 {
		pkt = append(pkt, 0xbe, 0xde)
		pkt = binary.BigEndian.AppendUint16(pkt, uint16(p.extWords))
		pkt = append(pkt, bytes.Repeat([]byte{0x10, 0x42, 0, 0}, p.extWords)...)
	}
	for i := range p.payload {
		pkt = append(pkt, p.payloadAt+byte(i))
	}
	return pkt
}

// rtcpPacket returns a receiver report from ssrc with one report block, room for the trailer.
func rtcpPacket(ssrc uint32) []byte {
	pkt := make([]byte, 0, 32+MaxRTCPOverhead)
	pkt = append(pkt, 0x81, 201, 0, 7)
	pkt = binary.BigEndian.AppendUint32(pkt, ssrc)
	pkt = binary.BigEndian.AppendUint32(pkt, 0x11223344)
	return append(pkt, bytes.Repeat([]byte{0xab}, 20)...)
}

// clone copies pkt into a fresh buffer with room for any trailer.
func clone(pkt []byte) []byte {
	return append(make([]byte, 0, len(pkt)+MaxRTCPOverhead), pkt...)
}
