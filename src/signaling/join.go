package signaling

import (
	"context"
	"encoding/json"

	"github.com/heytribe/live-webrtcsignaling/src/auth"
	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// join enters the room of the request, after checking its bearer.
func (c *conn) join(ctx context.Context, d json.RawMessage) int {
	if c.p != nil {
		return protocol.CodeRoomAlreadyJoined
	}
	var req joinRequest
	if code := decodeRequest(d, &req); code != 0 {
		return code
	}
	var v validation
	v.id(req.RoomID)
	v.required(req.Bearer != nil && *req.Bearer != "")
	for _, s := range []string{req.Platform, req.DeviceName, req.NetworkType, req.Version, req.AppVersion, req.Camera} {
		v.text(s)
	}
	v.valid(req.Orientation >= 0 && req.Orientation <= maxOrientation)
	v.valid(req.MaxVideoBitrate >= 0 && req.MaxVideoBitrate <= maxBitrate)
	v.valid(req.MaxAudioBitrate >= 0 && req.MaxAudioBitrate <= maxBitrate)
	if v.code != 0 {
		return v.code
	}
	claims, ok := c.authenticate(protocol.ActionJoin, *req.Bearer)
	if !ok {
		return protocol.CodeAuthFailed
	}
	if claims.RoomID != "" && claims.RoomID != *req.RoomID {
		c.log.Info("join refused: token bound to another room", "userId", claims.UserID, "roomId", *req.RoomID)
		return protocol.CodeAuthFailed
	}
	if code, routed := c.joinElsewhere(ctx, *req.RoomID, d); routed {
		return code
	}
	if c.rejoin != nil {
		if code, done := c.srv.rejoinGhost(c, claims.UserID, *req.RoomID); done {
			return code
		}
	}
	u := c.srv.users.acquire(claims.UserID, c.srv.now())
	if u == nil {
		c.srv.userSocketsRefused(claims.UserID)
		return protocol.CodeUserSocketLimit
	}
	c.user.Store(u)
	p, err := newParticipantWith(claims.UserID, c, &req, c.srv.now())
	if err == nil && c.rejoin != nil {
		p, err = p.as(c.rejoin.SocketID, c.rejoin.JoinedAt)
	}
	if err != nil {
		c.releaseUser()
		return protocol.CodeSystem
	}
	code := c.srv.enter(p, *req.RoomID)
	if code != 0 {
		c.releaseUser()
		return code
	}
	c.keepOwnership(ctx, *req.RoomID)
	return 0
}

// userSocketsRefused counts and logs a join or reconnect refused with 1336.
func (s *Server) userSocketsRefused(userID string) {
	s.counters.userSockets.Add(1)
	s.log.Info("join refused: too many websockets of this user", "userId", userID, "limit", s.opts.SocketsPerUser)
}

// authenticate verifies a bearer, logging why it is refused (1286). The token is never logged.
func (c *conn) authenticate(action, bearer string) (auth.Claims, bool) {
	claims, err := c.srv.verifier.Verify(bearer, c.verifyTime())
	if err != nil {
		c.log.Info("bearer refused", "action", action, "reason", err)
		return auth.Claims{}, false
	}
	return claims, true
}

// attach makes p the participant of c, and sets its logger. Runs on c's read goroutine.
func (c *conn) attach(p *participant) {
	c.p = p
	c.joinedNow()
	c.log = c.srv.log.With("socketId", p.socketID, "roomId", p.room.id, "userId", p.userID, "remote", c.ip)
}

// enter puts p in the room roomID, tells the others and answers joinR, or returns the error code.
func (s *Server) enter(p *participant, roomID string) int {
	for {
		if code, entered := s.tryEnter(p, s.hub.room(roomID, s.now())); entered {
			return code
		}
		// The last member left between the lookup and the lock: the hub now makes a fresh room.
	}
}

// tryEnter locks r and enters p unless r has closed meanwhile (entered false).
func (s *Server) tryEnter(p *participant, r *room) (code int, entered bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, false
	}
	return s.enterLocked(p, r), true
}

