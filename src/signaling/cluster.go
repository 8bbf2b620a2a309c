package signaling

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/cluster"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// Cluster is what the signaling server needs of its node of a cluster (a *cluster.Node): placement, the rooms it
// owns, messages to a room's owner and to a node, and the live nodes.
type Cluster interface {
	ID() string
	Place(ctx context.Context, room string) (string, error)
	Claim(ctx context.Context, room string) (string, error)
	Owns(room string) bool
	Rooms() []string
	Release(ctx context.Context, room string, idle func() bool) error
	Send(ctx context.Context, to cluster.Address, m cluster.Message) error
	SendAsync(to cluster.Address, m cluster.Message) (*cluster.Receipt, error)
	Request(ctx context.Context, to cluster.Address, m cluster.Message) (cluster.Message, error)
	Nodes() []cluster.NodeInfo
	Alive(node string) bool
}

// The kinds of the messages signaling nodes send each other (docs/ARCHITECTURE.md, "Cluster").
const (
	// kindJoin and kindReconnect (requests to a room) carry a client's join or reconnect frame to the room's owner,
	// which answers kindResult.
	kindJoin      = "signal.join"
	kindReconnect = "signal.reconnect"
	// kindRejoin (a request to a room) re-enters a participant whose room's owner died, with its socketId.
	kindRejoin = "signal.rejoin"
	// kindFrame (to a room) is a client frame for its participant; kindLeave the same, as a request; kindEnd says
	// the client's websocket ended. Body: the link, "\n", the frame (or "1" when the participant leaves).
	kindFrame = "signal.frame"
	kindLeave = "signal.leave"
	kindEnd   = "signal.end"
	// kindWhere (a request to a node) asks whether the node holds the participant of Socket: kindResult with Room.
	kindWhere = "signal.where"
	// kindOut (to the websocket's node) is a frame for the client of the link in Socket; kindClose ends the link.
	kindOut   = "signal.out"
	kindClose = "signal.close"
	// kindResult answers the requests.
	kindResult = "signal.result"
)

// closeServiceRestart is the close code of a websocket whose participant's link broke: its client reconnects.
const closeServiceRestart = 1012

// endNoticeTimeout bounds the attempts to tell a participant's owner that its websocket ended.
const endNoticeTimeout = 2 * time.Second

// closeDetach is the close code of a link whose participant left while its websocket stays open: nothing is sent
// to the client.
const closeDetach = 0

// peerEntry is the body of kindJoin, kindReconnect and kindRejoin.
type peerEntry struct {
	Link  string          `json:"link"`
	IP    string          `json:"ip"`
	Frame json.RawMessage `json:"frame"`
	// SocketID, UserID and JoinedAt are a rejoining participant's, Roster the room's membership as its edge last
	// knew it from the old owner.
	SocketID string    `json:"socketId,omitempty"`
	JoinedAt time.Time `json:"joinedAt,omitzero"`
	Roster   *roster   `json:"roster,omitempty"`
}

// peerResult is the body of kindResult.
type peerResult struct {
	Code     int    `json:"code"`
	SocketID string `json:"socketId,omitempty"`
	UserID   string `json:"userId,omitempty"`
	Room     string `json:"room,omitempty"`
	Node     string `json:"node,omitempty"`
}

// peerClose is the body of kindClose.
type peerClose struct {
	Code int    `json:"code"`
	Text string `json:"text,omitempty"`
}

// forward is what a websocket's node knows of its participant on another node.
type forward struct {
	owner, room, socketID, userID, link string
	// join is the client's join frame and joinedAt when it was accepted, to enter the room again on a new owner.
	join     []byte
	joinedAt time.Time
}

// peers is the server's part of a cluster: the links of its websockets whose participants live elsewhere, and the
// rooms it owns that are empty.
type peers struct {
	cl           Cluster
	releaseAfter time.Duration
	// searchFor is how long a reconnect looks for its participant on the other nodes before 1317: the time the
	// cluster takes to move the room of a dead owner, where the participants the owner held wait away.
	searchFor time.Duration

	mu    sync.Mutex
	links map[string]*conn
	// linkRooms is each link's room, roomLinks the number of links of each room, and rosters the last roster of
	// each room with links, from its owner.
	linkRooms map[string]string
	roomLinks map[string]int
	rosters   map[string]*roster
	// kept is the last roster of each room whose owner made this node its keeper (no node held a websocket of it).
	kept map[string]*roster
	// emptySince is when each owned room was first seen without members; the release loop's alone.
	emptySince map[string]time.Time
}

