package signaling

import (
	"encoding/json"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/cluster"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// kindRoster (to a websocket's node) is a room's membership after a change, from the room's owner: the edges keep
// it so that, if the owner dies, the new owner learns the members no edge holds (ghosts).
const kindRoster = "signal.roster"

// rosterMember is one member of a room as its owner last told the edges.
type rosterMember struct {
	SocketID string `json:"socketId"`
	UserID   string `json:"userId"`
}

// roster is the body of kindRoster, and what a rejoin carries to the new owner. Seq grows with each change on one
// owner, so that an edge keeps the latest whatever order the messages arrive in.
type roster struct {
	Seq     uint64         `json:"seq"`
	Members []rosterMember `json:"members"`
	// from is the owner that sent it (kept by the edge, not sent).
	from string
}

// rosterChangedLocked sends r's membership to every other node holding a websocket of one of its members, after a
// change (a member entered, left, or its websocket moved to another node). Called with r.mu held; the sends run
// on a goroutine of their own, so a slow broker never holds the room.
func (s *Server) rosterChangedLocked(r *room) {
	ps := s.peers.Load()
	if ps == nil {
		return
	}
	r.rosterSeq++
	ro := roster{Seq: r.rosterSeq, Members: make([]rosterMember, 0, len(r.members))}
	edges := make(map[string]struct{})
	for _, m := range r.members {
		ro.Members = append(ro.Members, rosterMember{SocketID: m.socketID, UserID: m.userID})
		if c := m.conn; c != nil && c.remote != nil && c.remote.edge != ps.cl.ID() {
			edges[c.remote.edge] = struct{}{}
		}
	}
	if len(edges) == 0 {
		if k := s.keeperLocked(ps, r, len(r.members) > 0); k != "" {
			edges[k] = struct{}{}
		}
	}
	if len(edges) == 0 {
		return
	}
	body, err := json.Marshal(ro)
	if err != nil {
		return
	}
	go func() {
		defer s.recoverAndReport("roster")
		for edge := range edges {
			m := cluster.Message{Kind: kindRoster, Room: r.id, Body: body}
			if _, err := ps.cl.SendAsync(cluster.NodeAddress(edge), m); err != nil {
				s.log.Debug("roster not sent", "edge", edge, "roomId", r.id, "err", err)
			}
		}
	}()
}

// setRoster keeps a room's roster from its owner: while this node forwards websockets of that room, or as the
// room's keeper (kept, when no node forwards any). It keeps a newer one, or one from another owner (the room moved);
// an empty one ends the keeping.
func (ps *peers) setRoster(d *cluster.Delivery) {
	var ro roster
	if json.Unmarshal(d.Body, &ro) != nil {
		return
	}
	ro.from = d.From
	ps.mu.Lock()
	defer ps.mu.Unlock()
	into := ps.rosters
	if ps.roomLinks[d.Room] == 0 {
		into = ps.kept
		if len(ro.Members) == 0 {
			delete(ps.kept, d.Room)
			return
		}
	}
	if cur := into[d.Room]; cur != nil && cur.from == ro.from && cur.Seq >= ro.Seq {
		return
	}
	into[d.Room] = &ro
}

// rosterOf returns the last roster of room, or nil.
func (ps *peers) rosterOf(room string) *roster {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.rosters[room]
}

// enterGhosts enters, after a rejoin, the members of its roster that the room does not hold: their websocket died
// with the old owner, or they were away. Each waits for a reconnect as after a websocket drop, and leaves at the
// grace's end like any away participant. A newer roster than the one applied drops the ghosts it lacks (they left
// on the old owner, which published their room.leave); an older one changes nothing.
func (s *Server) enterGhosts(roomID string, ro *roster) {
	if ro == nil || s.opts.ReconnectGrace <= 0 {
		return
	}
	s.hub.mu.Lock()
	r := s.hub.rooms[roomID]
	s.hub.mu.Unlock()
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		s.enterGhostsLocked(r, ro)
	}
}

