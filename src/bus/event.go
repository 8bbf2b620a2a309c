package bus

// Routing keys of the live_events exchange: the event names of the original README.
const (
	KeyRoomJoin            = "room.join"
	KeyRoomLeave           = "room.leave"
	KeyRoomLive            = "room.live"
	KeyWebrtcFreeze        = "webrtc.freeze"
	KeyWebrtcCPU           = "webrtc.cpu"
	KeyWebrtcNetworkChange = "webrtc.networkChange"
)

// class ranks events by what the outbox may drop when it is full: the lowest class goes first.
type class uint8

const (
	// classSnapshot is room.live: the next snapshot of the room supersedes it.
	classSnapshot class = iota
	// classTelemetry is the clients' reports (webrtc.*), and any event this package does not know.
	classTelemetry
	// classMembership is room.join and room.leave: consumers build room state from them, so they are dropped only
	// past the outbox's hard limit.
	classMembership
	numClasses
)

func classOf(key string) class {
	switch key {
	case KeyRoomLive:
		return classSnapshot
	case KeyRoomJoin, KeyRoomLeave:
		return classMembership
	}
	return classTelemetry
}

// Event is one message for live_events. Implementations are plain values: the publisher encodes them to JSON later,
// on its own goroutine, so the caller's locks are never held during encoding or broker I/O.
type Event interface {
	// RoutingKey is the event name, e.g. "room.join".
	RoutingKey() string
	// Room is the roomId the event belongs to; events of one room are delivered in the order they were published.
	Room() string
}

// Publisher accepts events for delivery. Publish never blocks and does no I/O: callers publish while they still hold
// the lock of the room state the event describes, so that the order of events is the order of committed changes.
type Publisher interface {
	Publish(e Event)
}

// Discard is the Publisher used when no broker is configured: it drops every event.
type Discard struct{}

// Publish drops e.
func (Discard) Publish(Event) {}

// Session is one participant as room.live lists it.
type Session struct {
	SocketID string `json:"socketId"`
	UserID   string `json:"userId"`
}

// RoomJoin: a participant joined a room. RoomSize counts the joiner.
type RoomJoin struct {
	RoomID      string `json:"roomId"`
	RoomSize    int    `json:"roomSize"`
	SocketID    string `json:"socketId"`
	UserID      string `json:"userId"`
	Platform    string `json:"platform"`
	DeviceName  string `json:"deviceName"`
	NetworkType string `json:"networkType"`
	AppVersion  string `json:"appVersion"`
	Version     string `json:"version"`
	IP          string `json:"ip"`
	Bitrate     int    `json:"bitrate"`
}

// RoomLeave: a participant left a room (or its reconnect grace period expired). RoomSize counts those who remain.
type RoomLeave struct {
	RoomID   string `json:"roomId"`
	RoomSize int    `json:"roomSize"`
	SocketID string `json:"socketId"`
	UserID   string `json:"userId"`
}

// RoomLive: a snapshot of one live room, sent periodically. Snapshots are the first to be dropped under pressure.
type RoomLive struct {
	RoomID   string    `json:"roomId"`
	RoomSize int       `json:"roomSize"`
	Sessions []Session `json:"sessions"`
}

// WebrtcFreeze: a client reported a video freeze (action eventFreeze).
type WebrtcFreeze struct {
	RoomID   string `json:"roomId"`
	SocketID string `json:"socketId"`
	UserID   string `json:"userId"`
}

// WebrtcCPU: a client reported its CPU use in percent (action eventCpu).
type WebrtcCPU struct {
	RoomID   string `json:"roomId"`
	SocketID string `json:"socketId"`
	UserID   string `json:"userId"`
	CPUUsed  int    `json:"cpuUsed"`
}

// WebrtcNetworkChange: a client reported a network change (action eventNetworkChange).
type WebrtcNetworkChange struct {
	RoomID      string `json:"roomId"`
	SocketID    string `json:"socketId"`
	UserID      string `json:"userId"`
	NetworkType string `json:"networkType"`
}

func (RoomJoin) RoutingKey() string            { return KeyRoomJoin }
func (RoomLeave) RoutingKey() string           { return KeyRoomLeave }
func (RoomLive) RoutingKey() string            { return KeyRoomLive }
func (WebrtcFreeze) RoutingKey() string        { return KeyWebrtcFreeze }
func (WebrtcCPU) RoutingKey() string           { return KeyWebrtcCPU }
func (WebrtcNetworkChange) RoutingKey() string { return KeyWebrtcNetworkChange }

func (e RoomJoin) Room() string            { return e.RoomID }
func (e RoomLeave) Room() string           { return e.RoomID }
func (e RoomLive) Room() string            { return e.RoomID }
func (e WebrtcFreeze) Room() string        { return e.RoomID }
func (e WebrtcCPU) Room() string           { return e.RoomID }
func (e WebrtcNetworkChange) Room() string { return e.RoomID }
