package signaling

import (
	"fmt"
	"runtime/debug"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// detach runs when c's websocket has ended while attached to a participant: the participant leaves, or it is kept
// away for the grace period with c's unsent messages saved for replay.
func (s *Server) detach(c *conn, leaves bool) {
	p := c.p
	r := p.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.gone || p.conn != c {
		// Already left, or taken over by a reconnect.
		return
	}
	p.conn = nil
	s.keepForReplay(p, append(c.unsentRemote(), c.queue.close()...))
	if leaves || s.opts.ReconnectGrace <= 0 || s.shuttingDown() {
		s.leaveLocked(p, "closed")
		return
	}
	p.awayGen++
	gen := p.awayGen
	p.awaySince = s.now()
	p.graceTimer = time.AfterFunc(s.opts.ReconnectGrace, func() {
		defer s.recoverAndReport("grace timer")
		s.expire(p, gen)
	})
	s.log.Info("participant away, waiting for reconnect", "socketId", p.socketID, "roomId", r.id,
		"userId", p.userID, "grace", s.opts.ReconnectGrace)
}

// keepForReplay puts a dead websocket's unsent messages in front of the participant's replay list. The list is
// built anew: it shares no array with the queue, so no message beyond what it holds stays reachable.
// Called with room.mu held.
func (s *Server) keepForReplay(p *participant, unsent []*outMsg) {
	if len(unsent) == 0 {
		return
	}
	earlier := p.replay
	p.dropReplay(s.budget)
	for _, list := range [][]*outMsg{unsent, earlier} {
		for _, m := range list {
			p.keep(m, s.bounds)
		}
	}
}

// expire ends the grace period started by drop number gen, unless a reconnect came first.
func (s *Server) expire(p *participant, gen uint64) {
	r := p.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.gone || p.conn != nil || p.awayGen != gen {
		return
	}
	s.leaveLocked(p, "reconnect grace period over")
}

// recoverAndReport ends a goroutine's panic with an error log instead of a crash; deferred at each goroutine's top.
func (s *Server) recoverAndReport(where string) {
	if v := recover(); v != nil {
		s.log.Error("panic recovered", "where", where, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	}
}

func (s *Server) shuttingDown() bool {
	s.connsMu.Lock()
	defer s.connsMu.Unlock()
	return s.closing
}

// leaveLocked takes p out of its room for good and tells the others. Called with p.room.mu held.
func (s *Server) leaveLocked(p *participant, why string) {
	r := p.room
	p.gone = true
	p.stopGrace()
	p.conn = nil
	p.dropReplay(s.budget)
	r.remove(p)
	s.hub.removeSocket(p)
	if r.departed != nil {
		r.departed[p.socketID] = struct{}{}
	}
	size := len(r.members)
	if !p.moved {
		s.publisher.Publish(bus.RoomLeave{RoomID: r.id, RoomSize: size, SocketID: p.socketID, UserID: p.userID})
	}
	if s.media != nil {
		s.media.Left(r.id, p.socketID)
	}
	if size == 0 {
		// Its keeper, if any, is told the room is empty, so that it never brings the leavers back.
		s.rosterChangedLocked(r)
		r.closed = true
		s.hub.removeRoom(r)
	} else {
		left := newEvent(protocol.EventLeave,
			protocol.LeaveEvent{RoomID: r.id, RoomSize: size, SocketID: p.socketID, UserID: p.userID})
		umc := newEvent(protocol.EventUserMediaConfiguration, s.userMediaConfiguration(size-1))
		for _, m := range r.members {
			m.deliver(left, s.bounds)
			m.deliver(umc, s.bounds)
		}
		s.rosterChangedLocked(r)
	}
	s.log.Info("participant left", "socketId", p.socketID, "roomId", r.id, "userId", p.userID, "why", why,
		"roomSize", size)
}

// inRoom runs change on c's participant with its room locked, and returns change's result, or 1297 when c holds no
// participant (it never joined, it left, or a reconnect took its place).
func (c *conn) inRoom(change func(p *participant) int) int {
	p := c.p
	if p == nil {
		return protocol.CodeUserNotAuthenticated
	}
	p.room.mu.Lock()
	defer p.room.mu.Unlock()
	if p.gone || p.conn != c {
		c.p = nil
		return protocol.CodeUserNotAuthenticated
	}
	return change(p)
}
