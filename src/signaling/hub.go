package signaling

import (
	"sync"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// hub indexes the live rooms by roomId and the participants by socketId. While draining it takes no new
// participant, and closes drained when the last one is gone.
type hub struct {
	// mu is taken after a room's mutex, never before: a room's change registers its participants here.
	mu      sync.Mutex
	rooms   map[string]*room
	sockets map[string]*participant

	draining      bool
	drained       chan struct{}
	drainedClosed bool
}

func newHub() *hub {
	return &hub{rooms: make(map[string]*room), sockets: make(map[string]*participant), drained: make(chan struct{})}
}

// drain refuses new participants from now on and returns the channel closed once none remains.
func (h *hub) drain() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.draining = true
	h.closeDrainedIfEmpty()
	return h.drained
}

// closeDrainedIfEmpty closes drained once, when draining and empty. Called with h.mu held.
func (h *hub) closeDrainedIfEmpty() {
	if h.draining && len(h.sockets) == 0 && !h.drainedClosed {
		h.drainedClosed = true
		close(h.drained)
	}
}

// counts returns the number of live rooms and of participants.
func (h *hub) counts() (rooms, participants int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.rooms), len(h.sockets)
}

// room returns the room named id, creating it when needed. The caller must lock it and check closed.
func (h *hub) room(id string, now time.Time) *room {
	h.mu.Lock()
	defer h.mu.Unlock()
	r, ok := h.rooms[id]
	if !ok {
		r = newRoom(id, now)
		h.rooms[id] = r
	}
	return r
}

// removeRoom forgets r if it is still the room of its id. Called with r.mu held.
func (h *hub) removeRoom(r *room) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rooms[r.id] == r {
		delete(h.rooms, r.id)
	}
}

// addSocket registers p, or returns the error code of the join: protocol.CodeServerDraining while draining,
// protocol.CodeSystem if the socketId is taken (never in practice: 128 random bits), so a collision cannot hijack a
// place.
// Called with p.room.mu held.
func (h *hub) addSocket(p *participant) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.draining {
		return protocol.CodeServerDraining
	}
	if _, taken := h.sockets[p.socketID]; taken {
		return protocol.CodeSystem
	}
	h.sockets[p.socketID] = p
	return 0
}

// removeSocket forgets p. Called with p.room.mu held.
func (h *hub) removeSocket(p *participant) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sockets[p.socketID] == p {
		delete(h.sockets, p.socketID)
	}
	h.closeDrainedIfEmpty()
}

func (h *hub) socket(id string) *participant {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sockets[id]
}

// roomList returns the live rooms, for snapshots.
func (h *hub) roomList() []*room {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*room, 0, len(h.rooms))
	for _, r := range h.rooms {
		out = append(out, r)
	}
	return out
}
