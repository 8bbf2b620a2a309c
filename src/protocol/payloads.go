package protocol

import "encoding/json"

// From names the participant an event comes from or is about. For the upstream in MCU mode it is
// {"socketId":"publisher","userId":""}.
type From struct {
	SocketID string `json:"socketId"`
	UserID   string `json:"userId"`
}

// Session is one other participant of the room in joinR's "sessions".
type Session struct {
	SocketID string `json:"socketId"`
	UserID   string `json:"userId"`
}

// SessionDescription is an RTCSessionDescriptionInit: "offer" or "answer", and the SDP text.
type SessionDescription struct {
	Type string `json:"type"`
	SDP  string `json:"sdp"`
}

// JoinResult is joinR's data.
type JoinResult struct {
	SocketID               string                 `json:"socketId"`
	UserID                 string                 `json:"userId"`
	RoomSize               int                    `json:"roomSize"`
	Mode                   string                 `json:"mode"`
	UserMediaConfiguration UserMediaConfiguration `json:"userMediaConfiguration"`
	Sessions               []Session              `json:"sessions"`
}

// ReconnectResult is reconnectR's data.
type ReconnectResult struct {
	SocketID string `json:"socketId"`
	UserID   string `json:"userId"`
	RoomSize int    `json:"roomSize"`
	Mode     string `json:"mode"`
}

// UserMediaConfiguration is the getUserMedia() constraint object of joinR and eventUserMediaConfiguration. Its
// numbers are strings, as the original sent them.
type UserMediaConfiguration struct {
	Audio bool       `json:"audio"`
	Video VideoRange `json:"video"`
}

// VideoRange is the video part of UserMediaConfiguration.
type VideoRange struct {
	Width     MinMax `json:"width"`
	Height    MinMax `json:"height"`
	FrameRate MinMax `json:"frameRate"`
}

// MinMax is a constraint range, its numbers written as strings.
type MinMax struct {
	Min string `json:"min"`
	Max string `json:"max"`
}

// ExchangeSdpEvent is eventExchangeSdp. In relay mode SDP is the sender's object as it sent it; in MCU mode the
// server's answer to an upstream offer (From PublisherSocketID) or its offer for the stream of From.
type ExchangeSdpEvent struct {
	From From               `json:"from"`
	SDP  SessionDescription `json:"sdp"`
}

// ExchangeCandidateEvent is eventExchangeCandidate (relay mode): the sender's RTCIceCandidateInit as it sent it.
type ExchangeCandidateEvent struct {
	From      From            `json:"from"`
	Candidate json.RawMessage `json:"candidate"`
}

// MessageEvent is eventMessage: any JSON value from the sender.
type MessageEvent struct {
	From    From            `json:"from"`
	Message json.RawMessage `json:"message"`
}

// OrientationEvent is eventOrientationChange.
type OrientationEvent struct {
	From        From   `json:"from"`
	Platform    string `json:"platform"`
	Orientation int    `json:"orientation"`
	Camera      string `json:"camera"`
}

// LeaveEvent is eventLeave; RoomSize counts the participants who remain.
type LeaveEvent struct {
	RoomID   string `json:"roomId"`
	RoomSize int    `json:"roomSize"`
	SocketID string `json:"socketId"`
	UserID   string `json:"userId"`
}

// WebrtcUpEvent is eventWebrtcUp: media flows on the session with From (PublisherSocketID for the upstream).
type WebrtcUpEvent struct {
	From From `json:"from"`
}

// WebrtcDownEvent is eventWebrtcDown: the session with From ended, and why (a Reason of this package or of the
// session's own) and in which Phase.
type WebrtcDownEvent struct {
	From   From   `json:"from"`
	Reason string `json:"reason"`
	Phase  string `json:"phase"`
}
