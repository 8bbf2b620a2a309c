package negotiate

import (
	"errors"
	"net/netip"
	"slices"

	"github.com/heytribe/live-webrtcsignaling/src/sdp"
)

// RTP header extensions the MCU understands.
const (
	ExtAbsSendTime       = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
	ExtTransportCC       = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
	ExtSDESMID           = "urn:ietf:params:rtp-hdrext:sdes:mid"
	ExtVideoOrientation  = "urn:3gpp:video-orientation"
	ExtRTPStreamID       = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
	ExtRepairedStreamID  = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
	maxOneByteExtensions = 14
)

// Errors, wrapped with details.
var (
	// ErrBadArgument: the caller's Local, Preferences or Tracks are unusable (a programming or configuration error).
	ErrBadArgument = errors.New("negotiate: bad argument")
	// ErrNoMedia: no media section of the offer can be accepted.
	ErrNoMedia = errors.New("negotiate: no media section can be accepted")
	// ErrTransport: the remote ICE or DTLS parameters are missing or conflict with the server's roles.
	ErrTransport = errors.New("negotiate: unusable transport parameters")
	// ErrAnswerMismatch: an answer does not fit the offer it answers.
	ErrAnswerMismatch = errors.New("negotiate: answer does not match the offer")
)

// Local is the server's side of one PeerConnection.
type Local struct {
	ICEUfrag     string // 4 to 256 ICE characters (letters, digits, + and /)
	ICEPwd       string // 22 to 256 ICE characters
	Fingerprints []sdp.Fingerprint
	// Addrs are the UDP host candidates, best first: the public addresses or the host's interfaces', with the
	// UDP port the server listens on. The first one also goes in the c= and m= lines.
	Addrs []netip.AddrPort
	// TCPAddrs are the passive ICE-TCP host candidates (RFC 6544), best first; none when ICE-TCP is off. Every
	// one ranks below every UDP candidate, so that a browser uses TCP only when UDP fails.
	TCPAddrs       []netip.AddrPort
	SessionID      uint64 // o= line; random per PeerConnection, e.g. from sdp.NewSessionID
	SessionVersion uint64 // o= line; incremented at each new description of the same session
}

// Preferences is what the server accepts from a publisher, in its order of preference.
type Preferences struct {
	// Audio and Video are the codecs, best first. Name and ClockRate are required; Channels and Fmtp, when set,
	// must match: H264 by packetization-mode and profile (profile-level-id, level ignored), VP9 by profile-id, AV1
	// by profile; other codecs by name, clock rate and channels. PayloadType and Feedback are ignored.
	Audio, Video []sdp.Codec
	// Feedback is the RTCP feedback the server handles; the answer keeps the offered feedback found here.
	Feedback []sdp.Feedback
	// Extensions are the header extension URIs the server reads; the answer keeps the offered ones found here,
	// with ids 1 to 14 (one-byte headers).
	Extensions []string
	// AudioMaxBitrate and VideoMaxBitrate, in bits per second, cap what the publisher sends (b=TIAS and b=AS in
	// the answer); 0 leaves the bitrate to congestion control.
	AudioMaxBitrate, VideoMaxBitrate uint64
}

// DefaultPreferences returns Opus, then VP8, H264 (constrained baseline, packetization-mode 1), VP9 and AV1
// (profile 0), the five feedback types of the MCU and the four header extensions it reads.
func DefaultPreferences() Preferences {
	return Preferences{
		Audio: []sdp.Codec{{Name: "opus", ClockRate: 48000, Channels: 2, Fmtp: "minptime=10;useinbandfec=1"}},
		Video: []sdp.Codec{
			{Name: "VP8", ClockRate: 90000},
			{Name: "H264", ClockRate: 90000,
				Fmtp: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"},
			{Name: "VP9", ClockRate: 90000, Fmtp: "profile-id=0"},
			{Name: "AV1", ClockRate: 90000, Fmtp: "level-idx=5;profile=0;tier=0"},
		},
		Feedback: []sdp.Feedback{sdp.FeedbackNACK, sdp.FeedbackPLI, sdp.FeedbackFIR, sdp.FeedbackREMB,
			sdp.FeedbackTransportCC},
		Extensions: []string{ExtAbsSendTime, ExtTransportCC, ExtSDESMID, ExtVideoOrientation},
	}
}

// Result is what the media plane needs once an offer/answer exchange is complete.
type Result struct {
	Remote Transport
	Media  []Media // one per m= line, in order, rejected ones included
}

// Transport is the remote side's ICE and DTLS parameters.
type Transport struct {
	ICEUfrag     string
	ICEPwd       string
	ICELite      bool
	ICEOptions   []string
	Fingerprints []sdp.Fingerprint // the remote DTLS certificate must match one of them
	// Setup is the remote DTLS role as signalled: passive makes the server the DTLS client; active, actpass (an
	// offer, answered passive) or none make it the DTLS server.
	Setup           sdp.Setup
	Candidates      []sdp.Candidate
	EndOfCandidates bool
}

// Media is the outcome for one m= line.
type Media struct {
	Index     int    // position of the m= line
	Kind      string // sdp.KindAudio, sdp.KindVideo...
	MID       string
	Rejected  bool
	Reason    string        // why the section was rejected, for logs
	Direction sdp.Direction // the server's direction: recvonly upstream, sendonly downstream
	Codec     Codec
	// Extensions are the negotiated header extensions with the ids to use on the wire.
	Extensions []sdp.ExtMap
	// RTCPReducedSize: the remote side accepts reduced-size RTCP (RFC 5506).
	RTCPReducedSize bool
	// Streams are the RTP streams the remote side announced it sends (a=ssrc, a=ssrc-group FID): one per
	// simulcast layer, or one, or none when only rids are signalled.
	Streams []Stream
	// RIDs are the simulcast rids the remote side offered to send; recognised, not negotiated.
	RIDs []sdp.RID
}

// ExtensionID returns the negotiated id of a header extension.
func (m Media) ExtensionID(uri string) (uint16, bool) { return sdp.ExtMapID(m.Extensions, uri) }

// Codec is a negotiated codec with its retransmission format.
type Codec struct {
	sdp.Codec            // Feedback holds the negotiated RTCP feedback
	RTXPayloadType uint8 // 0 when RTX is not negotiated (RTX always uses a dynamic payload type)
}

// Stream is one RTP stream of the remote side.
type Stream struct {
	SSRC    uint32
	RTXSSRC uint32 // 0 when the stream has no FID group
	CNAME   string
}

// Track is one sendonly media section of a listener offer: the stream of one publisher.
type Track struct {
	Kind string // sdp.KindAudio or sdp.KindVideo
	// Codecs to offer, best first: usually the publisher's negotiated codec, to forward it unchanged. Payload types
	// (and RTXPayloadType) are kept when dynamic and not yet used in the offer, otherwise chosen from 96 up.
	Codecs     []Codec
	Feedback   []sdp.Feedback // offered for every codec
	Extensions []string       // header extension URIs; ids are given from 1 in order of first use in the offer
	SSRC       uint32
	RTXSSRC    uint32 // 0: no RTX stream; otherwise each codec gets an RTX payload type and a FID group is added
	CNAME      string // one per publisher, shared by its audio and video for lip sync
	StreamID   string // a=msid stream id, shared by the publisher's audio and video
	TrackID    string
}

// intersect returns the items of offered that are in accepted, in the order of accepted.
func intersect[T comparable](accepted, offered []T) []T {
	var out []T
	for _, a := range accepted {
		if slices.Contains(offered, a) && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}
