package transport

// Kind is the protocol of a datagram, told apart by its first byte as RFC 7983 section 7 says, and RTP from RTCP by
// the payload type field (RFC 5761 section 4).
type Kind uint8

// The kinds of datagram a WebRTC session receives on its one bundled, rtcp-muxed port.
const (
	KindUnknown Kind = iota
	KindSTUN
	KindDTLS
	KindRTP
	KindRTCP
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case KindSTUN:
		return "stun"
	case KindDTLS:
		return "dtls"
	case KindRTP:
		return "rtp"
	case KindRTCP:
		return "rtcp"
	default:
		return "unknown"
	}
}

// minRTPHeader is the fixed RTP header; an RTCP header is 4 bytes but every RTCP packet type we accept (and SRTCP,
// with its index and tag) is longer than 8, so one bound serves both.
const minRTPHeader = 12

// Classify returns the kind of a datagram. It reads at most two bytes and never fails: an empty, too short or
// unexpected datagram is KindUnknown. RTP and RTCP (SRTP and SRTCP on the wire) are split by the second byte:
// packet types 192..223 are RTCP (payload types 64..95 with the marker bit), which RFC 5761 keeps free of RTP.
func Classify(b []byte) Kind {
	if len(b) == 0 {
		return KindUnknown
	}
	switch first := b[0]; {
	case first <= 3:
		return KindSTUN
	case first >= 20 && first <= 63:
		return KindDTLS
	case first >= 128 && first <= 191:
		if len(b) < minRTPHeader {
			return KindUnknown
		}
		if pt := b[1]; pt >= 192 && pt <= 223 {
			return KindRTCP
		}
		return KindRTP
	default:
		return KindUnknown
	}
}
