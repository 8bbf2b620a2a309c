package signaling

import (
	"slices"
	"sync"
	"time"
)

// room is one conversation. Its mutex guards members, closed, and the mutable fields of every member.
type room struct {
	id        string
	createdAt time.Time

	mu      sync.Mutex
	members []*participant // in join order
	// closed is set when the last member leaves; a joiner that finds it closed asks the hub for a fresh room.
	closed bool
	// rosterSeq numbers the membership changes sent to the edges (rosterChangedLocked). In a room that moved here,
	// ghostSeq is the seq of the newest old owner's roster applied, and departed the socketIds that left since, so
	// that a late rejoin's older roster cannot bring them back.
	rosterSeq, ghostSeq uint64
	departed            map[string]struct{}
	// keeper is the node told r's roster while no other node holds a websocket of r (keeperLocked).
	keeper string
}

func newRoom(id string, now time.Time) *room {
	return &room{id: id, createdAt: now}
}

// others returns the members except p. Called with r.mu held.
func (r *room) others(p *participant) []*participant {
	out := make([]*participant, 0, len(r.members))
	for _, m := range r.members {
		if m != p {
			out = append(out, m)
		}
	}
	return out
}

// member returns the member whose socketId is id, if any. Called with r.mu held.
func (r *room) member(id string) *participant {
	for _, m := range r.members {
		if m.socketID == id {
			return m
		}
	}
	return nil
}

// remove takes p out of the members. Called with r.mu held.
func (r *room) remove(p *participant) {
	if i := slices.Index(r.members, p); i >= 0 {
		r.members = slices.Delete(r.members, i, i+1)
	}
}