// UseCluster makes the server a node of a cluster: joins place their room, frames go to the room's owner, and the
// server runs the rooms it owns for websockets of any node. Call it before serving; the node's Handler is
// HandlePeer and its OnEvent ClusterEvent. An owned room empty for releaseAfter is given up. A reconnect looks for
// its participant for searchFor (at least once): the time the cluster takes to notice a dead owner and move its rooms.
func (s *Server) UseCluster(cl Cluster, releaseAfter, searchFor time.Duration) {
	s.peers.Store(&peers{cl: cl, releaseAfter: releaseAfter, searchFor: searchFor, links: make(map[string]*conn),
		linkRooms: make(map[string]string), roomLinks: make(map[string]int), rosters: make(map[string]*roster),
		kept: make(map[string]*roster), emptySince: make(map[string]time.Time)})
}

func (ps *peers) addLink(link, room string, c *conn) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.links[link] = c
	ps.linkRooms[link] = room
	ps.roomLinks[room]++
}

func (ps *peers) link(link string) *conn {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.links[link]
}

func (ps *peers) removeLink(link string) *conn {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	c := ps.links[link]
	delete(ps.links, link)
	if room, ok := ps.linkRooms[link]; ok {
		delete(ps.linkRooms, link)
		if ps.roomLinks[room]--; ps.roomLinks[room] <= 0 {
			delete(ps.roomLinks, room)
			delete(ps.rosters, room)
		}
	}
	return c
}

// forwarding returns the websockets whose participant lives on owner ("" for all).
func (ps *peers) forwarding(owner string) []*conn {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	var out []*conn
	for _, c := range ps.links {
		if f := c.fwd.Load(); f != nil && (owner == "" || f.owner == owner) {
			out = append(out, c)
		}
	}
	return out
}

// request sends a request and decodes its kindResult.
func (ps *peers) request(ctx context.Context, to cluster.Address, m cluster.Message) (peerResult, error) {
	rep, err := ps.cl.Request(ctx, to, m)
	if err != nil {
		return peerResult{}, err
	}
	var res peerResult
	if rep.Kind != kindResult || json.Unmarshal(rep.Body, &res) != nil {
		return peerResult{}, errors.New("signaling: malformed answer from a node")
	}
	return res, nil
}

// frameOf rebuilds the frame {"a":action,"d":d}.
func frameOf(action string, d json.RawMessage) []byte {
	if len(d) == 0 {
		d = json.RawMessage("null")
	}
	b := make([]byte, 0, len(action)+len(d)+16)
	b = append(b, envelopeStart...)
	b = append(b, action...)
	b = append(b, envelopeData...)
	b = append(b, d...)
	return append(b, '}')
}

// linkBody is the body of kindFrame, kindLeave and kindEnd.
func linkBody(link string, rest []byte) []byte {
	b := make([]byte, 0, len(link)+1+len(rest))
	b = append(b, link...)
	b = append(b, '\n')
	return append(b, rest...)
}

