package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// ErrTimeout: a Request got no reply in time. It wraps context.DeadlineExceeded.
var ErrTimeout = fmt.Errorf("cluster: no reply in time: %w", context.DeadlineExceeded)

// reply is what a waiting request receives: the reply, or why none will come.
type reply struct {
	in  incoming
	err error
}

// Send sends m to a node's or a room's inbox and waits until the broker has put it in that inbox: nil then, or
// ErrNoRoute when there is no such inbox (the room has no owner, the node is gone), ErrNotConnected, or
// ErrConnectionLost when the connection ended first (the message may have been delivered).
//
// Messages from this node to one inbox arrive in the order they were sent (SendAsync included): they go through
// one channel, one exchange and one queue, which AMQP keeps in order, and the receiver handles each inbox on one
// goroutine. Nothing orders messages to different inboxes, or from different nodes.
func (n *Node) Send(ctx context.Context, to Address, m Message) error {
	r, err := n.SendAsync(to, m)
	if err != nil {
		return err
	}
	return r.Wait(ctx)
}

// SendAsync is Send without the wait: it returns once the message is written to the connection, with a Receipt
// that tells its fate later. Sending many messages this way costs one round trip to the broker in all, not one
// each.
func (n *Node) SendAsync(to Address, m Message) (*Receipt, error) {
	if err := m.check(n.cfg.MaxMessageBytes); err != nil {
		return nil, err
	}
	queue, err := to.queue(n.names)
	if err != nil {
		return nil, err
	}
	s, err := n.current()
	if err != nil {
		return nil, err
	}
	r := newReceipt()
	if err := s.publish("", queue, true, publishing(n.cfg.NodeID, m), n.newID(), r); err != nil {
		return nil, err
	}
	n.stats.messagesSent.Add(1)
	return r, nil
}

// Request sends m to a node's or a room's inbox as a request and waits for the reply (Delivery.Reply), until ctx
// ends or, when ctx has no deadline, Config.RequestTimeout. It fails with ErrNoRoute at once when the inbox does
// not exist, and with ErrTimeout when no reply came in time. The request expires in the inbox at the same
// deadline (a per-message TTL), so that a receiver does not handle a request that waited in its queue past the
// time its sender gave up. One that the broker had already handed to the receiver (up to Config.Prefetch of them
// wait in its buffer) is still handled: Delivery.Deadline tells the Handler when the sender gives up.
func (n *Node) Request(ctx context.Context, to Address, m Message) (Message, error) {
	if err := m.check(n.cfg.MaxMessageBytes); err != nil {
		return Message{}, err
	}
	queue, err := to.queue(n.names)
	if err != nil {
		return Message{}, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.cfg.RequestTimeout)
		defer cancel()
	}
	rep, err := n.request(ctx, queue, m)
	if err != nil {
		return Message{}, err
	}
	return rep.msg, nil
}

// request publishes a request to queue and waits for its reply; ctx has a deadline.
func (n *Node) request(ctx context.Context, queue string, m Message) (incoming, error) {
	deadline, _ := ctx.Deadline()
	ttl := time.Until(deadline).Milliseconds()
	if ttl < 1 {
		return incoming{}, ErrTimeout
	}
	s, err := n.current()
	if err != nil {
		return incoming{}, err
	}
	corr := n.newID()
	wait := make(chan reply, 1)
	n.mu.Lock()
	n.waiters[corr] = wait
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		delete(n.waiters, corr)
		n.mu.Unlock()
	}()
	msg := publishing(n.cfg.NodeID, m)
	msg.CorrelationId = corr
	msg.ReplyTo = s.replyQueue
	msg.Expiration = strconv.FormatInt(ttl, 10)
	msg.Headers[headerDeadline] = deadline.UnixMilli()
	r := newReceipt()
	if err := s.publish("", queue, true, msg, n.newID(), r); err != nil {
		return incoming{}, err
	}
	n.stats.requests.Add(1)
	n.stats.messagesSent.Add(1)
	confirmed := r.Done()
	for {
		select {
		case <-confirmed:
			if err := r.Err(); err != nil {
				return incoming{}, err
			}
			confirmed = nil
		case rep := <-wait:
			return rep.in, rep.err
		case <-ctx.Done():
			n.stats.requestTimeouts.Add(1)
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return incoming{}, ErrTimeout
			}
			return incoming{}, ctx.Err()
		}
	}
}

// reply publishes m as the reply to request d, without waiting for the broker.
func (n *Node) reply(d *Delivery, m Message) error {
	s, err := n.current()
	if err != nil {
		return err
	}
	msg := publishing(n.cfg.NodeID, m)
	msg.Headers[headerReply] = true
	msg.CorrelationId = d.correlationID
	if err := s.publish("", d.replyTo, true, msg, n.newID(), nil); err != nil {
		return err
	}
	n.stats.messagesSent.Add(1)
	return nil
}

// serveReplies hands each reply to the request that waits for it, until the connection ends.
func (n *Node) serveReplies(deliveries <-chan amqp.Delivery) {
	for d := range deliveries {
		n.handleReply(&d)
	}
}

func (n *Node) handleReply(d *amqp.Delivery) {
	defer n.recoverAndReport("reply")
	in, err := decodeDelivery(d, n.cfg.MaxMessageBytes)
	if err != nil || !in.reply {
		n.stats.messagesDropped.Add(1)
		n.log.Debug("cluster: reply dropped", "err", err)
		return
	}
	n.mu.Lock()
	wait, ok := n.waiters[in.correlationID]
	delete(n.waiters, in.correlationID)
	n.mu.Unlock()
	if !ok {
		// Its request gave up, or a duplicate.
		n.stats.messagesDropped.Add(1)
		return
	}
	n.stats.messagesReceived.Add(1)
	wait <- reply{in: in}
}

// failWaiters ends every request waiting for a reply with err: the replies would come to a queue that is gone.
func (n *Node) failWaiters(err error) {
	n.mu.Lock()
	waiters := n.waiters
	n.waiters = make(map[string]chan reply)
	n.mu.Unlock()
	for _, w := range waiters {
		w <- reply{err: err}
	}
}
