package signaling

import "encoding/json"

// Actions (client to server).
const (
	actionJoin               = "join"
	actionReconnect          = "reconnect"
	actionLeave              = "leave"
	actionExchangeSdp        = "exchangeSdp"
	actionExchangeCandidate  = "exchangeCandidate"
	actionOrientationChange  = "orientationChange"
	actionSendMessage        = "sendMessage"
	actionEventFreeze        = "eventFreeze"
	actionEventCPU           = "eventCpu"
	actionEventNetworkChange = "eventNetworkChange"
	// actionGeneral names the reply to a frame whose action is unknown or unreadable.
	actionGeneral = "general"
)

// Events (server to client).
const (
	EventExchangeSdp            = "eventExchangeSdp"
	EventExchangeCandidate      = "eventExchangeCandidate"
	EventUserMediaConfiguration = "eventUserMediaConfiguration"
	EventLeave                  = "eventLeave"
	EventOrientationChange      = "eventOrientationChange"
	EventMessage                = "eventMessage"
	EventWebrtcUp               = "eventWebrtcUp"
)

// PublisherSocketID is the pseudo socketId of the server's upstream end in MCU mode.
const PublisherSocketID = "publisher"

// Limits of client-provided fields.
const (
	maxFieldBytes   = 128
	maxActionEcho   = 64
	maxOrientation  = 359
	maxCPUUsed      = 10000
	maxBitrate      = 1 << 30
	socketIDHexSize = 32
)

// envelope is an incoming frame. A is a pointer so that a missing action is told apart from an empty one.
type envelope struct {
	A *string         `json:"a"`
	D json.RawMessage `json:"d"`
}

// reply answers an action: {"a":"<action>R","s":true,"d":...} or {"a":"<action>R","s":false,"e":code}.
type reply struct {
	A string `json:"a"`
	S bool   `json:"s"`
	D any    `json:"d,omitempty"`
	E int    `json:"e,omitempty"`
}

// event is a server-initiated message.
type event struct {
	A string `json:"a"`
	D any    `json:"d,omitempty"`
}

// From names the participant an event comes from.
type From struct {
	SocketID string `json:"socketId"`
	UserID   string `json:"userId"`
}

// Session is one participant in joinR's sessions.
type Session struct {
	SocketID string `json:"socketId"`
	UserID   string `json:"userId"`
}

type joinRequest struct {
	RoomID          *string `json:"roomId"`
	Bearer          *string `json:"bearer"`
	Platform        string  `json:"platform"`
	DeviceName      string  `json:"deviceName"`
	NetworkType     string  `json:"networkType"`
	Version         string  `json:"version"`
	AppVersion      string  `json:"appVersion"`
	Orientation     int     `json:"orientation"`
	Camera          string  `json:"camera"`
	MaxVideoBitrate int     `json:"maxVideoBitrate"`
	MaxAudioBitrate int     `json:"maxAudioBitrate"`
}

type joinResult struct {
	SocketID               string                 `json:"socketId"`
	UserID                 string                 `json:"userId"`
	RoomSize               int                    `json:"roomSize"`
	Mode                   string                 `json:"mode"`
	UserMediaConfiguration userMediaConfiguration `json:"userMediaConfiguration"`
	Sessions               []Session              `json:"sessions"`
}

type reconnectRequest struct {
	SocketID *string `json:"socketId"`
	Bearer   *string `json:"bearer"`
}

type reconnectResult struct {
	SocketID string `json:"socketId"`
	UserID   string `json:"userId"`
	RoomSize int    `json:"roomSize"`
	Mode     string `json:"mode"`
}

type exchangeSdpRequest struct {
	To  *string         `json:"to"`
	SDP json.RawMessage `json:"sdp"`
}

// sessionDescription is the part of an RTCSessionDescription the MCU path reads.
type sessionDescription struct {
	Type string `json:"type"`
	SDP  string `json:"sdp"`
}

type exchangeCandidateRequest struct {
	To        *string         `json:"to"`
	Candidate json.RawMessage `json:"candidate"`
}

type candidateCompletion struct {
	Completed bool `json:"completed"`
}

type orientationRequest struct {
	Orientation *int    `json:"orientation"`
	Camera      *string `json:"camera"`
}

type sendMessageRequest struct {
	To      *string         `json:"to"`
	Message json.RawMessage `json:"message"`
}

type cpuRequest struct {
	CPUUsed *int `json:"cpuUsed"`
}

type networkChangeRequest struct {
	NetworkType *string `json:"networkType"`
}

type exchangeSdpEvent struct {
	From From            `json:"from"`
	SDP  json.RawMessage `json:"sdp"`
}

type exchangeCandidateEvent struct {
	From      From            `json:"from"`
	Candidate json.RawMessage `json:"candidate"`
}

type messageEvent struct {
	From    From            `json:"from"`
	Message json.RawMessage `json:"message"`
}

type orientationEvent struct {
	From        From   `json:"from"`
	Platform    string `json:"platform"`
	Orientation int    `json:"orientation"`
	Camera      string `json:"camera"`
}

type leaveEvent struct {
	RoomID   string `json:"roomId"`
	RoomSize int    `json:"roomSize"`
	SocketID string `json:"socketId"`
	UserID   string `json:"userId"`
}
