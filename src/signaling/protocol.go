package signaling

import "encoding/json"

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

type reconnectRequest struct {
	SocketID *string `json:"socketId"`
	Bearer   *string `json:"bearer"`
}

type exchangeSdpRequest struct {
	To  *string         `json:"to"`
	SDP json.RawMessage `json:"sdp"`
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
