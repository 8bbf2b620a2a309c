package signaling

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// participant is one place in a room, named by its socketId. It outlives websockets: a dropped participant waits
// for a reconnect during the grace period, and the events sent to it meanwhile are kept for replay.
type participant struct {
	// Immutable after join.
	socketID string
	userID   string
	// fromJSON is {"socketId":...,"userId":...}, encoded once for the events this participant sends.
	fromJSON        []byte
	room            *room
	ip              string
	platform        string
	deviceName      string
	version         string
	appVersion      string
	maxVideoBitrate int
	maxAudioBitrate int
	joinedAt        time.Time

	// Guarded by room.mu.
	networkType string
	orientation int
	camera      string
	// conn is the websocket currently attached; nil while away.
	conn *conn
	// replay keeps the events sent while away, in order, and replayBytes their charge; overflowed is set when
	// more were dropped, and then replay is emptied: the reconnect will be refused (1332), nothing is kept for it.
	replay      []*outMsg
	replayBytes int
	overflowed  bool
	// awayGen invalidates grace timers of earlier drops.
	awayGen    uint64
	awaySince  time.Time
	graceTimer stopper
	// gone is set once the participant has left its room for good; moved when it left for the room's new owner
	// (RoomLost), where it goes on, or when a newer roster showed it had left on the old owner. ghost is set while
	// it is a member of a moved room entered away from a roster (enterGhosts), until its client comes back.
	gone, moved, ghost bool
}

// stopper is the part of *time.Timer that the participant uses.
type stopper interface{ Stop() bool }

// newParticipantWith makes the participant of a join request, attached to c, with a fresh socketId.
func newParticipantWith(userID string, c *conn, req *joinRequest, now time.Time) (*participant, error) {
	socketID := newSocketID()
	from, err := json.Marshal(protocol.From{SocketID: socketID, UserID: userID})
	if err != nil {
		return nil, err
	}
	return &participant{
		socketID:        socketID,
		userID:          userID,
		fromJSON:        from,
		ip:              c.ip,
		platform:        req.Platform,
		deviceName:      req.DeviceName,
		version:         req.Version,
		appVersion:      req.AppVersion,
		maxVideoBitrate: req.MaxVideoBitrate,
		maxAudioBitrate: req.MaxAudioBitrate,
		joinedAt:        now,
		networkType:     req.NetworkType,
		orientation:     req.Orientation,
		camera:          req.Camera,
		conn:            c,
	}, nil
}

// as gives p the socketId and join time of a participant entering its room again on a new owner.
func (p *participant) as(socketID string, joinedAt time.Time) (*participant, error) {
	if len(socketID) != socketIDHexSize {
		return nil, errors.New("signaling: malformed socketId")
	}
	from, err := json.Marshal(protocol.From{SocketID: socketID, UserID: p.userID})
	if err != nil {
		return nil, err
	}
	p.socketID, p.fromJSON, p.joinedAt = socketID, from, joinedAt
	return p, nil
}

// newSocketID returns 32 lowercase hex characters from 16 random bytes.
func newSocketID() string {
	var b [16]byte
	// crypto/rand.Read never returns an error (Go 1.24+): it crashes the program if the OS source fails.
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (p *participant) from() protocol.From {
	return protocol.From{SocketID: p.socketID, UserID: p.userID}
}

// orientationEvent builds this participant's eventOrientationChange. Called with room.mu held.
func (p *participant) orientationEvent() *outMsg {
	return newEvent(protocol.EventOrientationChange, protocol.OrientationEvent{
		From: p.from(), Platform: p.platform, Orientation: p.orientation, Camera: p.camera,
	})
}

// deliver sends m to the participant: on its websocket, or into the replay list while it is away. It never blocks.
// Called with room.mu held.
func (p *participant) deliver(m *outMsg, b replayBounds) {
	if p.conn != nil {
		if why := p.conn.queue.push(m); why != queued {
			p.conn.closeSlow(why)
		}
		return
	}
	p.keep(m, b)
}

// replayBounds bound a participant's replay list: ReplayLimit messages, ReplayBytes bytes, and the process's
// budget.
type replayBounds struct {
	count, bytes int
	budget       *byteBudget
}

// keep appends m to the replay list, or marks the participant overflowed when m does not fit. Called with room.mu
// held.
func (p *participant) keep(m *outMsg, b replayBounds) {
	if p.overflowed {
		return
	}
	if len(p.replay) >= b.count || p.replayBytes+m.charge > b.bytes || !b.budget.take(m.charge, false) {
		p.overflowed = true
		p.dropReplay(b.budget)
		return
	}
	p.replay = append(p.replay, m)
	p.replayBytes += m.charge
}

// dropReplay empties the replay list and gives its bytes back. Called with room.mu held.
func (p *participant) dropReplay(budget *byteBudget) {
	budget.give(p.replayBytes)
	p.replay, p.replayBytes = nil, 0
}

// stopGrace cancels a pending grace timer. Called with room.mu held.
func (p *participant) stopGrace() {
	p.awayGen++
	if p.graceTimer != nil {
		p.graceTimer.Stop()
		p.graceTimer = nil
	}
}
