package rtcp

import "fmt"

// PictureLossIndication is a PLI (RFC 4585 6.3.1): the receiver lost part of the picture and asks MediaSSRC's
// sender for a decoder refresh.
type PictureLossIndication struct {
	SenderSSRC uint32
	MediaSSRC  uint32
}

// Unmarshal decodes one PLI packet.
func (p *PictureLossIndication) Unmarshal(packet []byte) error {
	sender, media, fci, err := feedbackBody(packet, TypePayloadFeedback, FormatPLI)
	if err != nil {
		return err
	}
	if len(fci) != 0 {
		return fmt.Errorf("%w: PLI with %d bytes of FCI, it has none", ErrLength, len(fci))
	}
	p.SenderSSRC, p.MediaSSRC = sender, media
	return nil
}

// MarshalSize is the size of the encoded packet.
func (p *PictureLossIndication) MarshalSize() int { return feedbackHeaderSize }

// AppendTo appends the encoded packet to b.
func (p *PictureLossIndication) AppendTo(b []byte) ([]byte, error) {
	if err := checkSender(p.SenderSSRC); err != nil {
		return b, err
	}
	return appendFeedbackHeader(b, FormatPLI, TypePayloadFeedback, feedbackHeaderSize, p.SenderSSRC, p.MediaSSRC), nil
}

// Marshal returns the encoded packet in a new buffer.
func (p *PictureLossIndication) Marshal() ([]byte, error) {
	return p.AppendTo(make([]byte, 0, p.MarshalSize()))
}
