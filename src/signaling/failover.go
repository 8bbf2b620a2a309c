package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/cluster"
)

// failoverTimeout bounds the attempts to move a participant to a new owner after its owner died.
const failoverTimeout = 30 * time.Second

// closeMoved is the close code of a link whose room this node lost to another (RoomLost): the edge enters the
// room again on its new owner, as after the owner's death, and its websocket stays open.
const closeMoved = -1

// ClusterEvent is the cluster node's OnEvent. When a node dies, the websockets of this node whose participant was in
// one of its rooms enter that room again on a new owner (placed by the first of them to ask), keeping their
// socketId; the room's other websockets, on other nodes, do the same. When this node loses a room it ran (another
// node claimed it while this one was cut from the broker), its participants move the same way.
func (s *Server) ClusterEvent(e cluster.Event) {
	ps := s.peers.Load()
	if ps == nil {
		return
	}
	switch e.Kind {
	case cluster.NodeDown:
		if e.Reason == cluster.ReasonLeft {
			// A node that leaves drains: it still runs its rooms and holds its websockets until it stops, and
			// ends them as a single server would (its links' close frames say so).
			return
		}
		for _, c := range ps.forwarding(e.Node) {
			if f := c.fwd.Load(); f != nil {
				go c.failover(ps, f)
			}
		}
		s.edgeDown(e.Node)
		s.keepersDown(ps, e.Node)
	case cluster.RoomLost:
		s.roomLost(e.Room)
	}
}

// failover enters f's participant in its room again on the room's new owner, which offers media anew: the client
// gets eventWebrtcDown "moved" for its upstream and publishes again. It gives up after failoverTimeout, and the
// websocket is closed as the owner's shutdown would close it.
func (c *conn) failover(ps *peers, f *forward) {
	defer c.srv.recoverAndReport("failover")
	ctx, cancel := context.WithTimeout(context.Background(), failoverTimeout)
	defer cancel()
	delay := 50 * time.Millisecond
	for ctx.Err() == nil && c.fwd.Load() == f {
		_, err := ps.cl.Place(ctx, f.room)
		if err == nil {
			err = c.reenter(ctx, ps, f)
			if err == nil {
				return
			}
		}
		c.srv.log.Info("failover: the room could not be entered again yet", "socketId", f.socketID,
			"roomId", f.room, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
	if c.fwd.CompareAndSwap(f, nil) {
		c.srv.log.Warn("failover failed: websocket closed", "socketId", f.socketID, "roomId", f.room)
		ps.removeLink(f.link)
		c.closeWith(closeServiceRestart, "service restart", false)
	}
}

// reenter enters f's participant in its room on the node that owns it now (this one included: its remote
// connection then sends through this node's own inbox), and forwards the websocket's frames there.
func (c *conn) reenter(ctx context.Context, ps *peers, f *forward) error {
	e := peerEntry{Link: newSocketID(), IP: c.ip, Frame: f.join, SocketID: f.socketID, JoinedAt: f.joinedAt,
		Roster: ps.rosterOf(f.room)}
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	ps.addLink(e.Link, f.room, c)
	res, err := ps.request(ctx, cluster.RoomAddress(f.room),
		cluster.Message{Kind: kindRejoin, Room: f.room, Socket: e.Link, Body: body})
	if err == nil && res.Code != 0 {
		err = fmt.Errorf("signaling: the new owner refused the participant (%d)", res.Code)
	}
	if err != nil {
		ps.removeLink(e.Link)
		return err
	}
	moved := *f
	moved.owner, moved.link = res.Node, e.Link
	if !c.fwd.CompareAndSwap(f, &moved) {
		// The websocket ended meanwhile: the new owner keeps the participant for a reconnect.
		c.srv.forwardEnd(&moved, false)
		return nil
	}
	ps.removeLink(f.link)
	c.srv.counters.failovers.Add(1)
	c.srv.log.Info("participant moved to the room's new owner", "socketId", f.socketID, "roomId", f.room,
		"owner", res.Node)
	return nil
}

// edgeDown drops the remote connections whose websocket was on node, which died: their participants wait for a
// reconnect through another node, as after a websocket drop.
func (s *Server) edgeDown(node string) {
	s.connsMu.Lock()
	var dropped []*conn
	for c := range s.conns {
		if c.remote != nil && c.remote.edge == node {
			dropped = append(dropped, c)
		}
	}
	s.connsMu.Unlock()
	for _, c := range dropped {
		c.remote.push(c, peerItem{end: true})
	}
}

// roomLost moves the participants of a room this node no longer owns: those whose websocket is on another node
// enter it again on its new owner (the link's close tells their node to); those whose websocket is here leave, and
// their websocket is closed (1012): their client joins again. The moved ones leave this node's room without a
// room.leave on the bus: for the bus they stay in the room.
func (s *Server) roomLost(id string) {
	s.hub.mu.Lock()
	r := s.hub.rooms[id]
	s.hub.mu.Unlock()
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s.log.Warn("room lost to another node: its participants move", "roomId", id, "members", len(r.members))
	for _, p := range r.others(nil) {
		c := p.conn
		switch {
		case c != nil && c.remote != nil:
			p.moved = true
			c.closeWith(closeMoved, "", false)
		case c != nil:
			c.closeWith(closeServiceRestart, "service restart", false)
		}
		s.leaveLocked(p, "room lost to another node")
	}
}

// releaseEmptyRooms gives up, every quarter of the release delay, the rooms this node owns that have had no member
// for that delay, until ctx ends. A join handled meanwhile keeps the room (Release's idle check).
func (s *Server) releaseEmptyRooms(ctx context.Context, ps *peers) {
	defer s.recoverAndReport("room release loop")
	t := time.NewTicker(ps.releaseAfter / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.releaseSweep(ctx, ps)
		}
	}
}

func (s *Server) releaseSweep(ctx context.Context, ps *peers) {
	now := s.now()
	owned := ps.cl.Rooms()
	for id := range ps.emptySince {
		if !slices.Contains(owned, id) {
			delete(ps.emptySince, id)
		}
	}
	for _, id := range owned {
		if s.roomInUse(id) {
			delete(ps.emptySince, id)
			continue
		}
		since, ok := ps.emptySince[id]
		if !ok {
			ps.emptySince[id] = now
			continue
		}
		if now.Sub(since) < ps.releaseAfter {
			continue
		}
		delete(ps.emptySince, id)
		err := ps.cl.Release(ctx, id, func() bool { return !s.roomInUse(id) })
		if err != nil && !errors.Is(err, cluster.ErrRoomBusy) {
			s.log.Warn("empty room not released", "roomId", id, "err", err)
		}
	}
}

// roomInUse reports whether the room id has members on this node.
func (s *Server) roomInUse(id string) bool {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.hub.rooms[id] != nil
}
