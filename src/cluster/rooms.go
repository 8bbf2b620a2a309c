package cluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	amqp "github.com/rabbitmq/amqp091-go"
)

var (
	// ErrNotOwner: this node does not own the room.
	ErrNotOwner = errors.New("cluster: this node does not own the room")
	// ErrRoomBusy: Release found messages for the room, so the node keeps it.
	ErrRoomBusy = errors.New("cluster: messages arrived for the room: it is kept")
	// ErrOwnerUnreachable: the room has an owner that does not answer (a frozen node whose connection the broker
	// has not closed yet); the room is free again once the broker closes it, within three heartbeats.
	ErrOwnerUnreachable = errors.New("cluster: the room's owner does not answer")
)

// maxClaimAttempts bounds the rounds of a claim: each lost round asks the owner, who may be gone meanwhile.
const maxClaimAttempts = 3

// ownedRoom is a room this node owns: its queue, declared exclusive on this node's connection, and the consumer
// that hands the room's messages to the Handler, on a channel of the room's own (see Release).
type ownedRoom struct {
	room, queue string
	// ch, tag and ended are the current consumer's channel and tag, and a channel closed when its goroutine has
	// handed over its last message; nil while not consuming. They change under the Node's lock.
	ch    *amqp.Channel
	tag   string
	ended chan struct{}
	// handled counts the messages handed to the Handler, so that Release can tell whether any came.
	handled atomic.Uint64
	// releasing is set while Release stops the consumer: its end is then no loss.
	releasing atomic.Bool
}

// claimCall is a claim in progress, which concurrent claims of the same room on this node wait for.
type claimCall struct {
	done  chan struct{}
	owner string
	err   error
}

// Owns reports whether this node owns room.
func (n *Node) Owns(room string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, ok := n.rooms[room]
	return ok
}

// Rooms returns the rooms this node owns, sorted.
func (n *Node) Rooms() []string {
	n.mu.Lock()
	out := make([]string, 0, len(n.rooms))
	for r := range n.rooms {
		out = append(out, r)
	}
	n.mu.Unlock()
	sort.Strings(out)
	return out
}

func (n *Node) roomCount() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.rooms)
}

// Claim makes this node the owner of room unless another node owns it, and returns the owner's id: this node's
// when it won (or already owned the room), the other's when it lost. Of any number of nodes that claim one room
// at once, exactly one wins: the broker lets one connection declare the room's exclusive queue and refuses the
// others (405 RESOURCE_LOCKED); a loser asks the owner for its id through the room's queue.
func (n *Node) Claim(ctx context.Context, room string) (string, error) {
	if !validField(room, false) {
		return "", errors.New("cluster: a room id is 1 to 1024 bytes")
	}
	n.mu.Lock()
	if _, ok := n.rooms[room]; ok {
		n.mu.Unlock()
		return n.cfg.NodeID, nil
	}
	if c, ok := n.claims[room]; ok {
		n.mu.Unlock()
		select {
		case <-c.done:
			return c.owner, c.err
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	c := &claimCall{done: make(chan struct{})}
	n.claims[room] = c
	n.mu.Unlock()
	c.owner, c.err = n.claim(ctx, room)
	n.mu.Lock()
	delete(n.claims, room)
	n.mu.Unlock()
	close(c.done)
	return c.owner, c.err
}

// claim is Claim's work: declare, else ask the owner, a few times if owners vanish meanwhile.
func (n *Node) claim(ctx context.Context, room string) (string, error) {
	queue := n.names.roomQueue(room)
	for range maxClaimAttempts {
		s, err := n.current()
		if err != nil {
			return "", err
		}
		err = s.declareExclusive(queue)
		if err == nil {
			if err := n.own(s, room, queue); err != nil {
				return "", err
			}
			return n.cfg.NodeID, nil
		}
		if !isCode(err, codeResourceLocked) {
			return "", fmt.Errorf("cluster: claim room: %w", err)
		}
		n.stats.claimsLost.Add(1)
		owner, err := n.askOwner(ctx, room)
		if err == nil {
			n.log.Info("cluster: room owned by another node", "roomId", room, "owner", owner)
			return owner, nil
		}
		if !errors.Is(err, ErrNoRoute) {
			return "", err
		}
		// The owner released the room or died between our declaration and our question: try again.
	}
	return "", fmt.Errorf("cluster: room %q changed hands %d times during the claim", room, maxClaimAttempts)
}

// askOwner asks the owner of room for its id, through the room's queue.
func (n *Node) askOwner(ctx context.Context, room string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.PlacementTimeout)
	defer cancel()
	rep, err := n.request(ctx, n.names.roomQueue(room), Message{Kind: kindOwner, Room: room})
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "", fmt.Errorf("%w: %w", ErrOwnerUnreachable, err)
	case err != nil:
		return "", err
	case rep.msg.Kind != kindOwned || !ValidNodeID(string(rep.msg.Body)):
		return "", fmt.Errorf("cluster: unexpected answer %q to an owner question", rep.msg.Kind)
	}
	return string(rep.msg.Body), nil
}

