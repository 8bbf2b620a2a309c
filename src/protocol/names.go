package protocol

// Actions: what a client asks, in the request envelope {"a":action,"d":data}. The reply's name is the action's
// followed by "R".
const (
	ActionJoin               = "join"
	ActionReconnect          = "reconnect"
	ActionLeave              = "leave"
	ActionExchangeSdp        = "exchangeSdp"
	ActionExchangeCandidate  = "exchangeCandidate"
	ActionOrientationChange  = "orientationChange"
	ActionSendMessage        = "sendMessage"
	ActionEventFreeze        = "eventFreeze"
	ActionEventCPU           = "eventCpu"
	ActionEventNetworkChange = "eventNetworkChange"
	// ActionGeneral names the reply to a frame whose action is unknown or unreadable, and to refusals that concern
	// no action (rate limit, binary frames).
	ActionGeneral = "general"
)

// Events: what the server sends on its own, {"a":event,"d":data}.
const (
	EventExchangeSdp            = "eventExchangeSdp"
	EventExchangeCandidate      = "eventExchangeCandidate"
	EventUserMediaConfiguration = "eventUserMediaConfiguration"
	EventLeave                  = "eventLeave"
	EventOrientationChange      = "eventOrientationChange"
	EventMessage                = "eventMessage"
	EventWebrtcUp               = "eventWebrtcUp"
	EventWebrtcDown             = "eventWebrtcDown"
)

// PublisherSocketID is the pseudo socketId of the server's end of a client's upstream in MCU mode: the "to" of the
// client's upstream offer and the "from" of the server's answer and of the upstream's eventWebrtcUp/Down.
const PublisherSocketID = "publisher"

// Media modes (MEDIA_MODE), announced in joinR and reconnectR's "mode".
const (
	// ModeMCU: media goes through the server, which answers upstream offers and offers each stream to the others.
	ModeMCU = "mcu"
	// ModeRelay: the server only relays SDP and candidates between peers (P2P).
	ModeRelay = "relay"
)

// Reasons of eventWebrtcDown besides the session's own (ice-timeout, consent-expired, dtls-timeout, dtls-failed,
// peer-closed, internal-error).
const (
	// ReasonMoved: the room moved to another server (its server failed): the upstream's client publishes again,
	// and the server offers every stream anew.
	ReasonMoved = "moved"
	// ReasonReplaced: the server replaced the session with a new one for the same stream, whose offer follows.
	ReasonReplaced = "replaced"
	// ReasonUnavailable: the server could not make a session for the stream (no UDP port free, shutting down).
	ReasonUnavailable = "unavailable"
	// ReasonNoVideoCodec: the receiver's answer accepts none of the video codecs offered for the stream (the
	// publisher's, and those the server transcodes into): it gets the audio only.
	ReasonNoVideoCodec = "no-video-codec"
	// ReasonTranscoderBusy: the receiver decodes only a codec the server must transcode into, and the server runs
	// as many encoders as it may (TRANSCODE_MAX_ENCODERS) with none in that codec for the stream: audio only.
	ReasonTranscoderBusy = "transcoder-busy"
)

// Phases of eventWebrtcDown: how far the session got before it ended.
const (
	PhaseNegotiation = "negotiation" // the server's offer was not answered
	PhaseICE         = "ice"         // no connectivity check was verified
	PhaseDTLS        = "dtls"        // checks passed, the DTLS handshake did not complete
	PhaseMedia       = "media"       // the session was connected
)
