package rtcp

import (
	"encoding/binary"
	"fmt"
)

const nackPairSize = 4

// NACK is a generic NACK (RFC 4585 6.2.1): the receiver lists the RTP packets of MediaSSRC it has not received.
type NACK struct {
	SenderSSRC uint32
	MediaSSRC  uint32
	Pairs      []NACKPair
}

// NACKPair reports PacketID lost, and each of the 16 following packets whose bit is set in LostBitmask (the BLP:
// bit i for PacketID+i+1).
type NACKPair struct {
	PacketID    uint16
	LostBitmask uint16
}

// AppendSequences appends the sequence numbers the pair reports lost, in order, to dst.
func (p NACKPair) AppendSequences(dst []uint16) []uint16 {
	dst = append(dst, p.PacketID)
	for i := range uint16(16) {
		if p.LostBitmask&(1<<i) != 0 {
			dst = append(dst, p.PacketID+i+1)
		}
	}
	return dst
}

// NACKPairsFromSequences appends to dst the pairs that report every sequence number in lost. Sorted input (in RTP
// order, wrap-around included) gives the fewest pairs; unsorted input is still fully reported, with more pairs.
func NACKPairsFromSequences(dst []NACKPair, lost []uint16) []NACKPair {
	first := len(dst)
	for _, seq := range lost {
		if len(dst) > first {
			last := &dst[len(dst)-1]
			if d := seq - last.PacketID; d == 0 {
				continue
			} else if d <= 16 {
				last.LostBitmask |= 1 << (d - 1)
				continue
			}
		}
		dst = append(dst, NACKPair{PacketID: seq})
	}
	return dst
}

// AppendLost appends every sequence number the NACK reports lost to dst.
func (n *NACK) AppendLost(dst []uint16) []uint16 {
	for _, p := range n.Pairs {
		dst = p.AppendSequences(dst)
	}
	return dst
}

// Unmarshal decodes one generic NACK packet, reusing n.Pairs.
func (n *NACK) Unmarshal(packet []byte) error {
	sender, media, fci, err := feedbackBody(packet, TypeTransportFeedback, FormatNACK)
	if err != nil {
		return err
	}
	if len(fci) == 0 || len(fci)%nackPairSize != 0 {
		return fmt.Errorf("%w: NACK with %d bytes of FCI, pairs are %d bytes", ErrLength, len(fci), nackPairSize)
	}
	n.SenderSSRC, n.MediaSSRC = sender, media
	n.Pairs = n.Pairs[:0]
	for off := 0; off < len(fci); off += nackPairSize {
		n.Pairs = append(n.Pairs, NACKPair{
			PacketID:    binary.BigEndian.Uint16(fci[off:]),
			LostBitmask: binary.BigEndian.Uint16(fci[off+2:]),
		})
	}
	return nil
}

// MarshalSize is the size of the encoded packet.
func (n *NACK) MarshalSize() int { return feedbackHeaderSize + nackPairSize*len(n.Pairs) }

// AppendTo appends the encoded packet to b.
func (n *NACK) AppendTo(b []byte) ([]byte, error) {
	if err := checkSender(n.SenderSSRC); err != nil {
		return b, err
	}
	if len(n.Pairs) == 0 {
		return b, fmt.Errorf("%w: NACK without pairs", ErrInvalid)
	}
	if n.MarshalSize() > maxWords*4 {
		return b, fmt.Errorf("%w: %d NACK pairs", ErrTooLarge, len(n.Pairs))
	}
	b = appendFeedbackHeader(b, FormatNACK, TypeTransportFeedback, n.MarshalSize(), n.SenderSSRC, n.MediaSSRC)
	for _, p := range n.Pairs {
		b = binary.BigEndian.AppendUint16(b, p.PacketID)
		b = binary.BigEndian.AppendUint16(b, p.LostBitmask)
	}
	return b, nil
}

// Marshal returns the encoded packet in a new buffer.
func (n *NACK) Marshal() ([]byte, error) { return n.AppendTo(make([]byte, 0, n.MarshalSize())) }
