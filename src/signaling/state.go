package signaling

import (
	"slices"
	"strings"
	"time"
)

// State is a snapshot of the server for the admin listener's /state. It holds no secret.
type State struct {
	Mode string `json:"mode"`
	// Connections counts open websockets, joined or not.
	Connections int `json:"connections"`
	// AcceptedTotal counts every websocket accepted since start.
	AcceptedTotal uint64      `json:"acceptedTotal"`
	Participants  int         `json:"participants"`
	Rooms         []RoomState `json:"rooms"`
}

// RoomState is one room of State.
type RoomState struct {
	RoomID       string             `json:"roomId"`
	CreatedAt    time.Time          `json:"createdAt"`
	Participants []ParticipantState `json:"participants"`
}

// ParticipantState is one participant of RoomState.
type ParticipantState struct {
	SocketID        string    `json:"socketId"`
	UserID          string    `json:"userId"`
	IP              string    `json:"ip"`
	Platform        string    `json:"platform"`
	DeviceName      string    `json:"deviceName"`
	NetworkType     string    `json:"networkType"`
	Version         string    `json:"version"`
	AppVersion      string    `json:"appVersion"`
	Orientation     int       `json:"orientation"`
	Camera          string    `json:"camera"`
	MaxVideoBitrate int       `json:"maxVideoBitrate"`
	MaxAudioBitrate int       `json:"maxAudioBitrate"`
	JoinedAt        time.Time `json:"joinedAt"`
	// Connected is false while the participant waits for a reconnect; AwaySince then says since when.
	Connected     bool       `json:"connected"`
	AwaySince     *time.Time `json:"awaySince,omitempty"`
	PendingReplay int        `json:"pendingReplay"`
	// PendingReplayBytes is what the replay list holds, in bytes.
	PendingReplayBytes int `json:"pendingReplayBytes"`
}

// Snapshot returns the current state, rooms sorted by roomId, participants in join order.
func (s *Server) Snapshot() State {
	s.connsMu.Lock()
	st := State{Mode: s.opts.Mode, Connections: len(s.conns) - s.remoteConns, AcceptedTotal: s.accepted.Load()}
	s.connsMu.Unlock()
	for _, r := range s.hub.roomList() {
		if rs, ok := r.state(); ok {
			st.Participants += len(rs.Participants)
			st.Rooms = append(st.Rooms, rs)
		}
	}
	slices.SortFunc(st.Rooms, func(a, b RoomState) int { return strings.Compare(a.RoomID, b.RoomID) })
	return st
}

// state describes r, or reports false when r has closed.
func (r *room) state() (RoomState, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return RoomState{}, false
	}
	rs := RoomState{RoomID: r.id, CreatedAt: r.createdAt, Participants: make([]ParticipantState, 0, len(r.members))}
	for _, p := range r.members {
		rs.Participants = append(rs.Participants, p.state())
	}
	return rs, true
}

// state describes p. Called with p.room.mu held.
func (p *participant) state() ParticipantState {
	ps := ParticipantState{
		SocketID: p.socketID, UserID: p.userID, IP: p.ip, Platform: p.platform, DeviceName: p.deviceName,
		NetworkType: p.networkType, Version: p.version, AppVersion: p.appVersion, Orientation: p.orientation,
		Camera: p.camera, MaxVideoBitrate: p.maxVideoBitrate, MaxAudioBitrate: p.maxAudioBitrate,
		JoinedAt: p.joinedAt, Connected: p.conn != nil, PendingReplay: len(p.replay),
		PendingReplayBytes: p.replayBytes,
	}
	if p.conn == nil {
		away := p.awaySince
		ps.AwaySince = &away
	}
	return ps
}
