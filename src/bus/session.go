package bus

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// appID names the sender in each message's app_id property.
const appID = "live-webrtcsignaling"

var (
	// errDrained ends a connection once Shutdown's flush is complete.
	errDrained = errors.New("bus: outbox drained")
	// errAborted ends a connection when Shutdown's deadline has passed.
	errAborted = errors.New("bus: shutdown deadline passed")
)

// session is one connection with its confirm-mode channel.
type session struct {
	conn       *amqp.Connection
	ch         *amqp.Channel
	confirms   <-chan amqp.Confirmation
	connClosed <-chan *amqp.Error
	chanClosed <-chan *amqp.Error
	blocked    <-chan amqp.Blocking
}

// connect dials the broker, opens a channel in confirm mode and declares the exchange.
func (p *AMQPPublisher) connect() (*session, error) {
	cfg := amqp.Config{
		Heartbeat:  p.opts.Heartbeat,
		Properties: amqp.NewConnectionProperties(),
		Locale:     "en_US",
		Dial:       p.dial,
	}
	cfg.Properties.SetClientConnectionName(p.opts.ConnectionName)
	if p.opts.TLS != nil {
		// The library sets ServerName in the configuration it gets: each connection gets its own copy.
		cfg.TLSClientConfig = p.opts.TLS.Clone()
	}
	conn, err := amqp.DialConfig(p.opts.URL, cfg)
	if err != nil {
		return nil, err
	}
	ch, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("open channel: %w", err)
	}
	if err := ch.Confirm(false); err != nil {
		return nil, fmt.Errorf("confirm mode: %w", err)
	}
	if err := ch.ExchangeDeclare(p.opts.Exchange, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		return nil, fmt.Errorf("declare exchange: %w", err)
	}
	return &session{
		conn: conn,
		ch:   ch,
		// At most Window events await a confirm, so the library never blocks handing one over.
		confirms:   ch.NotifyPublish(make(chan amqp.Confirmation, p.opts.Window+1)),
		connClosed: conn.NotifyClose(make(chan *amqp.Error, 1)),
		chanClosed: ch.NotifyClose(make(chan *amqp.Error, 1)),
		blocked:    conn.NotifyBlocked(make(chan amqp.Blocking, 4)),
	}, nil
}

// close ends a drained session with the AMQP close handshake, bounded by timeout.
func (s *session) close(timeout time.Duration) {
	_ = s.conn.CloseDeadline(time.Now().Add(timeout))
}

// dial is the library's dialer: TCP within DialTimeout (cancelled by Shutdown), a deadline on the TLS and AMQP
// handshakes (the library clears it once open), and WriteTimeout on every later write.
func (p *AMQPPublisher) dial(network, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(p.abortCtx, p.opts.DialTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if err := c.SetDeadline(time.Now().Add(p.opts.DialTimeout)); err != nil {
		_ = c.Close()
		return nil, err
	}
	if !p.setSocket(c) {
		_ = c.Close()
		return nil, errAborted
	}
	return &writeDeadlineConn{Conn: c, timeout: p.opts.WriteTimeout}, nil
}

// writeDeadlineConn bounds every write. The library writes while holding its channel lock, and its shutdown takes
// that lock before closing the socket: without a deadline, a write to a peer that stopped reading would hang the
// connection for good.
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

// serve delivers events on sess until it fails, Shutdown's flush is complete (errDrained) or its deadline passes.
func (p *AMQPPublisher) serve(s *sender, sess *session) error {
	confirmTimer := time.NewTimer(p.opts.ConfirmTimeout)
	defer confirmTimer.Stop()
	for {
		if err := p.fill(s, sess); err != nil {
			return err
		}
		p.metrics.unconfirmed.Store(int64(s.unconfirmed()))
		if s.flushing && s.unconfirmed() == 0 && p.box.len() == 0 {
			return errDrained
		}
		var confirmDeadline <-chan time.Time
		if len(s.inflight) > 0 {
			confirmTimer.Reset(time.Until(s.inflight[0].sentAt.Add(p.opts.ConfirmTimeout)))
			confirmDeadline = confirmTimer.C
		}
		flushing := p.flushing
		if s.flushing {
			flushing = nil
		}
		select {
		case c, ok := <-sess.confirms:
			if !ok {
				return errors.New("channel closed")
			}
			if err := p.confirm(s, c); err != nil {
				return err
			}
		case <-p.box.ready:
		case e, ok := <-sess.connClosed:
			return closedError("connection", e, ok)
		case e, ok := <-sess.chanClosed:
			return closedError("channel", e, ok)
		case b, ok := <-sess.blocked:
			if !ok {
				sess.blocked = nil
				continue
			}
			if b.Active {
				p.log.Warn("bus: the broker blocks publishing (resource alarm)", "reason", b.Reason)
			} else {
				p.log.Info("bus: the broker unblocked publishing")
			}
		case <-confirmDeadline:
			return fmt.Errorf("no confirm within %v", p.opts.ConfirmTimeout)
		case <-flushing:
			s.flushing = true
		case <-p.abortCtx.Done():
			return errAborted
		}
	}
}

func closedError(what string, e *amqp.Error, ok bool) error {
	if !ok || e == nil {
		return fmt.Errorf("%s closed", what)
	}
	return fmt.Errorf("%s closed: %w", what, e)
}

// fill sends events until Window of them await a confirm or none is left. Events are encoded here, outside any
// room lock, once: a retry sends the same body, so the same eventId.
func (p *AMQPPublisher) fill(s *sender, sess *session) error {
	for len(s.inflight) < p.opts.Window {
		e := s.next(p.box)
		if e == nil {
			return nil
		}
		if e.body == nil {
			e.id = eventID(p.processID, e.seq)
			body, err := encode(e)
			if err != nil {
				p.metrics.encodeErrors.Add(1)
				p.log.Error("bus: event dropped: cannot encode it", "key", e.key, "roomId", e.event.Room(), "err", err)
				continue
			}
			e.body = body
		}
		dc, err := sess.ch.PublishWithDeferredConfirm(p.opts.Exchange, e.key, false, false, amqp.Publishing{
			ContentType:  "application/json",
			DeliveryMode: amqp.Persistent,
			MessageId:    e.id,
			Timestamp:    e.at,
			Type:         e.key,
			AppId:        appID,
			Body:         e.body,
		})
		if err == nil && dc == nil {
			err = errors.New("channel not in confirm mode")
		}
		if err != nil {
			s.unget(e)
			return fmt.Errorf("publish: %w", err)
		}
		if e.sends > 0 {
			p.metrics.retried.Add(1)
		}
		e.sends++
		e.tag = dc.DeliveryTag
		e.sentAt = time.Now()
		s.inflight = append(s.inflight, e)
	}
	return nil
}

// confirm handles the broker's confirm of the oldest event in flight (the library hands them over in tag order).
// A nack ends the connection: the nacked event and every later one are sent again, in order, on the next.
func (p *AMQPPublisher) confirm(s *sender, c amqp.Confirmation) error {
	if len(s.inflight) == 0 || s.inflight[0].tag != c.DeliveryTag {
		return fmt.Errorf("confirm of unexpected delivery tag %d", c.DeliveryTag)
	}
	if !c.Ack {
		p.metrics.nacked.Add(1)
		return fmt.Errorf("the broker nacked %s of room %q", s.inflight[0].key, s.inflight[0].event.Room())
	}
	s.inflight[0] = nil
	s.inflight = s.inflight[1:]
	p.metrics.published.Add(1)
	// A confirm is progress: the next failure starts over from the shortest backoff.
	s.backoff.Reset()
	return nil
}
