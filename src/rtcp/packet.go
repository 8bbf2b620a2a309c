package rtcp

import "fmt"

// Packet is what every message type of this package does.
type Packet interface {
	// Unmarshal decodes exactly one packet (as Reader.Packet returns it) of the message's type. On error the
	// value's content is unspecified: decode into it again before use.
	Unmarshal(packet []byte) error
	// MarshalSize is the size of the encoded packet.
	MarshalSize() int
	// AppendTo appends the encoded packet to b. On error b is returned unchanged.
	AppendTo(b []byte) ([]byte, error)
	// Marshal returns the encoded packet in a new buffer.
	Marshal() ([]byte, error)
}

var (
	_ Packet = (*SenderReport)(nil)
	_ Packet = (*ReceiverReport)(nil)
	_ Packet = (*SourceDescription)(nil)
	_ Packet = (*Goodbye)(nil)
	_ Packet = (*NACK)(nil)
	_ Packet = (*TransportCC)(nil)
	_ Packet = (*PictureLossIndication)(nil)
	_ Packet = (*FullIntraRequest)(nil)
	_ Packet = (*REMB)(nil)
)

// checkSender refuses to build a packet whose sender SSRC is 0: that is the value of a field nobody set (the
// original server sent its PLI, NACK and RR that way), and receivers cannot attribute such feedback.
func checkSender(ssrc uint32) error {
	if ssrc == 0 {
		return fmt.Errorf("%w: sender SSRC 0", ErrInvalid)
	}
	return nil
}
