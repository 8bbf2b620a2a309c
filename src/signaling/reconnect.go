package signaling

import (
	"context"
	"encoding/json"

	"github.com/gorilla/websocket"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// reconnect takes over the place of a participant from a new websocket.
func (c *conn) reconnect(ctx context.Context, d json.RawMessage) int {
	if c.p != nil {
		return protocol.CodeRoomAlreadyJoined
	}
	var req reconnectRequest
	if code := decodeRequest(d, &req); code != 0 {
		return code
	}
	var v validation
	v.id(req.SocketID)
	hasBearer := req.Bearer != nil && *req.Bearer != ""
	v.required(hasBearer || c.srv.opts.ReconnectWithoutBearer)
	if v.code != 0 {
		return v.code
	}
	userID, roomID := "", ""
	if hasBearer {
		claims, ok := c.authenticate(protocol.ActionReconnect, *req.Bearer)
		if !ok {
			return protocol.CodeAuthFailed
		}
		userID, roomID = claims.UserID, claims.RoomID
	}
	p := c.srv.hub.socket(*req.SocketID)
	if p == nil {
		// In a cluster the participant may live on another node: its owner checks the bearer and takes over.
		if code, routed := c.reconnectElsewhere(ctx, *req.SocketID, d); routed {
			return code
		}
		// The search may have ended because the participant's moved room came here.
		if p = c.srv.hub.socket(*req.SocketID); p == nil {
			return protocol.CodeReconnectUnknownSocket
		}
	}
	return c.srv.takeOver(c, p, userID, roomID)
}

// takeOver attaches c to p if the bearer's user (userID, when not empty) owns p. It answers reconnectR and replays
// the missed events, or returns an error code.
func (s *Server) takeOver(c *conn, p *participant, userID, roomID string) int {
	r := p.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.gone {
		return protocol.CodeReconnectUnknownSocket
	}
	if userID != "" && (userID != p.userID || (roomID != "" && roomID != r.id)) {
		s.log.Warn("reconnect refused: bearer of another user or room", "socketId", p.socketID, "roomId", r.id,
			"userId", p.userID, "bearerUserId", userID)
		return protocol.CodeAuthFailed
	}
	// The user's websocket count: the old websocket's place, else a new one.
	var u *user
	if old := p.conn; old != nil {
		// The old websocket may still look alive (half-open TCP): its unsent messages move to the new one.
		s.keepForReplay(p, old.queue.close())
		old.closeWith(websocket.ClosePolicyViolation, "replaced by reconnect", false)
		u = old.user.Swap(nil)
	}
	p.stopGrace()
	p.ghost = false
	if p.overflowed {
		if u != nil {
			s.users.release(u)
		}
		s.leaveLocked(p, "too many events missed during reconnect")
		return protocol.CodeReconnectReplayOverflow
	}
	if u == nil {
		if u = s.users.acquire(p.userID, s.now()); u == nil {
			s.userSocketsRefused(p.userID)
			return protocol.CodeUserSocketLimit
		}
	}
	c.user.Store(u)
	p.conn = c
	c.attach(p)
	c.reply(protocol.ActionReconnect, protocol.ReconnectResult{
		SocketID: p.socketID, UserID: p.userID, RoomSize: len(r.members) - 1, Mode: s.opts.Mode,
	})
	for _, m := range p.replay {
		c.send(m)
	}
	s.counters.reconnects.Add(1)
	s.log.Info("participant reconnected", "socketId", p.socketID, "roomId", r.id, "userId", p.userID,
		"replayed", len(p.replay))
	p.dropReplay(s.budget)
	s.rosterChangedLocked(r)
	return 0
}

// leave leaves the room now; the websocket stays open.
func (c *conn) leave(context.Context, json.RawMessage) int {
	return c.inRoom(func(p *participant) int {
		c.srv.leaveLocked(p, "leave action")
		c.p = nil
		c.log = c.srv.log.With("remote", c.ip)
		if c.remote != nil {
			// The websocket's node keeps it open without participant: this end of the link is over, once the
			// reply is sent.
			c.reply(protocol.ActionLeave, nil)
			c.closeWith(closeDetach, "", false)
			return 0
		}
		c.unjoinedNow()
		c.reply(protocol.ActionLeave, nil)
		return 0
	})
}