// enterGhostsLocked is enterGhosts with r.mu held, r open.
func (s *Server) enterGhostsLocked(r *room, ro *roster) {
	if ro.Seq <= r.ghostSeq {
		return
	}
	r.ghostSeq = ro.Seq
	if r.departed == nil {
		r.departed = make(map[string]struct{})
	}
	listed := make(map[string]struct{}, len(ro.Members))
	for _, m := range ro.Members {
		listed[m.SocketID] = struct{}{}
	}
	for _, p := range r.others(nil) {
		if _, ok := listed[p.socketID]; !ok && p.ghost && p.conn == nil {
			p.moved = true
			s.leaveLocked(p, "not a member any more")
		}
	}
	for _, m := range ro.Members {
		if _, gone := r.departed[m.SocketID]; gone || s.hub.socket(m.SocketID) != nil {
			continue
		}
		s.enterGhostLocked(r, m)
	}
}

// enterGhostLocked enters m in r as away. In MCU mode its replay says that its media connections moved, and the
// members there are told that their downstream from it went with the old owner. Called with r.mu held.
func (s *Server) enterGhostLocked(r *room, m rosterMember) {
	var v validation
	v.text(m.UserID)
	if len(r.members) >= s.opts.RoomMaxSize || m.UserID == "" || v.code != 0 {
		return
	}
	p := &participant{userID: m.UserID, room: r, ghost: true}
	if _, err := p.as(m.SocketID, s.now()); err != nil {
		return
	}
	if s.hub.addSocket(p) != 0 {
		return
	}
	others := r.others(nil)
	r.members = append(r.members, p)
	if s.media != nil {
		s.media.Joined(r.id, p.socketID)
	}
	if s.opts.Mode == protocol.ModeMCU {
		p.keep(newEvent(protocol.EventWebrtcDown, movedDown), s.bounds)
		from := movedFrom(p)
		for _, o := range others {
			p.keep(movedFrom(o), s.bounds)
			o.deliver(from, s.bounds)
		}
	}
	p.awayGen++
	gen := p.awayGen
	p.awaySince = s.now()
	p.graceTimer = time.AfterFunc(s.opts.ReconnectGrace, func() {
		defer s.recoverAndReport("grace timer")
		s.expire(p, gen)
	})
	s.counters.ghosts.Add(1)
	s.log.Info("member of a moved room entered away, waiting for its reconnect", "socketId", p.socketID,
		"roomId", r.id, "userId", p.userID, "grace", s.opts.ReconnectGrace)
}

// rejoinGhost lets a rejoin take the place of a ghost with its socketId (an edge whose roster came first entered
// it): like a reconnect without reconnectR, since the client already has its place. done is false when there is
// no such participant: the rejoin enters the room as usual.
func (s *Server) rejoinGhost(c *conn, userID, roomID string) (code int, done bool) {
	p := s.hub.socket(c.rejoin.SocketID)
	if p == nil {
		return 0, false
	}
	r := p.room
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case p.gone:
		return protocol.CodeSystem, true
	case p.userID != userID || r.id != roomID:
		return protocol.CodeAuthFailed, true
	case !p.ghost || p.conn != nil:
		// A reconnect took it first: that websocket is the participant's now.
		return protocol.CodeSystem, true
	}
	u := s.users.acquire(p.userID, s.now())
	if u == nil {
		s.userSocketsRefused(p.userID)
		return protocol.CodeUserSocketLimit, true
	}
	p.stopGrace()
	p.ghost = false
	if p.overflowed {
		s.users.release(u)
		s.leaveLocked(p, "too many events missed while the room moved")
		return protocol.CodeReconnectReplayOverflow, true
	}
	c.user.Store(u)
	p.conn = c
	c.attach(p)
	for _, m := range p.replay {
		c.send(m)
	}
	p.dropReplay(s.budget)
	s.rosterChangedLocked(r)
	s.log.Info("participant entered its moved room again in its own place", "socketId", p.socketID, "roomId", r.id,
		"userId", p.userID)
	return 0, true
}
