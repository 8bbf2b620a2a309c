package e2e

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// frontProxy is the one address a page knows, in front of the nodes as a load balancer is: each connection goes to
// the first node of its list that accepts it, so a page reaches its own node while it runs and another one when it
// is gone.
type frontProxy struct {
	// URL is the proxy's address: http://127.0.0.1:port.
	URL      string
	backends []string
	ln       net.Listener
	mu       sync.Mutex
	// used counts the connections per backend.
	used map[string]int
	wg   sync.WaitGroup
}

// newFrontProxy forwards to the first of backends (host:port) that accepts, until the end of the test.
func newFrontProxy(t testing.TB, backends ...string) *frontProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &frontProxy{URL: "http://" + ln.Addr().String(), backends: backends, ln: ln, used: make(map[string]int)}
	p.wg.Add(1)
	go p.accept(t)
	t.Cleanup(func() {
		_ = ln.Close()
		p.wg.Wait()
	})
	return p
}

func (p *frontProxy) accept(t testing.TB) {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				t.Errorf("front proxy accept: %v", err)
			}
			return
		}
		upstream, backend := p.dial()
		if upstream == nil {
			_ = client.Close()
			continue
		}
		p.mu.Lock()
		p.used[backend]++
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(client, upstream)
		go p.pipe(upstream, client)
	}
}

// dial connects to the first backend that accepts.
func (p *frontProxy) dial() (net.Conn, string) {
	for _, b := range p.backends {
		if c, err := net.DialTimeout("tcp", b, time.Second); err == nil {
			return c, b
		}
	}
	return nil, ""
}

// pipe copies src to dst; when either side ends, both are closed, as a load balancer does.
func (p *frontProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
}

// hostPort is the node's listener address, for the proxies.
func (n *clusterNode) hostPort() string { return strings.TrimPrefix(n.URL, "http://") }

// decodingAgain is a condition over the reports that holds once every page decodes every other again after a
// failure at time since: for each pair, a report after since+settle shows more frames than the previous report
// after since+settle did (the same connection flows again), or fewer and some (a new connection decodes). The
// frames still in the jitter buffer when the media stopped are decoded within settle. It records when each pair
// first decoded again.
func decodingAgain(users []string, since time.Time, settle time.Duration, again map[string]time.Time) func(map[string]report) bool {
	type seen struct {
		at     time.Time
		frames int64
	}
	last := map[string]seen{}
	return func(all map[string]report) bool {
		done := true
		for _, to := range users {
			rep, ok := all[to]
			for _, from := range users {
				if from == to {
					continue
				}
				key := from + "->" + to
				if _, ok := again[key]; ok {
					continue
				}
				p, found := rep.peer(from)
				if !ok || !found || rep.at.Before(since.Add(settle)) {
					done = false
					continue
				}
				prev, had := last[key]
				if had && rep.at.After(prev.at) && p.FramesDecoded != prev.frames && p.FramesDecoded > 0 && p.FrameWidth > 0 {
					again[key] = rep.at
					continue
				}
				last[key] = seen{at: rep.at, frames: p.FramesDecoded}
				done = false
			}
		}
		return done
	}
}

// latest returns the latest of the times.
func latest(times map[string]time.Time) time.Time {
	var l time.Time
	for _, at := range times {
		if at.After(l) {
			l = at
		}
	}
	return l
}

