package signaling

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/cluster"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// remoteLink is the owner's end of a participant whose websocket is on another node (edge): frames come from the
// room's inbox (peerFrame) and are handled on the connection's read goroutine, in order; what the participant is
// sent goes to the edge's inbox from its write goroutine, in order, tagged with link.
type remoteLink struct {
	edge, link string
	inbound    *inboundQueue
	// writeDone is closed when the write goroutine ends: the edge is unreachable, or the link was closed.
	writeDone chan struct{}
	// unsent is the batch the edge did not take (it died, or the broker was unreachable), kept for the replay of
	// the participant's next websocket; written by the write goroutine before writeDone closes.
	unsent []*outMsg
}

// peerItem is one frame of a remote participant, or the end of its websocket.
type peerItem struct {
	frame []byte
	// reply answers the frame's request (leave) with its code.
	reply func(code int)
	// end: the websocket ended; leaves says the participant leaves (else it waits for a reconnect).
	end, leaves bool
}

// newRemoteConn makes the connection of a participant whose websocket, from ip, is on the node edge.
func (s *Server) newRemoteConn(edge, link, ip string) *conn {
	ctx, endCalls := context.WithCancel(context.Background())
	c := newConn(s, nil, ip, endCalls)
	c.remote = &remoteLink{edge: edge, link: link, writeDone: make(chan struct{}),
		inbound: &inboundQueue{limit: 2*s.opts.RateBurst + 64, byteLimit: s.opts.SendQueueBytes,
			notify: make(chan struct{}, 1)}}
	c.remoteCtx = ctx
	c.log = s.log.With("remote", ip, "edge", edge)
	return c
}

// trackRemote registers a remote connection for Shutdown, unless shutdown has begun.
func (s *Server) trackRemote(c *conn) bool {
	s.connsMu.Lock()
	defer s.connsMu.Unlock()
	if s.closing {
		return false
	}
	s.connsWG.Add(2)
	s.conns[c] = struct{}{}
	s.remoteConns++
	return true
}

// startRemote runs a remote connection's goroutines.
func (c *conn) startRemote() {
	go c.remoteReadPump(c.remoteCtx)
	go c.remoteWritePump()
}

// push queues an item for the read goroutine; a connection that lets its queue fill is dropped.
func (l *remoteLink) push(c *conn, it peerItem) {
	if !l.inbound.push(it) {
		c.closeSlow(refusedFull)
	}
}

// inboundQueue holds the frames of a remote participant until its read goroutine handles them. The websocket's
// node rate-limits them, so its bounds (twice the burst a websocket may send at once, SendQueueBytes) are reached
// only when the owner is stuck; the connection is then dropped as a slow one. Its slice grows as needed.
type inboundQueue struct {
	mu               sync.Mutex
	items            []peerItem
	bytes            int
	limit, byteLimit int
	notify           chan struct{}
}

func (q *inboundQueue) push(it peerItem) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) >= q.limit || q.bytes+len(it.frame) > q.byteLimit {
		return false
	}
	q.items = append(q.items, it)
	q.bytes += len(it.frame)
	select {
	case q.notify <- struct{}{}:
	default:
	}
	return true
}

// take returns the queued items, oldest first.
func (q *inboundQueue) take() []peerItem {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items, q.bytes = nil, 0
	return items
}

func (c *conn) remoteReadPump(ctx context.Context) {
	defer c.srv.connsWG.Done()
	defer close(c.readDone)
	defer c.endCalls()
	defer c.recoverAndReport("remote read")
	for {
		select {
		case <-c.remote.inbound.notify:
			for _, it := range c.remote.inbound.take() {
				if it.end {
					c.endWith(it.leaves)
					return
				}
				c.handleItem(ctx, it)
			}
		case <-c.remote.writeDone:
			// The edge is unreachable or the link is closed: as after a websocket drop, unless the server ended it.
			c.endWith(false)
			return
		}
	}
}