// joinElsewhere places the room of a join that passed its checks; when its owner is another node, the join goes
// there (routed), else it goes on here.
func (c *conn) joinElsewhere(ctx context.Context, roomID string, d json.RawMessage) (code int, routed bool) {
	ps := c.srv.peers.Load()
	if ps == nil || c.remote != nil {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(ctx, c.srv.opts.MediaTimeout)
	defer cancel()
	frame := frameOf(protocol.ActionJoin, d)
	for attempt := 0; ; attempt++ {
		owner, err := ps.cl.Place(ctx, roomID)
		if err != nil {
			c.log.Warn("join: the room could not be placed", "roomId", roomID, "err", err)
			return protocol.CodeSystem, true
		}
		if owner == ps.cl.ID() {
			return 0, false
		}
		code, err := c.enterRemote(ctx, ps, kindJoin, roomID, peerEntry{Frame: frame})
		if err == nil {
			return code, true
		}
		if !errors.Is(err, cluster.ErrNoRoute) || attempt > 0 {
			c.log.Warn("join: the room's owner did not answer", "roomId", roomID, "owner", owner, "err", err)
			return protocol.CodeSystem, true
		}
		// The owner released the room or died since the placement: place it again.
	}
}

// keepOwnership claims roomID again after a join entered it here, if this node released the room between the
// placement and the entry (the room was empty for CLUSTER_ROOM_RELEASE_AFTER): a release that comes later finds
// the member and keeps the room.
func (c *conn) keepOwnership(ctx context.Context, roomID string) {
	ps := c.srv.peers.Load()
	if ps == nil || c.remote != nil || ps.cl.Owns(roomID) {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, c.srv.opts.MediaTimeout)
	defer cancel()
	owner, err := ps.cl.Claim(ctx, roomID)
	if err != nil || owner != ps.cl.ID() {
		c.log.Error("room entered here but owned elsewhere", "roomId", roomID, "owner", owner, "err", err)
	}
}

// reconnectElsewhere finds the node that holds socketID among the live ones and takes the participant over
// through it (routed), when the server is a node of a cluster.
func (c *conn) reconnectElsewhere(ctx context.Context, socketID string, d json.RawMessage) (code int, routed bool) {
	ps := c.srv.peers.Load()
	if ps == nil || c.remote != nil {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(ctx, c.srv.opts.MediaTimeout)
	defer cancel()
	room, ok := c.srv.search(ctx, ps, socketID)
	if !ok {
		return 0, false
	}
	code, err := c.enterRemote(ctx, ps, kindReconnect, room, peerEntry{Frame: frameOf(protocol.ActionReconnect, d)})
	if err != nil {
		c.log.Warn("reconnect: the room's owner did not answer", "roomId", room, "err", err)
		return protocol.CodeReconnectUnknownSocket, true
	}
	return code, true
}

// searchPause is the pause between two lookups of a reconnect's participant.
const searchPause = 250 * time.Millisecond

// search locates socketID on the other nodes, again and again for ps.searchFor while nobody holds it: a client
// whose websocket was on a room's owner reconnects at once when that owner dies, but its place exists again (away,
// on the room's new owner) only once the others noticed the death and moved the room. It gives up early when the
// participant appears on this node (the caller looks here again).
func (s *Server) search(ctx context.Context, ps *peers, socketID string) (string, bool) {
	until := time.Now().Add(ps.searchFor)
	for {
		if room, ok := s.locate(ctx, ps, socketID); ok {
			return room, true
		}
		if s.hub.socket(socketID) != nil || time.Now().Add(searchPause).After(until) {
			return "", false
		}
		select {
		case <-ctx.Done():
			return "", false
		case <-time.After(searchPause):
		}
	}
}

// locate asks every other live node, at once, whether it holds socketID, and returns its room.
func (s *Server) locate(ctx context.Context, ps *peers, socketID string) (string, bool) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	found := make(chan string, 1)
	var wg sync.WaitGroup
	for _, n := range ps.cl.Nodes() {
		if n.Self {
			continue
		}
		wg.Add(1)
		go func(node string) {
			defer wg.Done()
			defer s.recoverAndReport("locate")
			res, err := ps.request(ctx, cluster.NodeAddress(node), cluster.Message{Kind: kindWhere, Socket: socketID})
			if err == nil && res.Room != "" {
				select {
				case found <- res.Room:
					cancel()
				default:
				}
			}
		}(n.ID)
	}
	wg.Wait()
	select {
	case room := <-found:
		return room, true
	default:
		return "", false
	}
}

// enterRemote asks the owner of room to run the client's join, reconnect or rejoin (kind) for this websocket,
// and forwards the client's frames there from then on. It returns the owner's code; the owner has sent the reply
// and the events through the link.
func (c *conn) enterRemote(ctx context.Context, ps *peers, kind, room string, e peerEntry) (int, error) {
	e.Link, e.IP = newSocketID(), c.ip
	body, err := json.Marshal(e)
	if err != nil {
		return 0, err
	}
	ps.addLink(e.Link, room, c)
	res, err := ps.request(ctx, cluster.RoomAddress(room),
		cluster.Message{Kind: kind, Room: room, Socket: e.Link, Body: body})
	if err != nil || res.Code != 0 {
		ps.removeLink(e.Link)
		return res.Code, err
	}
	f := &forward{owner: res.Node, room: room, socketID: res.SocketID, userID: res.UserID, link: e.Link,
		join: e.Frame, joinedAt: e.JoinedAt}
	if kind == kindJoin {
		f.joinedAt = c.srv.now()
	}
	if old := c.fwd.Swap(f); old != nil {
		ps.removeLink(old.link)
	}
	c.joinedNow()
	c.log = c.srv.log.With("socketId", res.SocketID, "roomId", room, "userId", res.UserID, "remote", c.ip,
		"owner", res.Node)
	return 0, nil
}

// forward sends a client's frame to its participant's owner, in order: one at a time, from the read goroutine.
// leave is a request: once the owner confirms, the websocket stays open without participant.
func (c *conn) forward(ctx context.Context, f *forward, frame []byte) {
	ps := c.srv.peers.Load()
	m := cluster.Message{Kind: kindFrame, Room: f.room, Socket: f.socketID, Body: linkBody(f.link, frame)}
	action := actionOf(frame)
	if action == protocol.ActionLeave {
		m.Kind = kindLeave
	}
	res, err := c.srv.toOwner(ctx, ps, f, m)
	if err != nil {
		c.log.Warn("frame not delivered to the room's owner", "err", err)
		c.fail(action, protocol.CodeSystem)
		return
	}
	if m.Kind == kindLeave && res.Code == 0 && c.fwd.CompareAndSwap(f, nil) {
		c.log = c.srv.log.With("remote", c.ip)
		c.unjoinedNow()
	}
}

// actionOf is the action a frame names, as handle reads it (protocol.ActionGeneral when unreadable).
func actionOf(frame []byte) string {
	if action, _, ok := splitEnvelope(frame); ok {
		return action
	}
	var env envelope
	if json.Unmarshal(frame, &env) != nil || env.A == nil {
		return protocol.ActionGeneral
	}
	return echoable(*env.A)
}

// toOwner sends m (a request when its kind is kindLeave) to the owner of f's room. A room without owner while its
// owner is alive means the owner is reconnecting to the broker: it retries with a growing delay, as it does while
// the room moves to a new owner (ClusterEvent), within MediaTimeout.
func (s *Server) toOwner(ctx context.Context, ps *peers, f *forward, m cluster.Message) (peerResult, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.MediaTimeout)
	defer cancel()
	delay := 20 * time.Millisecond
	for {
		var res peerResult
		var err error
		if m.Kind == kindLeave {
			res, err = ps.request(ctx, cluster.RoomAddress(f.room), m)
		} else {
			err = ps.cl.Send(ctx, cluster.RoomAddress(f.room), m)
		}
		if err == nil || (!errors.Is(err, cluster.ErrNoRoute) && !errors.Is(err, cluster.ErrNotConnected)) {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, err
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
}

// forwardEnd tells the owner that the websocket of f's participant ended: it leaves, or waits for a reconnect.
func (s *Server) forwardEnd(f *forward, leaves bool) {
	ps := s.peers.Load()
	ps.removeLink(f.link)
	flag := []byte("0")
	if leaves {
		flag = []byte("1")
	}
	// Bounded short: when the owner cannot be told, it learns it from this node's death (NodeDown), or the
	// participant's next websocket takes it over.
	ctx, cancel := context.WithTimeout(context.Background(), endNoticeTimeout)
	defer cancel()
	m := cluster.Message{Kind: kindEnd, Room: f.room, Socket: f.socketID, Body: linkBody(f.link, flag)}
	if _, err := s.toOwner(ctx, ps, f, m); err != nil {
		s.log.Info("the room's owner was not told that a websocket ended", "socketId", f.socketID, "roomId", f.room,
			"err", err)
	}
}

// HandlePeer receives the messages of the other nodes: the frames of the participants of the rooms this node owns,
// and the frames for the websockets it holds. It is the cluster node's Handler.
func (s *Server) HandlePeer(ctx context.Context, d *cluster.Delivery) {
	ps := s.peers.Load()
	if ps == nil {
		return
	}
	switch d.Kind {
	case kindJoin, kindReconnect, kindRejoin:
		s.peerEnter(ctx, ps, d)
	case kindFrame, kindLeave, kindEnd:
		s.peerFrame(d)
	case kindOut:
		if c := ps.link(d.Socket); c != nil {
			c.send(newEncodedMsg(d.Body))
		}
	case kindClose:
		ps.closeLink(d)
	case kindRoster:
		ps.setRoster(d)
	case kindAdopt:
		s.peerAdopt(ps, d)
	case kindWhere:
		res := peerResult{}
		if p := s.hub.socket(d.Socket); p != nil {
			res.Room = p.room.id
		}
		replyPeer(d, res)
	default:
		s.log.Debug("cluster message of unknown kind dropped", "kind", d.Kind, "from", d.From)
	}
}

// replyPeer answers a request with res.
func replyPeer(d *cluster.Delivery, res peerResult) {
	if !d.IsRequest() {
		return
	}
	body, err := json.Marshal(res)
	if err != nil {
		return
	}
	// A reply that cannot be delivered is counted by the node; the requester gives up on its own.
	_ = d.Reply(cluster.Message{Kind: kindResult, Room: res.Room, Body: body})
}

// closeLink ends a link at the owner's word: the client's websocket is closed with the owner's code (replaced by a
// reconnect, server shutting down), or stays open without participant (closeDetach, after leave).
func (ps *peers) closeLink(d *cluster.Delivery) {
	c := ps.removeLink(d.Socket)
	if c == nil {
		return
	}
	var pc peerClose
	if json.Unmarshal(d.Body, &pc) != nil || pc.Code == closeDetach {
		return
	}
	f := c.fwd.Load()
	if f == nil || f.link != d.Socket {
		return
	}
	if pc.Code == closeMoved {
		go c.failover(ps, f)
		return
	}
	if c.fwd.CompareAndSwap(f, nil) {
		c.closeWith(pc.Code, pc.Text, false)
	}
}

// peerEnter runs a join, reconnect or rejoin of a websocket of another node on a remote connection, and answers
// the code, with the participant when it succeeded. The remote connection then carries its frames.
func (s *Server) peerEnter(ctx context.Context, ps *peers, d *cluster.Delivery) {
	var e peerEntry
	if json.Unmarshal(d.Body, &e) != nil || e.Link == "" || !d.IsRequest() {
		s.log.Debug("malformed entry from a node dropped", "from", d.From)
		replyPeer(d, peerResult{Code: protocol.CodeSystem})
		return
	}
	rc := s.newRemoteConn(d.From, e.Link, e.IP)
	if d.Kind == kindRejoin {
		rc.rejoin = &e
	}
	// Counted on the websocket's node, which answers an error itself.
	_, code := rc.handleRecovering(ctx, e.Frame)
	if code == 0 && rc.p == nil {
		code = protocol.CodeSystem
	}
	if code != 0 || !s.trackRemote(rc) {
		if code == 0 {
			code = protocol.CodeServerDraining
			rc.endWith(true)
		}
		rc.endCalls()
		// Nothing queued for a refused entry stays charged to the budget.
		rc.queue.close()
		replyPeer(d, peerResult{Code: code})
		return
	}
	p := rc.p
	rc.startRemote()
	replyPeer(d, peerResult{SocketID: p.socketID, UserID: p.userID, Room: p.room.id, Node: ps.cl.ID()})
	if d.Kind == kindRejoin {
		// The members no edge holds wait for their reconnect here.
		s.enterGhosts(p.room.id, e.Roster)
	}
}

// peerFrame hands a frame (or the end) of a remote participant's websocket to its remote connection, if the link
// is still the participant's.
func (s *Server) peerFrame(d *cluster.Delivery) {
	link, rest, ok := bytes.Cut(d.Body, []byte("\n"))
	var rc *conn
	away := false
	if p := s.hub.socket(d.Socket); ok && p != nil {
		p.room.mu.Lock()
		if c := p.conn; c != nil && c.remote != nil && c.remote.link == string(link) {
			rc = c
		}
		away = p.conn == nil && !p.gone
		p.room.mu.Unlock()
	}
	if rc == nil {
		// The participant left, or a reconnect took it over: the old websocket's frames go nowhere.
		s.counters.peerStale.Add(1)
		replyPeer(d, peerResult{Code: protocol.CodeUserNotAuthenticated})
		if away && d.Kind != kindEnd {
			// Its link broke while the websocket lives (this node could not reach the edge for a moment): the
			// client is made to reconnect, which gets it the events kept meanwhile.
			s.closeStaleLink(d.From, string(link))
		}
		return
	}
	it := peerItem{frame: rest}
	switch d.Kind {
	case kindEnd:
		it = peerItem{end: true, leaves: string(rest) == "1"}
	case kindLeave:
		it.reply = func(code int) { replyPeer(d, peerResult{Code: code}) }
	}
	rc.remote.push(rc, it)
}

// closeStaleLink closes the websocket of a link that lost its participant (1012: the client reconnects).
func (s *Server) closeStaleLink(edge, link string) {
	ps := s.peers.Load()
	body, err := json.Marshal(peerClose{Code: closeServiceRestart, Text: "service restart"})
	if err != nil || !cluster.ValidNodeID(edge) {
		return
	}
	m := cluster.Message{Kind: kindClose, Socket: link, Body: body}
	if _, err := ps.cl.SendAsync(cluster.NodeAddress(edge), m); err != nil {
		s.log.Debug("stale link not closed", "edge", edge, "err", err)
	}
}
