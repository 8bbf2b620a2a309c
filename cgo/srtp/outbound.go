package srtp

const directionOutbound = "outbound"

// Outbound protects RTP and RTCP packets sent to one peer, whatever their SSRCs, with the local
// master key. It is safe for concurrent use: calls are serialised.
//
// A packet may be protected again under the same SSRC and sequence number, so that a NACK can
// be answered by resending it, but only with identical bytes: another payload under the same
// index would reuse the keystream.
type Outbound struct {
	c *context
}

// NewOutbound returns an Outbound for profile with the local master key and salt, as
// DTLS-SRTP exports them. key and salt are not retained. Close it when done.
func NewOutbound(profile Profile, key, salt []byte) (*Outbound, error) {
	c, err := newContext(directionOutbound, profile, key, salt)
	if err != nil {
		return nil, err
	}
	return &Outbound{c: c}, nil
}

// ProtectRTP encrypts and authenticates the RTP packet pkt in place and returns the SRTP
// packet, pkt extended by Profile().RTPOverhead() bytes. pkt must have that much spare
// capacity (MaxRTPOverhead fits every profile) and start on a 4-byte boundary. A packet older
// than the replay window, or a repeat of such, gives ErrReplay. On error, pkt's content is
// undefined.
func (out *Outbound) ProtectRTP(pkt []byte) ([]byte, error) {
	if out == nil {
		return nil, ErrClosed
	}
	if err := checkRTP(pkt, 0); err != nil {
		return nil, err
	}
	return out.c.transform(opProtectRTP, pkt, out.c.rtpOverhead)
}

// ProtectRTCP encrypts and authenticates the RTCP packet (simple or compound) pkt in place and
// returns the SRTCP packet, pkt extended by Profile().RTCPOverhead() bytes, which pkt must have
// as spare capacity (MaxRTCPOverhead fits every profile).
func (out *Outbound) ProtectRTCP(pkt []byte) ([]byte, error) {
	if out == nil {
		return nil, ErrClosed
	}
	if err := checkRTCP(pkt, 0); err != nil {
		return nil, err
	}
	return out.c.transform(opProtectRTCP, pkt, out.c.rtcpOverhead)
}

// Profile returns the protection profile the Outbound was created with.
func (out *Outbound) Profile() Profile {
	if out == nil {
		return 0
	}
	return out.c.profile
}

// Close frees the libsrtp context. Later calls return ErrClosed, as does every use after it.
func (out *Outbound) Close() error {
	if out == nil {
		return ErrClosed
	}
	return out.c.close()
}
