package media

// Events the media plane sends to clients (docs/API.md).
const (
	EventExchangeSdp = "eventExchangeSdp"
	EventWebrtcUp    = "eventWebrtcUp"
	EventWebrtcDown  = "eventWebrtcDown"
)

// PublisherSocketID is the pseudo socketId of the server's end of a client's upstream, as the signaling server
// names it.
const PublisherSocketID = "publisher"

// Reasons of eventWebrtcDown besides the session's own (webrtc.Reason: ice-timeout, consent-expired, dtls-timeout,
// dtls-failed, peer-closed, internal-error).
const (
	// ReasonReplaced: the server replaced the session with a new one for the same stream, whose offer follows.
	ReasonReplaced = "replaced"
	// ReasonUnavailable: the server could not make a session for the stream (no UDP port free, shutting down).
	ReasonUnavailable = "unavailable"
)

// Reasons the server closes sessions itself, for logs and BYE packets; no eventWebrtcDown is sent for them.
const (
	closeLeft          = "left"
	closePublisherLeft = "publisher-left"
	closeRepublished   = "republished"
	closeShutdown      = "shutdown"
)

// Phases of eventWebrtcDown: how far the session got before it ended.
const (
	PhaseNegotiation = "negotiation" // the server's offer was not answered
	PhaseICE         = "ice"         // no connectivity check was verified
	PhaseDTLS        = "dtls"        // checks passed, the DTLS handshake did not complete
	PhaseMedia       = "media"       // the session was connected
)

// From names the participant an event is about, as the signaling server's events do.
type From struct {
	SocketID string `json:"socketId"`
	UserID   string `json:"userId"`
}

// SessionDescription is an RTCSessionDescriptionInit.
type SessionDescription struct {
	Type string `json:"type"`
	SDP  string `json:"sdp"`
}

// ExchangeSdpEvent is eventExchangeSdp: the server's offer for the stream of From.
type ExchangeSdpEvent struct {
	From From               `json:"from"`
	SDP  SessionDescription `json:"sdp"`
}

// WebrtcUpEvent is eventWebrtcUp: media flows on the session with From (PublisherSocketID for the upstream).
type WebrtcUpEvent struct {
	From From `json:"from"`
}

// WebrtcDownEvent is eventWebrtcDown: the session with From ended, and why.
type WebrtcDownEvent struct {
	From   From   `json:"from"`
	Reason string `json:"reason"`
	Phase  string `json:"phase"`
}