// TestClusterBrowsers is the media proof of the cluster: two pages in one room, each on a node that does not own
// the room, decode each other through the owner; kill -9 of the owner gives the room a new owner within 10 s and
// both pages decode again; kill -9 of the node holding a page's websocket makes the page reconnect through its
// front proxy to another node, within the grace period, keeping its place (same socketId, no room.leave), and
// both decode again. The bus shows each room.join once, and no room.leave until the pages are gone.
func TestClusterBrowsers(t *testing.T) {
	c := newCluster(t)
	consumer := brokertest.NewConsumer(t, c.Broker.URL, liveEvents)
	c.startNodes(t, 3, map[string]string{"MEDIA_MODE": "mcu", "RECONNECT_GRACE": "30s"})
	const room = "cluster-browsers"
	owner, first, _ := ownedElsewhere(t, c, room, c.Nodes[0])
	edges := c.others(owner)
	t.Logf("room %s owned by %s; alice's websocket on %s, bob's on %s", room, owner, edges[0].ID, edges[1].ID)

	reps := newReports(t)
	users := []string{"alice", "bob"}
	// Each page reaches its own node while it lives, then the other edge, then the first owner.
	fronts := map[string]*frontProxy{
		"alice": newFrontProxy(t, edges[0].hostPort(), edges[1].hostPort(), c.node(owner).hostPort()),
		"bob":   newFrontProxy(t, edges[1].hostPort(), edges[0].hostPort(), c.node(owner).hostPort()),
	}
	start := time.Now()
	for _, u := range users {
		startPage(t, fronts[u].URL, page{Room: room, User: u, Bearer: bearer(t, u)}, reps)
	}
	before := reps.waitFor(t, firstMediaTimeout, "pages on two non-owner nodes decode each other", decoding(users, nil))
	t.Logf("pages on %s and %s decode each other through owner %s, %v after they started", edges[0].ID, edges[1].ID,
		owner, time.Since(start).Round(time.Millisecond))
	// The first member is a websocket without media: it leaves, so that only the pages are in the room.
	first.send("leave", nil)
	first.ok("leave")
	socketOf := map[string]string{"alice": before["alice"].SocketID, "bob": before["bob"].SocketID}

	// kill -9 of the owner.
	killed := time.Now()
	c.node(owner).Kill()
	newOwner, owned := c.newOwnerAfterKill(t, room, owner, killed)
	again := map[string]time.Time{}
	reps.waitFor(t, recoveryTimeout, "both pages decode each other again after the owner's kill",
		decodingAgain(users, killed, 500*time.Millisecond, again))
	t.Logf("FIGURE failover: owner %s killed; %s owns the room after %v; both pages decode again after %v "+
		"(reports come every second)", owner, newOwner, owned.Round(time.Millisecond),
		latest(again).Sub(killed).Round(time.Millisecond))

	// kill -9 of a node holding a websocket and not the room: the edge that is not the new owner.
	c.node(owner).Restart()
	c.waitPeers(t, c.Nodes)
	var signaling *clusterNode
	var moved string
	for i, e := range edges {
		if e.ID != newOwner {
			signaling, moved = e, users[i]
		}
	}
	reconnectsBefore := reps.waitFor(t, testkit.Patient, "reports", func(all map[string]report) bool {
		return all[moved].Joined
	})[moved].Reconnects
	killed = time.Now()
	signaling.Kill()
	clear(again)
	after := reps.waitFor(t, recoveryTimeout, moved+" reconnected through another node, both decoding again",
		allOf(func(all map[string]report) bool {
			r := all[moved]
			return r.Joined && r.Reconnects > reconnectsBefore
		}, decodingAgain(users, killed, 500*time.Millisecond, again)))
	t.Logf("FIGURE edge: %s's node %s killed; %s reconnected (first report saying so) %v later; media, between "+
		"the pages and the owner, went on", moved, signaling.ID, moved, after[moved].at.Sub(killed).Round(time.Millisecond))
	for _, u := range users {
		r := after[u]
		if r.SocketID != socketOf[u] || r.Rejoins != 0 {
			t.Errorf("%s: socketId %s (was %s), %d rejoins: the place was not kept", u, r.SocketID, socketOf[u],
				r.Rejoins)
		}
		// The owner's death is told to each page as its streams moving (docs/API.md, Failures, "moved"): a notice,
		// not an error; the page publishes again at once.
		for _, e := range r.Errors {
			t.Errorf("%s showed an error: %q", u, e)
		}
	}

	waitBus(t, consumer, room, []string{bus.KeyRoomJoin + " " + socketOf["alice"], bus.KeyRoomJoin + " " + socketOf["bob"],
		bus.KeyRoomJoin + " " + first.socketID, bus.KeyRoomLeave + " " + first.socketID})
	_, count := busEvents(consumer.Messages(), room)
	for u, s := range socketOf {
		if count[bus.KeyRoomLeave+" "+s] != 0 {
			t.Errorf("%s's room.leave is on the bus while the page is in the room", u)
		}
	}
}