// own records room as this node's after it declared the room's queue, and starts consuming it.
func (n *Node) own(s *session, room, queue string) error {
	r := &ownedRoom{room: room, queue: queue}
	if err := n.startRoomConsumer(s, r); err != nil {
		return err
	}
	n.mu.Lock()
	n.rooms[room] = r
	n.mu.Unlock()
	n.stats.claimsWon.Add(1)
	n.log.Info("cluster: room claimed", "roomId", room)
	n.events.emit(Event{Kind: RoomClaimed, Room: room})
	return nil
}

// startRoomConsumer consumes r's queue on a channel of its own on s.
func (n *Node) startRoomConsumer(s *session, r *ownedRoom) error {
	ch, err := s.conn.Channel()
	if err != nil {
		return fmt.Errorf("cluster: open a channel for room %q: %w", r.room, err)
	}
	if err := ch.Qos(n.cfg.Prefetch, 0, false); err != nil {
		_ = ch.Close()
		return fmt.Errorf("cluster: set the prefetch of room %q: %w", r.room, err)
	}
	tag := "room-" + strconv.FormatUint(n.ids.Add(1), 36)
	deliveries, err := ch.Consume(r.queue, tag, false, true, false, false, nil)
	if err != nil {
		_ = ch.Close()
		return fmt.Errorf("cluster: consume room %q: %w", r.room, err)
	}
	ended := make(chan struct{})
	n.mu.Lock()
	r.ch, r.tag, r.ended = ch, tag, ended
	n.mu.Unlock()
	go func() {
		defer close(ended)
		n.serveQueue(deliveries, RoomAddress(r.room), r)
		n.roomConsumerEnded(s, r, ch)
	}()
	return nil
}

// roomConsumerEnded handles the end of a room's consumer on ch. The end of the connection or of a Release is
// expected. When the channel alone failed, the queue is still this node's: it is consumed again. Otherwise the
// broker cancelled the consumer because the queue was deleted under this node (by an operator): the room is lost.
func (n *Node) roomConsumerEnded(s *session, r *ownedRoom, ch *amqp.Channel) {
	if r.releasing.Load() || s.conn.IsClosed() || n.ctx.Err() != nil {
		return
	}
	n.mu.Lock()
	current := n.rooms[r.room] == r && r.ch == ch
	n.mu.Unlock()
	if !current {
		return
	}
	if ch.IsClosed() {
		n.log.Warn("cluster: a room's channel closed; consuming again", "roomId", r.room)
		if err := n.startRoomConsumer(s, r); err != nil {
			n.log.Warn("cluster: room consumer not restarted; the room is re-claimed at the next connection",
				"roomId", r.room, "err", err)
		}
		return
	}
	_ = ch.Close()
	n.mu.Lock()
	current = n.rooms[r.room] == r
	if current {
		delete(n.rooms, r.room)
	}
	n.mu.Unlock()
	if current {
		n.lose(r.room, "the broker cancelled the room's consumer: its queue was deleted")
	}
}

