package srtp

import (
	"encoding/binary"
	"unsafe"
)

const (
	rtpHeaderLen  = 12 // fixed RTP header (RFC 3550 section 5.1)
	rtcpHeaderLen = 8  // RTCP header with the sender SSRC, which SRTCP reads (RFC 3711 section 3.4)
	// maxPacketLen bounds what is handed to libsrtp, whose lengths are C ints: an IP datagram's payload.
	maxPacketLen = 65535
)

// rtpHeaderLength returns the length of pkt's RTP header (fixed part, CSRCs and header
// extension), checking that it is version 2 and fits in pkt, so that libsrtp never reads
// past the packet.
func rtpHeaderLength(pkt []byte) (int, error) {
	if len(pkt) < rtpHeaderLen || pkt[0]>>6 != 2 {
		return 0, ErrMalformedPacket
	}
	n := rtpHeaderLen + 4*int(pkt[0]&0x0f)
	if pkt[0]&0x10 != 0 {
		if len(pkt) < n+4 {
			return 0, ErrMalformedPacket
		}
		n += 4 + 4*int(binary.BigEndian.Uint16(pkt[n+2:]))
	}
	if n > len(pkt) {
		return 0, ErrMalformedPacket
	}
	return n, nil
}

// checkRTP checks that pkt holds an RTP header followed by at least trailer bytes.
func checkRTP(pkt []byte, trailer int) error {
	n, err := rtpHeaderLength(pkt)
	if err != nil {
		return err
	}
	if len(pkt)-n < trailer {
		return ErrMalformedPacket
	}
	return nil
}

// checkRTCP checks that pkt holds a version 2 RTCP header with its sender SSRC, followed by at
// least trailer bytes.
func checkRTCP(pkt []byte, trailer int) error {
	if len(pkt) < rtcpHeaderLen+trailer || pkt[0]>>6 != 2 {
		return ErrMalformedPacket
	}
	return nil
}

// checkBuffer checks what libsrtp assumes of the memory it is given: a packet of sane length
// starting on a 4-byte boundary, followed by spare bytes it may write.
func checkBuffer(pkt []byte, spare int) error {
	if len(pkt) == 0 || len(pkt) > maxPacketLen {
		return ErrMalformedPacket
	}
	if cap(pkt)-len(pkt) < spare {
		return ErrShortBuffer
	}
	if uintptr(unsafe.Pointer(unsafe.SliceData(pkt)))%4 != 0 {
		return ErrUnaligned
	}
	return nil
}
