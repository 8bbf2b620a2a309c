package signaling

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/cluster"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// kindAdopt (a request to a room) hands a room's last roster from its dead owner to its new owner, from the room's
// keeper: the node told the roster while no other node held a websocket of the room. The new owner enters every
// listed member away (ghosts) and answers kindResult.
const kindAdopt = "signal.adopt"

// keeperLocked returns the node that keeps r's roster while no other node holds a websocket of it: r's keeper if
// it is alive, else the least loaded other live node that is not draining (none when alone). With keep false the
// keeping ends: the keeper is returned a last time, to be told the empty roster. Called with r.mu held.
func (s *Server) keeperLocked(ps *peers, r *room, keep bool) string {
	if !keep {
		k := r.keeper
		r.keeper = ""
		return k
	}
	if r.keeper != "" && ps.cl.Alive(r.keeper) {
		return r.keeper
	}
	r.keeper = ""
	var best cluster.Load
	for _, n := range ps.cl.Nodes() {
		if n.Self || n.Load.Draining || !ps.cl.Alive(n.ID) {
			continue
		}
		l := n.Load
		if r.keeper == "" || l.Rooms+l.Participants < best.Rooms+best.Participants ||
			(l.Rooms+l.Participants == best.Rooms+best.Participants && n.ID < r.keeper) {
			r.keeper, best = n.ID, l
		}
	}
	return r.keeper
}

// keepersDown runs when node died: the rooms this node owns and node kept get another keeper, and the rooms node
// owned whose roster this node kept, with no websocket of them here, are placed again and adopted by their new
// owner.
func (s *Server) keepersDown(ps *peers, node string) {
	for _, r := range s.hub.roomList() {
		r.mu.Lock()
		if !r.closed && r.keeper == node {
			r.keeper = ""
			s.rosterChangedLocked(r)
		}
		r.mu.Unlock()
	}
	ps.mu.Lock()
	orphans := make(map[string]*roster)
	for room, ro := range ps.kept {
		if ro.from == node {
			delete(ps.kept, room)
			if ps.roomLinks[room] == 0 {
				orphans[room] = ro
			}
		}
	}
	ps.mu.Unlock()
	for room, ro := range orphans {
		go s.adopt(ps, room, ro)
	}
}

// adopt places room again and hands ro to its new owner, as an edge's failover does with its participant, until
// failoverTimeout.
func (s *Server) adopt(ps *peers, room string, ro *roster) {
	defer s.recoverAndReport("adopt")
	body, err := json.Marshal(ro)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), failoverTimeout)
	defer cancel()
	delay := 50 * time.Millisecond
	for ctx.Err() == nil {
		_, err := ps.cl.Place(ctx, room)
		if err == nil {
			var res peerResult
			m := cluster.Message{Kind: kindAdopt, Room: room, Body: body}
			res, err = ps.request(ctx, cluster.RoomAddress(room), m)
			if err == nil && res.Code != 0 {
				err = fmt.Errorf("signaling: the new owner refused the roster (%d)", res.Code)
			}
			if err == nil {
				s.log.Info("kept room placed again with its members away", "roomId", room, "owner", res.Node,
					"members", len(ro.Members))
				return
			}
		}
		s.log.Info("kept room not placed again yet", "roomId", room, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
	s.log.Warn("kept room not placed again: its members' reconnects will fail", "roomId", room)
}

// peerAdopt enters, on this node (the room's new owner), the members of a dead owner's roster sent by its keeper.
func (s *Server) peerAdopt(ps *peers, d *cluster.Delivery) {
	var ro roster
	if json.Unmarshal(d.Body, &ro) != nil || !d.IsRequest() {
		s.log.Debug("malformed roster from a node dropped", "from", d.From)
		replyPeer(d, peerResult{Code: protocol.CodeSystem})
		return
	}
	if s.opts.ReconnectGrace > 0 {
		s.adoptRoster(d.Room, &ro)
	}
	replyPeer(d, peerResult{Room: d.Room, Node: ps.cl.ID()})
}

// adoptRoster enters ro's members away in the room id, created when needed, and tells the room's new keeper.
func (s *Server) adoptRoster(id string, ro *roster) {
	for {
		r := s.hub.room(id, s.now())
		r.mu.Lock()
		if r.closed {
			// Its last member left between the lookup and the lock: the hub now makes a fresh room.
			r.mu.Unlock()
			continue
		}
		s.enterGhostsLocked(r, ro)
		if len(r.members) == 0 {
			r.closed = true
			s.hub.removeRoom(r)
		} else {
			s.rosterChangedLocked(r)
		}
		r.mu.Unlock()
		return
	}
}
