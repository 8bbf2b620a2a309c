package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// AMQP reply codes the package acts on.
const (
	codeResourceLocked     = 405 // another connection holds the exclusive queue
	codeNotFound           = 404
	codePreconditionFailed = 406 // queue.delete if-empty of a queue that holds messages
)

// maxIdleControlChannels bounds the channels kept open for declarations between uses.
const maxIdleControlChannels = 4

// session is one connection to the broker and what lives on it: the publishing channel (confirm mode, the only
// one that publishes, so that messages from this node to one queue keep their order), the consuming channel and
// the control channels that declare and delete queues (a refused declaration closes its channel).
type session struct {
	conn   *amqp.Connection
	socket net.Conn
	pub    *amqp.Channel
	cons   *amqp.Channel
	// inbox is this node's queue; replyQueue receives the replies to its requests; announcements the others'
	// announcements.
	inbox, replyQueue, announcements string
	// closed is closed once the connection is gone.
	closed chan struct{}

	// pubMu serializes publishing: a delivery tag is taken and the message sent as one step.
	pubMu sync.Mutex
	// pendMu guards the messages awaiting their confirm.
	pendMu    sync.Mutex
	pending   map[uint64]pendingPublish
	returned  map[string]struct{}
	pubClosed bool
	// onReturn counts a returned message.
	onReturn func()

	ctlMu   sync.Mutex
	ctlIdle []*amqp.Channel
}

// pendingPublish is a message awaiting the broker's confirm.
type pendingPublish struct {
	id      string
	receipt *Receipt
}

// Receipt tells the fate of a sent message once the broker has taken it: Err is nil when the broker put it in
// its queue, ErrNoRoute when there was no queue, ErrConnectionLost or ErrNacked otherwise.
type Receipt struct {
	done chan struct{}
	err  error
}

func newReceipt() *Receipt { return &Receipt{done: make(chan struct{})} }

// Done is closed once the fate is known.
func (r *Receipt) Done() <-chan struct{} { return r.done }

// Err is the fate, once Done is closed; nil before.
func (r *Receipt) Err() error {
	select {
	case <-r.done:
		return r.err
	default:
		return nil
	}
}

// Wait waits for the fate, or for ctx.
func (r *Receipt) Wait(ctx context.Context) error {
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *Receipt) resolve(err error) {
	if r == nil {
		return
	}
	r.err = err
	close(r.done)
}

// isCode reports whether err is the broker's exception with code.
func isCode(err error, code int) bool {
	var e *amqp.Error
	return errors.As(err, &e) && e.Code == code
}

// publish sends msg with a fresh message id; receipt (may be nil) learns its fate.
func (s *session) publish(exchange, key string, mandatory bool, msg amqp.Publishing, id string, r *Receipt) error {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	msg.MessageId = id
	tag := s.pub.GetNextPublishSeqNo()
	s.pendMu.Lock()
	if s.pubClosed {
		s.pendMu.Unlock()
		return ErrNotConnected
	}
	// Registered before the send, so that the confirm, which may come at once, finds it.
	s.pending[tag] = pendingPublish{id: id, receipt: r}
	s.pendMu.Unlock()
	if err := s.pub.Publish(exchange, key, mandatory, false, msg); err != nil {
		s.pendMu.Lock()
		delete(s.pending, tag)
		s.pendMu.Unlock()
		return fmt.Errorf("%w: %w", ErrNotConnected, err)
	}
	return nil
}

// confirmLoop settles the pending messages with the broker's confirms and returns until the publishing channel
// closes; then it fails what is left.
//
// The broker sends a mandatory message's basic.return before its basic.ack, and the library hands both over from
// one goroutine in that order: the return is in the buffered returns channel before the confirm arrives here. So
// draining the returns before settling a confirm always sees the return of that message.
func (s *session) confirmLoop(confirms <-chan amqp.Confirmation, returns <-chan amqp.Return) {
	for {
		select {
		case r, ok := <-returns:
			if !ok {
				returns = nil
				continue
			}
			s.noteReturn(r)
		case c, ok := <-confirms:
			if !ok {
				s.failPending()
				return
			}
			returns = s.drainReturns(returns)
			s.settle(c)
		}
	}
}