// lose reports a room lost.
func (n *Node) lose(room, reason string) {
	n.stats.roomsLost.Add(1)
	n.log.Warn("cluster: room lost", "roomId", room, "reason", reason)
	n.events.emit(Event{Kind: RoomLost, Room: room, Reason: reason})
}

// reclaimRooms declares again, on a new connection, the queues of the rooms this node owned: the broker deleted
// them with the old connection. A room another node claimed meanwhile is lost.
func (n *Node) reclaimRooms(s *session) error {
	n.mu.Lock()
	rooms := make([]*ownedRoom, 0, len(n.rooms))
	for _, r := range n.rooms {
		rooms = append(rooms, r)
	}
	n.mu.Unlock()
	for _, r := range rooms {
		err := s.declareExclusive(r.queue)
		if isCode(err, codeResourceLocked) {
			n.mu.Lock()
			delete(n.rooms, r.room)
			n.mu.Unlock()
			n.lose(r.room, "another node claimed it while this node was disconnected")
			continue
		}
		if err != nil {
			return fmt.Errorf("re-claim room %q: %w", r.room, err)
		}
		if err := n.startRoomConsumer(s, r); err != nil {
			return err
		}
	}
	return nil
}

// Release gives room up: its queue is deleted, so that the next claim of the room, on any node, wins. Call it when
// the room has been empty for a while. It refuses with ErrRoomBusy, and the room stays this node's, when a message
// for the room came since the call, still waits in the queue, or when idle (may be nil) returns false. Release
// calls idle once the room's consumer has stopped, so that no message can reach the Handler between idle's answer
// and the deletion: idle checks, under the caller's own lock, that the room is still empty (a join handled just
// before the call would otherwise be lost with the room). Release must not be called from the room's Handler.
//
// The consumer has a channel of its own so that Release can close it: the broker may send a message after
// confirming the consumer's cancel, and the library drops such a message. Closing the channel puts it back in
// the queue, where the delete-if-empty finds it.
func (n *Node) Release(ctx context.Context, room string, idle func() bool) error {
	n.mu.Lock()
	r, ok := n.rooms[room]
	var ch *amqp.Channel
	var tag string
	var ended chan struct{}
	if ok {
		ch, tag, ended = r.ch, r.tag, r.ended
	}
	s := n.sess
	n.mu.Unlock()
	if !ok {
		return ErrNotOwner
	}
	if s == nil || ch == nil {
		// The queue went with the connection: forgetting the room releases it.
		n.forget(r, "released while disconnected")
		return nil
	}
	before := r.handled.Load()
	r.releasing.Store(true)
	defer r.releasing.Store(false)
	if err := ch.Cancel(tag, false); err != nil {
		return n.keep(s, r, fmt.Errorf("cluster: release room %q: %w", room, err))
	}
	// The messages delivered before the cancel reach the Handler first.
	select {
	case <-ended:
	case <-ctx.Done():
		return n.keep(s, r, ctx.Err())
	}
	if err := ch.Close(); err != nil {
		return n.keep(s, r, fmt.Errorf("cluster: release room %q: %w", room, err))
	}
	if r.handled.Load() != before || (idle != nil && !idle()) {
		return n.keep(s, r, ErrRoomBusy)
	}
	err := s.deleteIfEmpty(r.queue)
	switch {
	case err == nil:
		n.forget(r, "released")
		return nil
	case isCode(err, codePreconditionFailed):
		return n.keep(s, r, ErrRoomBusy)
	}
	return n.keep(s, r, fmt.Errorf("cluster: release room %q: %w", room, err))
}