// enterLocked is enter with r.mu held: the membership change and every message it causes, in order.
func (s *Server) enterLocked(p *participant, r *room) int {
	if len(r.members) >= s.opts.RoomMaxSize {
		return protocol.CodeRoomIsFull
	}
	p.room = r
	if code := s.hub.addSocket(p); code != 0 {
		if len(r.members) == 0 {
			r.closed = true
			s.hub.removeRoom(r)
		}
		return code
	}
	others := r.others(nil)
	r.members = append(r.members, p)
	// Attached before any callback runs, so that even a panic further on leaves a participant its websocket
	// can still take out of the room.
	p.conn.attach(p)
	// A participant entering its room again on a new owner joined it once for the bus.
	if p.conn.rejoin == nil {
		s.publishJoin(r, p)
	}
	if s.media != nil {
		s.media.Joined(r.id, p.socketID)
	}
	s.tellJoined(r, p, others)
	s.rosterChangedLocked(r)
	return 0
}

// publishJoin publishes p's room.join. Called with r.mu held.
func (s *Server) publishJoin(r *room, p *participant) {
	s.publisher.Publish(bus.RoomJoin{
		RoomID: r.id, RoomSize: len(r.members), SocketID: p.socketID, UserID: p.userID, Platform: p.platform,
		DeviceName: p.deviceName, NetworkType: p.networkType, AppVersion: p.appVersion, Version: p.version,
		IP: p.ip, Bitrate: p.maxVideoBitrate,
	})
}

// tellJoined tells the others of r that p joined, and p who they are: its joinR, or for a participant entering its
// room again on a new owner, that its upstream must be published again. Called with r.mu held.
func (s *Server) tellJoined(r *room, p *participant, others []*participant) {
	umc := s.userMediaConfiguration(len(others))
	if len(others) > 0 {
		umcEvent := newEvent(protocol.EventUserMediaConfiguration, umc)
		joinerOrientation := p.orientationEvent()
		for _, o := range others {
			o.deliver(umcEvent, s.bounds)
			p.conn.send(o.orientationEvent())
			o.deliver(joinerOrientation, s.bounds)
		}
	}
	sessions := make([]protocol.Session, len(others))
	for i, o := range others {
		sessions[i] = protocol.Session{SocketID: o.socketID, UserID: o.userID}
	}
	if p.conn.rejoin == nil {
		p.conn.reply(protocol.ActionJoin, protocol.JoinResult{
			SocketID: p.socketID, UserID: p.userID, RoomSize: len(others), Mode: s.opts.Mode,
			UserMediaConfiguration: umc, Sessions: sessions,
		})
	} else if s.opts.Mode == protocol.ModeMCU {
		s.tellMoved(p, others)
	}
	s.log.Info("participant joined", "socketId", p.socketID, "roomId", r.id, "userId", p.userID,
		"roomSize", len(r.members), "rejoin", p.conn.rejoin != nil)
}

// tellMoved tells a participant that entered its moved room (its owner died) that its media connections went with
// the old owner: its upstream, which it publishes again, and its downstream from each member already here; and
// tells those members that their downstream from it went too. The client already had its joinR. The new owner
// offers every stream anew as its publisher publishes again. Called with p.room.mu held.
func (s *Server) tellMoved(p *participant, others []*participant) {
	p.conn.send(newEvent(protocol.EventWebrtcDown, movedDown))
	from := movedFrom(p)
	for _, o := range others {
		p.conn.send(movedFrom(o))
		o.deliver(from, s.bounds)
	}
}

// movedFrom is eventWebrtcDown "moved" for the downstream from o.
func movedFrom(o *participant) *outMsg {
	return newEvent(protocol.EventWebrtcDown, protocol.WebrtcDownEvent{From: o.from(), Reason: protocol.ReasonMoved,
		Phase: protocol.PhaseMedia})
}
