package codecs

// AV1AggregationHeader is the first byte of an AV1 RTP payload (RTP Payload Format for AV1, section 4.4).
type AV1AggregationHeader struct {
	// Continuation is the Z bit: the first OBU element continues an OBU of the previous packet.
	Continuation bool
	// WillContinue is the Y bit: the last OBU element continues in the next packet.
	WillContinue bool
	// OBUCount is W: the number of OBU elements, 0 when each element carries its own length.
	OBUCount uint8
	// NewSequence is the N bit: the packet is the first of a coded video sequence, which starts with a key frame.
	NewSequence bool
}

// Unmarshal parses the aggregation header at the start of payload; an OBU element must follow it.
func (h *AV1AggregationHeader) Unmarshal(payload []byte) error {
	*h = AV1AggregationHeader{}
	if len(payload) < 2 {
		return ErrShortPayload
	}
	b := payload[0]
	h.Continuation = b&0x80 != 0
	h.WillContinue = b&0x40 != 0
	h.OBUCount = (b >> 4) & 0x03
	h.NewSequence = b&0x08 != 0
	if h.NewSequence && h.Continuation {
		return ErrAV1Header
	}
	return nil
}

// AV1StartsKeyframe reports whether payload is the first packet of a coded video sequence (the N bit): the only
// packets a decoder can start from, since a new sequence begins with a key frame and its sequence header.
func AV1StartsKeyframe(payload []byte) bool {
	var h AV1AggregationHeader
	return h.Unmarshal(payload) == nil && h.NewSequence
}
