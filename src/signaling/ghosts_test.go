package signaling

import (
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// TestGhostsFromRosters: the members a rejoin's roster lists and the room lacks are entered away (ghosts); an older
// roster changes nothing; a newer one drops the ghosts it lacks without a room.leave; a socketId that left here is
// not brought back by a later roster; a ghost's client reconnects, keeps its socketId and gets its replay.
func TestGhostsFromRosters(t *testing.T) {
	h := newHarness(t, nil)
	h.srv.UseCluster(loneCluster{}, time.Hour, 0)
	alice := h.dial()
	ja := alice.joinAs(h, "r", "alice")
	carol, dave, erin := newSocketID(), newSocketID(), newSocketID()
	member := func(id, user string) rosterMember { return rosterMember{SocketID: id, UserID: user} }
	h.srv.enterGhosts("r", &roster{Seq: 5, Members: []rosterMember{member(ja.SocketID, "alice"),
		member(carol, "carol"), member(dave, "dave")}})
	away := func() map[string]bool {
		out := map[string]bool{}
		for _, r := range h.srv.Snapshot().Rooms {
			for _, p := range r.Participants {
				out[p.SocketID] = !p.Connected
			}
		}
		return out
	}
	if got := away(); len(got) != 3 || got[ja.SocketID] || !got[carol] || !got[dave] {
		t.Fatalf("after the first roster: %v, want alice here and carol and dave away", got)
	}
	h.srv.enterGhosts("r", &roster{Seq: 4, Members: []rosterMember{member(erin, "erin")}})
	if got := away(); len(got) != 3 {
		t.Fatalf("an older roster changed the room: %v", got)
	}
	h.srv.enterGhosts("r", &roster{Seq: 6, Members: []rosterMember{member(ja.SocketID, "alice"),
		member(carol, "carol")}})
	if got := away(); len(got) != 2 || !got[carol] {
		t.Fatalf("after a newer roster without dave: %v", got)
	}
	if n := len(h.pub.ofKey(bus.KeyRoomLeave)); n != 0 {
		t.Fatalf("%d room.leave for a ghost the old owner had seen leave", n)
	}
	h.srv.enterGhosts("r", &roster{Seq: 7, Members: []rosterMember{member(ja.SocketID, "alice"),
		member(carol, "carol"), member(dave, "dave")}})
	if got := away(); len(got) != 2 {
		t.Fatalf("a later roster brought back a member that left: %v", got)
	}

	// The dropped ghost's eventLeave (alice may have missed the old owner's) and its eventUserMediaConfiguration.
	alice.flush()
	alice.send("sendMessage", map[string]any{"to": carol, "message": "while away"})
	alice.expectOK("sendMessage")
	c := h.dial()
	c.send("reconnect", map[string]any{"socketId": carol, "bearer": h.token("carol", "")})
	r := decode[protocol.ReconnectResult](t, c.expectOK("reconnect").D)
	if r.SocketID != carol {
		t.Fatalf("reconnected as %s, want %s", r.SocketID, carol)
	}
	// Her replay: dave's eventLeave and the room's new media configuration, then alice's message.
	for m := c.next(); m.A != "eventMessage"; m = c.next() {
	}
	if got := away(); got[carol] {
		t.Fatal("carol still away after her reconnect")
	}
}