func (s *session) drainReturns(returns <-chan amqp.Return) <-chan amqp.Return {
	for returns != nil {
		select {
		case r, ok := <-returns:
			if !ok {
				return nil
			}
			s.noteReturn(r)
		default:
			return returns
		}
	}
	return nil
}

func (s *session) noteReturn(r amqp.Return) {
	s.onReturn()
	s.pendMu.Lock()
	s.returned[r.MessageId] = struct{}{}
	s.pendMu.Unlock()
}

func (s *session) settle(c amqp.Confirmation) {
	s.pendMu.Lock()
	p, ok := s.pending[c.DeliveryTag]
	delete(s.pending, c.DeliveryTag)
	_, returned := s.returned[p.id]
	delete(s.returned, p.id)
	s.pendMu.Unlock()
	if !ok {
		return
	}
	switch {
	case returned:
		p.receipt.resolve(ErrNoRoute)
	case !c.Ack:
		p.receipt.resolve(ErrNacked)
	default:
		p.receipt.resolve(nil)
	}
}

func (s *session) failPending() {
	s.pendMu.Lock()
	s.pubClosed = true
	pending := s.pending
	s.pending = make(map[uint64]pendingPublish)
	clear(s.returned)
	s.pendMu.Unlock()
	for _, p := range pending {
		p.receipt.resolve(ErrConnectionLost)
	}
}

// control runs f on a control channel. A channel on which f failed is closed rather than reused: the broker closes
// a channel on any refused declaration.
func (s *session) control(f func(ch *amqp.Channel) error) error {
	s.ctlMu.Lock()
	var ch *amqp.Channel
	if n := len(s.ctlIdle); n > 0 {
		ch, s.ctlIdle = s.ctlIdle[n-1], s.ctlIdle[:n-1]
	}
	s.ctlMu.Unlock()
	if ch == nil {
		var err error
		if ch, err = s.conn.Channel(); err != nil {
			return fmt.Errorf("open a control channel: %w", err)
		}
	}
	err := f(ch)
	if err != nil || ch.IsClosed() {
		_ = ch.Close()
		return err
	}
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	if len(s.ctlIdle) < maxIdleControlChannels {
		s.ctlIdle = append(s.ctlIdle, ch)
		return nil
	}
	_ = ch.Close()
	return nil
}

// declareExclusive declares queue as this connection's exclusive queue. It fails with the broker's 405 when
// another connection holds it.
func (s *session) declareExclusive(queue string) error {
	return s.control(func(ch *amqp.Channel) error {
		_, err := ch.QueueDeclare(queue, false, false, true, false, nil)
		return err
	})
}

// deleteIfEmpty deletes queue unless it holds messages (the broker's 406).
func (s *session) deleteIfEmpty(queue string) error {
	return s.control(func(ch *amqp.Channel) error {
		_, err := ch.QueueDelete(queue, false, true, false)
		return err
	})
}

// consume starts consuming queue on the consuming channel with tag, acknowledging by hand (Prefetch bounds what
// is delivered and not handled) unless autoAck.
func (s *session) consume(queue, tag string, autoAck bool) (<-chan amqp.Delivery, error) {
	return s.cons.Consume(queue, tag, autoAck, true, false, false, nil)
}

// close ends the connection with the AMQP close handshake within timeout, then closes the socket in any case.
func (s *session) close(timeout time.Duration) {
	_ = s.conn.CloseDeadline(time.Now().Add(timeout))
	_ = s.socket.Close()
}

// writeDeadlineConn bounds every write. The library writes while holding its locks, and its shutdown takes them
// before closing the socket: without a deadline, a write to a peer that stopped reading would hang the connection
// for good.
type writeDeadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (c *writeDeadlineConn) Write(b []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}