// handleItem handles one frame of a remote participant, answers its error code and counts it, and answers the
// request it came in (leave).
func (c *conn) handleItem(ctx context.Context, it peerItem) {
	action, code := c.handleRecovering(ctx, it.frame)
	if code != 0 {
		c.fail(action, code)
	}
	c.srv.counters.message(action, code)
	if it.reply != nil {
		it.reply(code)
	}
}

func (c *conn) remoteWritePump() {
	defer c.srv.connsWG.Done()
	defer close(c.remote.writeDone)
	defer c.recoverAndReport("remote write")
	ps := c.srv.peers.Load()
	var batch []*outMsg
	for {
		select {
		case <-c.queue.notify:
			batch = c.queue.take(batch)
			if !c.sendRemote(ps, batch) {
				// Some of the batch may have reached the edge's inbox before it died: a replay may repeat them,
				// which is better than losing the rest.
				c.remote.unsent = slices.Clone(batch)
				return
			}
			clear(batch)
		case <-c.closing:
			// What was queued before the close goes first (a leaveR); a reconnect took what it had to replay.
			batch = c.queue.take(batch)
			if c.sendRemote(ps, batch) {
				c.sendRemoteClose(ps)
			}
			return
		case <-c.readDone:
			return
		}
	}
}

// unsentRemote returns what a remote connection's edge did not take, once its write goroutine has ended (nil
// otherwise, and for a websocket). Called by detach, with the room locked.
func (c *conn) unsentRemote() []*outMsg {
	if c.remote == nil {
		return nil
	}
	select {
	case <-c.remote.writeDone:
		unsent := c.remote.unsent
		c.remote.unsent = nil
		return unsent
	default:
		return nil
	}
}

// sendRemote sends messages to the edge, in order, and waits for the broker to take the last: false when the edge
// has no inbox any more (it died) or the broker is unreachable.
func (c *conn) sendRemote(ps *peers, batch []*outMsg) bool {
	to := cluster.NodeAddress(c.remote.edge)
	var last *cluster.Receipt
	for _, m := range batch {
		data, err := m.bytes()
		if err != nil {
			c.srv.log.Error("cannot encode message", "err", err)
			continue
		}
		r, err := ps.cl.SendAsync(to, cluster.Message{Kind: kindOut, Socket: c.remote.link, Body: data})
		if err != nil {
			c.log.Info("remote websocket unreachable", "err", err)
			return false
		}
		last = r
	}
	if last == nil {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.srv.opts.WriteWait)
	defer cancel()
	if err := last.Wait(ctx); err != nil {
		c.log.Info("remote websocket unreachable", "err", err)
		return false
	}
	return true
}

// sendRemoteClose tells the edge that the link ends, with the close code its websocket gets.
func (c *conn) sendRemoteClose(ps *peers) {
	body, err := json.Marshal(peerClose{Code: c.closeCode, Text: c.closeText})
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.srv.opts.WriteWait)
	defer cancel()
	err = ps.cl.Send(ctx, cluster.NodeAddress(c.remote.edge),
		cluster.Message{Kind: kindClose, Socket: c.remote.link, Body: body})
	if err != nil {
		c.log.Debug("link close not delivered", "err", err)
	}
}

// movedDown is what a participant that entered its room again on a new owner is told of its upstream: it publishes
// again (an offer to "publisher", as after any eventWebrtcDown of its upstream).
var movedDown = protocol.WebrtcDownEvent{From: protocol.From{SocketID: protocol.PublisherSocketID},
	Reason: protocol.ReasonMoved, Phase: protocol.PhaseMedia}

// verifyTime is when a join's bearer is checked: now, or for a participant entering its room again on a new owner,
// when its first join was accepted (the bearer may have expired since; it was checked then).
func (c *conn) verifyTime() time.Time {
	if c.rejoin != nil {
		return c.rejoin.JoinedAt
	}
	return c.srv.now()
}
