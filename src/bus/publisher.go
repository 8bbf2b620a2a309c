package bus

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/backoff"
)

// dropReportInterval is how often drops are logged while they happen: one line per interval, not one per event,
// so an outage cannot flood the logs.
const dropReportInterval = time.Second

// AMQPPublisher publishes events on a RabbitMQ broker with publisher confirms. Publish queues events in a bounded
// outbox; one goroutine delivers them in order, reconnecting as long as needed. Shutdown delivers what is queued
// within a deadline. Build it with NewAMQPPublisherWith.
type AMQPPublisher struct {
	opts      Options
	broker    string // the URL without credentials, for logs
	log       *slog.Logger
	metrics   *metrics
	box       *outbox
	processID string

	// flushing is closed when Shutdown begins: deliver what is queued, then stop.
	flushing  chan struct{}
	flushOnce sync.Once
	// abortCtx is cancelled when Shutdown's deadline passes: stop at once, whatever is left.
	abortCtx context.Context
	abort    context.CancelFunc
	// done is closed when the publisher goroutine has stopped, reported when the drop reporter has.
	done     chan struct{}
	reported chan struct{}

	// socket is the current connection's TCP socket: closing it ends any I/O the publisher goroutine is blocked in.
	socketMu sync.Mutex
	socket   net.Conn
}

// NewAMQPPublisherWith validates opts and starts the publisher goroutine. It does not wait for the broker: events
// are queued until a connection succeeds.
func NewAMQPPublisherWith(opts Options, logger *slog.Logger) (*AMQPPublisher, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		return nil, errors.New("bus: logger is required")
	}
	m := &metrics{}
	abortCtx, abort := context.WithCancel(context.Background())
	p := &AMQPPublisher{
		opts:      opts,
		broker:    BrokerName(opts.URL),
		log:       logger.With("broker", BrokerName(opts.URL), "exchange", opts.Exchange),
		metrics:   m,
		box:       newOutbox(opts.OutboxLimit, opts.OutboxHardLimit, m),
		processID: newProcessID(),
		flushing:  make(chan struct{}),
		abortCtx:  abortCtx,
		abort:     abort,
		done:      make(chan struct{}),
		reported:  make(chan struct{}),
	}
	go p.run()
	go p.reportDrops()
	return p, nil
}

// Publish queues e for delivery. It never blocks and does no I/O: callers hold their room lock.
func (p *AMQPPublisher) Publish(e Event) {
	if e == nil {
		p.metrics.encodeErrors.Add(1)
		return
	}
	p.box.push(e, time.Now())
}

// Stats returns the counters; safe from any goroutine.
func (p *AMQPPublisher) Stats() Stats { return p.metrics.stats(p.box.len()) }

// Shutdown delivers every queued event, waiting for the broker's confirms, then closes the connection. When ctx
// ends first it stops at once and returns an error counting the events left undelivered (also in
// Stats.Abandoned). Events published afterwards are abandoned.
func (p *AMQPPublisher) Shutdown(ctx context.Context) error {
	p.flushOnce.Do(func() { close(p.flushing) })
	select {
	case <-p.done:
	case <-ctx.Done():
		p.stopNow()
		<-p.done
	}
	<-p.reported
	if n := p.metrics.abandoned.Load(); n > 0 {
		return fmt.Errorf("bus: %d events not delivered before the shutdown deadline", n)
	}
	return nil
}

// stopNow makes the publisher goroutine return promptly: it cancels dials and waits, and closes the socket under
// any blocked read or write.
func (p *AMQPPublisher) stopNow() {
	p.abort()
	p.socketMu.Lock()
	defer p.socketMu.Unlock()
	if p.socket != nil {
		_ = p.socket.Close()
	}
}

// setSocket records the socket of a new connection, unless Shutdown has given up.
func (p *AMQPPublisher) setSocket(c net.Conn) bool {
	p.socketMu.Lock()
	defer p.socketMu.Unlock()
	if p.abortCtx.Err() != nil {
		return false
	}
	p.socket = c
	return true
}

// closeSocket drops the current connection at once, without the AMQP close handshake.
func (p *AMQPPublisher) closeSocket() {
	p.socketMu.Lock()
	defer p.socketMu.Unlock()
	if p.socket != nil {
		_ = p.socket.Close()
		p.socket = nil
	}
}

// sender is the publisher goroutine's own state.
type sender struct {
	// retry holds events taken from the outbox and not confirmed, in order: they go before any newer event.
	retry []*entry
	// inflight holds the events sent on the current channel and awaiting their confirm, in delivery tag order.
	inflight []*entry
	backoff  *backoff.Backoff
	// flushing is set once the publisher goroutine has seen Shutdown begin.
	flushing bool
}

// next returns the next event to send: the oldest to retry, else the oldest in the outbox; nil when none.
func (s *sender) next(box *outbox) *entry {
	if len(s.retry) == 0 {
		return box.pop()
	}
	e := s.retry[0]
	s.retry[0] = nil
	s.retry = s.retry[1:]
	return e
}