// keep consumes r's queue again after a Release that did not complete, and returns err.
func (n *Node) keep(s *session, r *ownedRoom, err error) error {
	n.mu.Lock()
	old := r.ch
	n.mu.Unlock()
	_ = old.Close()
	r.releasing.Store(false)
	if cerr := n.startRoomConsumer(s, r); cerr != nil {
		// The connection is failing: the room is re-claimed with the next one.
		n.log.Warn("cluster: room kept, but its consumer did not restart", "roomId", r.room, "err", cerr)
	}
	return err
}

// forget removes a released room.
func (n *Node) forget(r *ownedRoom, why string) {
	n.mu.Lock()
	delete(n.rooms, r.room)
	n.mu.Unlock()
	n.stats.roomsReleased.Add(1)
	n.log.Info("cluster: room released", "roomId", r.room, "why", why)
}

// serveQueue hands the deliveries of an inbox (this node's, or a room's when r is set) to the Handler, in order,
// acknowledging each once handled, until the consumer ends.
func (n *Node) serveQueue(deliveries <-chan amqp.Delivery, to Address, r *ownedRoom) {
	for d := range deliveries {
		n.handleDelivery(&d, to, r)
		if err := d.Ack(false); err != nil {
			n.log.Debug("cluster: ack failed", "to", to.String(), "err", err)
		}
	}
}

// handleDelivery decodes one delivery and answers it (the package's own kinds) or hands it to the Handler.
func (n *Node) handleDelivery(d *amqp.Delivery, to Address, r *ownedRoom) {
	defer func() {
		if v := recover(); v != nil {
			n.stats.handlerPanics.Add(1)
			n.log.Error("cluster: panic in the Handler", "to", to.String(), "kind", d.Type, "panic", fmt.Sprint(v))
		}
	}()
	in, err := decodeDelivery(d, n.cfg.MaxMessageBytes)
	if err != nil || in.reply {
		n.stats.messagesDropped.Add(1)
		n.log.Debug("cluster: message dropped", "to", to.String(), "err", err)
		return
	}
	n.stats.messagesReceived.Add(1)
	delivery := &Delivery{Message: in.msg, From: in.from, To: to, Deadline: in.deadline,
		correlationID: in.correlationID, replyTo: in.replyTo, node: n}
	switch {
	case in.msg.Kind == kindOwner && r != nil:
		n.answer(delivery, Message{Kind: kindOwned, Room: r.room, Body: []byte(n.cfg.NodeID)})
		return
	case in.msg.Kind == kindClaim && r == nil:
		go n.answerClaim(delivery)
		return
	}
	if r != nil {
		r.handled.Add(1)
	}
	if strings.HasPrefix(in.msg.Kind, internalKinds) || n.cfg.Handler == nil {
		n.stats.messagesDropped.Add(1)
		return
	}
	n.cfg.Handler(n.ctx, delivery)
}

// answerClaim claims a room at another node's request, unless this node takes no new rooms, and answers with the
// owner.
func (n *Node) answerClaim(d *Delivery) {
	defer n.recoverAndReport("claim request")
	if n.leaving.Load() || n.loadDraining() {
		n.answer(d, Message{Kind: kindRefused, Room: d.Room})
		return
	}
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.PlacementTimeout)
	defer cancel()
	owner, err := n.Claim(ctx, d.Room)
	if err != nil {
		n.log.Warn("cluster: claim requested by another node failed", "roomId", d.Room, "by", d.From, "err", err)
		n.answer(d, Message{Kind: kindRefused, Room: d.Room})
		return
	}
	n.answer(d, Message{Kind: kindOwned, Room: d.Room, Body: []byte(owner)})
}

// loadDraining reports whether this node's last announced load says it drains.
func (n *Node) loadDraining() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.reg.selfLoad.Draining
}

// answer replies to a request with one of the package's own messages.
func (n *Node) answer(d *Delivery, m Message) {
	if !d.IsRequest() {
		return
	}
	if err := n.reply(d, m); err != nil {
		n.log.Debug("cluster: answer not sent", "kind", m.Kind, "err", err)
	}
}
