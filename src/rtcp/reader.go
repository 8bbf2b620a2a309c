package rtcp

import (
	"encoding/binary"
	"fmt"
)

// Mode says which datagrams a Reader accepts.
type Mode uint8

const (
	// Compound accepts RFC 3550 compound packets only: the first packet is an SR or an RR.
	Compound Mode = iota
	// ReducedSize also accepts RFC 5506 reduced-size packets, which may start with any packet (typically a single
	// feedback message). Use it when rtcp-rsize was negotiated.
	ReducedSize
)

// Kind names the message a packet holds, from its type, its format and, for REMB, its FCI identifier.
type Kind uint8

// Kinds of packet this package decodes. KindUnknown covers every other packet (APP, XR, TMMBR, other AFB, ...):
// a receiver skips it.
const (
	KindUnknown Kind = iota
	KindSenderReport
	KindReceiverReport
	KindSourceDescription
	KindGoodbye
	KindNACK
	KindTransportCC
	KindPLI
	KindFIR
	KindREMB
)

var kindNames = [...]string{"unknown", "SR", "RR", "SDES", "BYE", "NACK", "TWCC", "PLI", "FIR", "REMB"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// KindOf classifies one packet from its first bytes. It does not validate the packet.
func KindOf(packet []byte) Kind {
	var h Header
	if h.Unmarshal(packet) != nil {
		return KindUnknown
	}
	switch h.Type {
	case TypeSenderReport:
		return KindSenderReport
	case TypeReceiverReport:
		return KindReceiverReport
	case TypeSourceDescription:
		return KindSourceDescription
	case TypeGoodbye:
		return KindGoodbye
	case TypeTransportFeedback:
		switch h.Count {
		case FormatNACK:
			return KindNACK
		case FormatTransportCC:
			return KindTransportCC
		}
	case TypePayloadFeedback:
		switch h.Count {
		case FormatPLI:
			return KindPLI
		case FormatFIR:
			return KindFIR
		case FormatAFB:
			if len(packet) >= rembFixedSize && binary.BigEndian.Uint32(packet[12:16]) == rembIdentifier {
				return KindREMB
			}
		}
	}
	return KindUnknown
}

// Validate checks a whole datagram as RFC 3550 appendix A.2 does: every packet has version 2 and the lengths add up
// to the datagram's size exactly; in Compound mode the first packet is also an unpadded SR or RR. A datagram that
// fails must be discarded whole.
//
// Like A.2, it does not refuse padding on a packet other than the last, which RFC 3550 forbids senders: libwebrtc
// sets the padding bit on its transport-wide CC feedback wherever that packet stands. Each packet's padding lies
// within its announced length, so the walk is unaffected.
func Validate(datagram []byte, mode Mode) error {
	if len(datagram) == 0 {
		return fmt.Errorf("%w: empty datagram", ErrTruncated)
	}
	for off := 0; off < len(datagram); {
		var h Header
		if err := h.Unmarshal(datagram[off:]); err != nil {
			return fmt.Errorf("packet at offset %d: %w", off, err)
		}
		if off == 0 && mode == Compound {
			if h.Type != TypeSenderReport && h.Type != TypeReceiverReport {
				return fmt.Errorf("%w: first packet has type %d", ErrNotCompound, h.Type)
			}
			if h.Padding {
				return fmt.Errorf("%w: padding on the first packet of a compound packet", ErrPadding)
			}
		}
		end := off + h.Size()
		if end > len(datagram) {
			return fmt.Errorf("%w: packet at offset %d announces %d bytes, %d remain",
				ErrTruncated, off, h.Size(), len(datagram)-off)
		}
		off = end
	}
	return nil
}

// Reader walks the packets of one datagram without allocating. Create it with NewReader, or keep one and Reset it.
type Reader struct {
	datagram []byte
	next     int
	packet   []byte
	err      error
}

// NewReader validates datagram (see Validate) and returns a Reader positioned before its first packet. When the
// datagram is invalid, Next returns false at once and Err tells why.
func NewReader(datagram []byte, mode Mode) *Reader {
	return &Reader{datagram: datagram, err: Validate(datagram, mode)}
}

// Reset makes r walk another datagram, validating it as NewReader does.
func (r *Reader) Reset(datagram []byte, mode Mode) {
	r.datagram, r.next, r.packet = datagram, 0, nil
	r.err = Validate(datagram, mode)
}

// Next advances to the next packet and reports whether there is one.
func (r *Reader) Next() bool {
	if r.err != nil || r.next >= len(r.datagram) {
		r.packet = nil
		return false
	}
	size := (int(binary.BigEndian.Uint16(r.datagram[r.next+2:])) + 1) * 4
	r.packet = r.datagram[r.next : r.next+size]
	r.next += size
	return true
}

// Packet returns the current packet, header included, ready for an Unmarshal method. It aliases the datagram.
func (r *Reader) Packet() []byte { return r.packet }

// Kind classifies the current packet.
func (r *Reader) Kind() Kind { return KindOf(r.packet) }

// Header returns the current packet's header.
func (r *Reader) Header() Header {
	var h Header
	if h.Unmarshal(r.packet) != nil {
		return Header{}
	}
	return h
}

// Err returns the validation error of the datagram, or nil.
func (r *Reader) Err() error { return r.err }