// unget puts back an event that next returned and that could not be sent.
func (s *sender) unget(e *entry) { s.retry = slices.Insert(s.retry, 0, e) }

// requeue schedules every unconfirmed event for a resend, in order, after the channel they were sent on is lost.
func (s *sender) requeue() {
	if len(s.inflight) > 0 {
		s.retry = slices.Concat(s.inflight, s.retry)
		s.inflight = nil
	}
}

func (s *sender) unconfirmed() int { return len(s.retry) + len(s.inflight) }

// run is the publisher goroutine: connect, deliver until the connection fails, wait, reconnect; until Shutdown.
func (p *AMQPPublisher) run() {
	defer close(p.done)
	defer p.recoverAndReport("bus publisher")
	s := &sender{backoff: backoff.New(p.opts.MinBackoff, p.opts.MaxBackoff)}
	for {
		connected, err := p.connectAndServe(s)
		p.metrics.connected.Store(false)
		p.metrics.unconfirmed.Store(int64(s.unconfirmed()))
		if errors.Is(err, errDrained) || p.abortCtx.Err() != nil {
			break
		}
		p.metrics.connectionErrors.Add(1)
		delay := s.backoff.Next()
		msg := "bus: cannot connect to the broker"
		if connected {
			msg = "bus: connection to the broker lost"
		}
		p.log.Warn(msg, "err", err, "retryIn", delay.Round(time.Millisecond).String(), "toResend", s.unconfirmed(),
			"outbox", p.box.len())
		if !p.wait(s, delay) {
			break
		}
	}
	left := p.box.close() + s.unconfirmed()
	p.metrics.abandoned.Add(uint64(s.unconfirmed()))
	p.metrics.unconfirmed.Store(0)
	if left > 0 {
		p.log.Error("bus: events not delivered: shutdown deadline passed", "count", left)
	}
	st := p.Stats()
	p.log.Info("bus: publisher stopped", "published", st.Published, "abandoned", st.Abandoned, "lost", st.Lost,
		"droppedSnapshots", st.DroppedSnapshots, "droppedTelemetry", st.DroppedTelemetry)
}

// wait sleeps d before the next connection attempt. Shutdown cuts it short: at once to try a last delivery, or
// to stop (false).
func (p *AMQPPublisher) wait(s *sender, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	flushing := p.flushing
	if s.flushing {
		flushing = nil
	}
	select {
	case <-t.C:
	case <-flushing:
		s.flushing = true
	case <-p.abortCtx.Done():
		return false
	}
	return true
}

// connectAndServe runs one connection: errDrained when Shutdown's flush is complete, else why it failed, and
// whether it had connected.
func (p *AMQPPublisher) connectAndServe(s *sender) (connected bool, err error) {
	defer func() {
		if v := recover(); v != nil {
			p.log.Error("bus: panic recovered", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			err = fmt.Errorf("bus: panic: %v", v)
			p.closeSocket()
		}
		s.requeue()
	}()
	sess, err := p.connect()
	if err != nil {
		p.closeSocket()
		return false, err
	}
	p.metrics.connects.Add(1)
	p.metrics.connected.Store(true)
	p.log.Info("bus: connected", "toResend", len(s.retry), "outbox", p.box.len())
	err = p.serve(s, sess)
	if errors.Is(err, errDrained) {
		sess.close(p.opts.DialTimeout)
		return true, err
	}
	p.closeSocket()
	return true, err
}

// recoverAndReport ends a goroutine's panic with an error log instead of a crash.
func (p *AMQPPublisher) recoverAndReport(where string) {
	if v := recover(); v != nil {
		p.log.Error("bus: panic recovered", "where", where, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	}
}

// reportDrops logs what the outbox dropped, once per dropReportInterval, until the publisher stops.
func (p *AMQPPublisher) reportDrops() {
	defer close(p.reported)
	defer p.recoverAndReport("bus drop reporter")
	t := time.NewTicker(dropReportInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			p.logDrops()
		case <-p.done:
			p.logDrops()
			return
		}
	}
}

func (p *AMQPPublisher) logDrops() {
	r := p.box.takeDrops()
	for _, e := range r.lost {
		p.log.Error("bus: room event lost: outbox past its hard limit", "key", e.RoutingKey(), "roomId", e.Room(),
			"event", e)
	}
	if len(r.byKey) == 0 {
		return
	}
	keys := slices.SortedFunc(maps.Keys(r.byKey), cmp.Compare)
	counts := make([]slog.Attr, 0, len(keys))
	for _, k := range keys {
		counts = append(counts, slog.Uint64(k, r.byKey[k]))
	}
	st := p.Stats()
	p.log.Warn("bus: events dropped: outbox full", slog.Any("dropped", slog.GroupValue(counts...)),
		"outbox", st.Outbox, "totalDroppedSnapshots", st.DroppedSnapshots,
		"totalDroppedTelemetry", st.DroppedTelemetry, "totalLost", st.Lost)
}
