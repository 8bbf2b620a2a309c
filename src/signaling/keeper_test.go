package signaling

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/cluster"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// keeperCluster is a loneCluster that sees three other nodes and records the rosters sent to them.
type keeperCluster struct {
	loneCluster
	mu   sync.Mutex
	dead map[string]bool
	sent []keeperSend
}

type keeperSend struct {
	to cluster.Address
	ro roster
}

func (k *keeperCluster) Nodes() []cluster.NodeInfo {
	return []cluster.NodeInfo{{ID: "self", Self: true}, {ID: "x", Load: cluster.Load{Rooms: 5}},
		{ID: "y", Load: cluster.Load{Rooms: 1}}, {ID: "z", Load: cluster.Load{Draining: true}}}
}

func (k *keeperCluster) Alive(node string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return !k.dead[node]
}

func (k *keeperCluster) SendAsync(to cluster.Address, m cluster.Message) (*cluster.Receipt, error) {
	var ro roster
	if m.Kind == kindRoster && json.Unmarshal(m.Body, &ro) == nil {
		k.mu.Lock()
		k.sent = append(k.sent, keeperSend{to: to, ro: ro})
		k.mu.Unlock()
	}
	return nil, nil
}

// waitSent waits for the n-th roster sent and returns it.
func (k *keeperCluster) waitSent(t *testing.T, n int) keeperSend {
	t.Helper()
	var s keeperSend
	testkit.WaitFor(t, testkit.Patient, "a roster to a keeper", func() bool {
		k.mu.Lock()
		defer k.mu.Unlock()
		if len(k.sent) < n {
			return false
		}
		s = k.sent[n-1]
		return true
	})
	return s
}

// TestKeeperChosenAndTold: a room with no edge tells its roster to the least loaded live node that is not draining;
// when that one dies, to the next; when the room empties, the keeper gets the empty roster.
func TestKeeperChosenAndTold(t *testing.T) {
	h := newHarness(t, nil)
	kc := &keeperCluster{dead: map[string]bool{}}
	h.srv.UseCluster(kc, time.Hour, 0)
	alice := h.dial()
	ja := alice.joinAs(h, "r", "alice")
	if s := kc.waitSent(t, 1); s.to != cluster.NodeAddress("y") || len(s.ro.Members) != 1 ||
		s.ro.Members[0].SocketID != ja.SocketID {
		t.Fatalf("first roster %+v, want alice's to y", s)
	}
	kc.mu.Lock()
	kc.dead["y"] = true
	kc.mu.Unlock()
	h.srv.ClusterEvent(cluster.Event{Kind: cluster.NodeDown, Node: "y", Reason: cluster.ReasonSilent})
	if s := kc.waitSent(t, 2); s.to != cluster.NodeAddress("x") || len(s.ro.Members) != 1 {
		t.Fatalf("after y's death %+v, want alice's roster to x", s)
	}
	alice.send("leave", nil)
	alice.expectOK("leave")
	if s := kc.waitSent(t, 3); s.to != cluster.NodeAddress("x") || len(s.ro.Members) != 0 {
		t.Fatalf("after the leave %+v, want the empty roster to x", s)
	}
}

// TestAdoptRoster: a keeper's roster makes the room on its new owner with every member away; at the grace's end
// each leaves with one room.leave.
func TestAdoptRoster(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.ReconnectGrace = 100 * time.Millisecond })
	h.srv.UseCluster(loneCluster{}, time.Hour, 0)
	a, b := newSocketID(), newSocketID()
	h.srv.adoptRoster("r", &roster{Seq: 3, Members: []rosterMember{{SocketID: a, UserID: "alice"},
		{SocketID: b, UserID: "bob"}}})
	st := h.srv.Snapshot()
	if st.Participants != 2 {
		t.Fatalf("after the adoption: %+v, want two members away", st)
	}
	testkit.WaitFor(t, testkit.Patient, "both leave", func() bool { return len(h.pub.ofKey(bus.KeyRoomLeave)) == 2 })
	if st := h.srv.Snapshot(); st.Participants != 0 || len(st.Rooms) != 0 {
		t.Fatalf("after the grace: %+v", st)
	}
}
