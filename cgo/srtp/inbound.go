package srtp

const directionInbound = "inbound"

// Inbound unprotects the SRTP and SRTCP packets of one peer, whatever their SSRCs, with the
// peer's (remote) master key. It is safe for concurrent use: calls are serialised.
type Inbound struct {
	c *context
}

// NewInbound returns an Inbound for profile with the remote master key and salt, as
// DTLS-SRTP exports them. key and salt are not retained. Close it when done.
func NewInbound(profile Profile, key, salt []byte) (*Inbound, error) {
	c, err := newContext(directionInbound, profile, key, salt)
	if err != nil {
		return nil, err
	}
	return &Inbound{c: c}, nil
}

// UnprotectRTP verifies and decrypts the SRTP packet pkt in place and returns the RTP packet,
// a prefix of pkt. On error, pkt's content is undefined: drop it. A replayed packet gives an
// error that errors.Is ErrReplay, a forged or corrupted one ErrAuth; neither allocates.
func (in *Inbound) UnprotectRTP(pkt []byte) ([]byte, error) {
	if in == nil {
		return nil, ErrClosed
	}
	if err := checkRTP(pkt, in.c.rtpOverhead); err != nil {
		return nil, err
	}
	return in.c.transform(opUnprotectRTP, pkt, 0)
}

// UnprotectRTCP verifies and decrypts the SRTCP packet pkt in place and returns the RTCP
// packet, a prefix of pkt. Errors are as for UnprotectRTP.
func (in *Inbound) UnprotectRTCP(pkt []byte) ([]byte, error) {
	if in == nil {
		return nil, ErrClosed
	}
	if err := checkRTCP(pkt, in.c.rtcpOverhead); err != nil {
		return nil, err
	}
	return in.c.transform(opUnprotectRTCP, pkt, 0)
}

// Profile returns the protection profile the Inbound was created with.
func (in *Inbound) Profile() Profile {
	if in == nil {
		return 0
	}
	return in.c.profile
}

// Close frees the libsrtp context. Later calls return ErrClosed, as does every use after it.
func (in *Inbound) Close() error {
	if in == nil {
		return ErrClosed
	}
	return in.c.close()
}
