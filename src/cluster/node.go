package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/backoff"
	amqp "github.com/rabbitmq/amqp091-go"
)

// closeTimeout bounds the AMQP close handshake of a connection that ends.
const closeTimeout = 2 * time.Second

// dialFunc opens the TCP connection to the broker; net.Dialer's DialContext outside tests.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Node is this process's member of the cluster: its connection to the broker, its announcements, its view of the
// live nodes, the rooms it owns and its messaging. Build it with NewNodeWith; it connects and reconnects by itself
// until Close.
type Node struct {
	cfg         Config
	names       names
	log         *slog.Logger
	dial        dialFunc
	incarnation string
	stats       counters
	events      *dispatcher

	// ctx ends at Close: it stops the connection loop and is the handlers' context.
	ctx    context.Context
	cancel context.CancelFunc
	// leaving is set by Leave: no more announcements, no new rooms.
	leaving atomic.Bool
	// ids numbers message and correlation ids.
	ids atomic.Uint64
	// announceNow asks the connection loop for an announcement before the next tick.
	announceNow chan struct{}

	mu sync.Mutex
	// sess is the current connection, nil while disconnected.
	sess *session
	// up is closed while connected; a new one is made at each disconnection.
	up       chan struct{}
	reg      *registry
	announce uint64
	rooms    map[string]*ownedRoom
	claims   map[string]*claimCall
	waiters  map[string]chan reply

	// done is closed when the connection loop has ended.
	done chan struct{}
}

// NewNodeWith validates cfg and starts the node: it connects in the background (Ready waits for it) and reconnects
// whenever the connection is lost, until Close.
func NewNodeWith(cfg Config, logger *slog.Logger) (*Node, error) {
	var d net.Dialer
	return newNode(cfg, logger, d.DialContext)
}

func newNode(cfg Config, logger *slog.Logger, dial dialFunc) (*Node, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		return nil, errors.New("cluster: logger is required")
	}
	var inc [8]byte
	if _, err := rand.Read(inc[:]); err != nil {
		return nil, fmt.Errorf("cluster: incarnation: %w", err)
	}
	log := logger.With("node", cfg.NodeID)
	ctx, cancel := context.WithCancel(context.Background())
	n := &Node{
		cfg:         cfg,
		names:       names{ns: cfg.Namespace},
		log:         log,
		dial:        dial,
		incarnation: hex.EncodeToString(inc[:]),
		events:      newDispatcher(cfg.OnEvent, log),
		ctx:         ctx,
		cancel:      cancel,
		up:          make(chan struct{}),
		reg:         newRegistry(cfg.NodeID, cfg.DeadAfter),
		rooms:       make(map[string]*ownedRoom),
		claims:      make(map[string]*claimCall),
		waiters:     make(map[string]chan reply),
		announceNow: make(chan struct{}, 1),
		done:        make(chan struct{}),
	}
	go n.events.run()
	go n.run()
	return n, nil
}

// ID is this node's id.
func (n *Node) ID() string { return n.cfg.NodeID }

// Ready waits until the node is connected, its inbox and rooms claimed, or ctx ends.
func (n *Node) Ready(ctx context.Context) error {
	n.mu.Lock()
	up := n.up
	n.mu.Unlock()
	select {
	case <-up:
		return nil
	case <-n.done:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("cluster: not connected: %w", ctx.Err())
	}
}

// Nodes returns the live nodes, this one first.
func (n *Node) Nodes() []NodeInfo {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.reg.nodes(time.Now())
}

// Alive reports whether node is live: this node, or a node whose announcements keep coming.
func (n *Node) Alive(node string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.reg.alive(node)
}

// Stats returns the counters; safe from any goroutine.
func (n *Node) Stats() Stats {
	st := n.stats.snapshot()
	n.mu.Lock()
	st.LiveNodes = 1 + len(n.reg.peers)
	st.RoomsOwned = len(n.rooms)
	n.mu.Unlock()
	return st
}

// session returns the current connection, or nil.
func (n *Node) session() *session {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.sess
}

// current returns the current connection, or why there is none (ErrClosed, ErrNotConnected).
func (n *Node) current() (*session, error) {
	if n.ctx.Err() != nil {
		return nil, ErrClosed
	}
	if s := n.session(); s != nil {
		return s, nil
	}
	return nil, ErrNotConnected
}

// newID returns an id unique among this incarnation's messages, and across incarnations.
func (n *Node) newID() string {
	return n.incarnation + "-" + strconv.FormatUint(n.ids.Add(1), 36)
}

// Leave announces at once that this node leaves the cluster: the others forget it without waiting for its
// silence, and it takes no new rooms. It keeps serving its rooms and messages until Close. It waits for the
// broker to take the announcement, or for ctx.
func (n *Node) Leave(ctx context.Context) error {
	n.leaving.Store(true)
	s, err := n.current()
	if err != nil {
		return err
	}
	r := newReceipt()
	if err := n.publishAnnouncement(s, r); err != nil {
		return err
	}
	return r.Wait(ctx)
}

// Close leaves the cluster (Leave), closes the connection, which releases every room this node owns, and stops the
// node's goroutines; pending Requests fail. It waits for the event callback to return from the events already
// queued. When ctx ends first, it closes the connection's socket at once and returns ctx's error once the
// goroutines have stopped.
func (n *Node) Close(ctx context.Context) error {
	abort := context.AfterFunc(ctx, n.abortConnection)
	defer abort()
	if !n.leaving.Load() {
		if err := n.Leave(ctx); err != nil && !errors.Is(err, ErrNotConnected) && !errors.Is(err, ErrClosed) {
			n.log.Warn("cluster: leave announcement not confirmed", "err", err)
		}
	}
	n.cancel()
	<-n.done
	if err := n.events.stop(ctx); err != nil {
		return err
	}
	return ctx.Err()
}

// abortConnection closes the current connection's socket: any read or write on it ends at once.
func (n *Node) abortConnection() {
	if s := n.session(); s != nil {
		_ = s.socket.Close()
	}
}

// run is the connection loop: connect, serve until the connection ends, wait, reconnect; until Close.
func (n *Node) run() {
	defer close(n.done)
	b := backoff.New(n.cfg.MinBackoff, n.cfg.MaxBackoff)
	for n.ctx.Err() == nil {
		s, err := n.connectRecovering()
		if err != nil {
			n.stats.connectionErrors.Add(1)
			delay := b.Next()
			n.log.Warn("cluster: cannot connect to the broker", "broker", brokerName(n.cfg.URL), "err", err,
				"retryIn", delay.Round(time.Millisecond).String())
			select {
			case <-time.After(delay):
			case <-n.ctx.Done():
			}
			continue
		}
		b.Reset()
		err = n.serveRecovering(s)
		n.disconnect(s)
		if n.ctx.Err() == nil {
			n.stats.connectionErrors.Add(1)
			n.log.Warn("cluster: connection to the broker lost", "err", err)
		}
	}
	n.failWaiters(ErrClosed)
}

// connectRecovering is connect, with a panic turned into an error.
func (n *Node) connectRecovering() (s *session, err error) {
	defer func() {
		if v := recover(); v != nil {
			n.log.Error("cluster: panic recovered", "where", "connect", "panic", fmt.Sprint(v),
				"stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return n.connect()
}

// serveRecovering is serve, with a panic turned into an error (the connection is then closed and made again).
func (n *Node) serveRecovering(s *session) (err error) {
	defer func() {
		if v := recover(); v != nil {
			n.log.Error("cluster: panic recovered", "where", "serve", "panic", fmt.Sprint(v),
				"stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return n.serve(s)
}

// connect dials the broker and sets up everything this node has on it: the exchange, its inbox, its reply and
// announcement queues, the rooms it owned before (those another node took meanwhile are reported lost), and the
// consumers. The node counts as connected only once all of it is done.
func (n *Node) connect() (*session, error) {
	s := &session{
		closed:   make(chan struct{}),
		pending:  make(map[uint64]pendingPublish),
		returned: make(map[string]struct{}),
		onReturn: func() { n.stats.messagesReturned.Add(1) },
		inbox:    n.names.nodeQueue(n.cfg.NodeID),
	}
	if err := n.dialSession(s); err != nil {
		return nil, err
	}
	// Close ends a connection that is still being set up: a declaration waits for the broker without a deadline.
	stop := context.AfterFunc(n.ctx, func() { _ = s.socket.Close() })
	defer stop()
	ok := false
	defer func() {
		if !ok {
			s.close(closeTimeout)
		}
	}()
	if err := n.declareTopology(s); err != nil {
		return nil, err
	}
	if err := n.openChannels(s); err != nil {
		return nil, err
	}
	if err := n.reclaimRooms(s); err != nil {
		return nil, err
	}
	if err := n.startConsumers(s); err != nil {
		return nil, err
	}
	closed := s.conn.NotifyClose(make(chan *amqp.Error, 1))
	go func() {
		<-closed
		close(s.closed)
	}()
	ok = true
	n.mu.Lock()
	n.sess = s
	close(n.up)
	n.reg.resume(time.Now())
	n.mu.Unlock()
	n.stats.connects.Add(1)
	n.stats.connected.Store(true)
	n.log.Info("cluster: connected", "broker", brokerName(n.cfg.URL), "rooms", n.roomCount())
	n.events.emit(Event{Kind: Connected})
	return s, nil
}

// dialSession opens the connection.
func (n *Node) dialSession(s *session) error {
	cfg := amqp.Config{
		Heartbeat:  n.cfg.Heartbeat,
		Properties: amqp.NewConnectionProperties(),
		Locale:     "en_US",
		Dial: func(network, addr string) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(n.ctx, n.cfg.DialTimeout)
			defer cancel()
			c, err := n.dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			// The handshakes' deadline; the library clears it once the connection is open.
			if err := c.SetDeadline(time.Now().Add(n.cfg.DialTimeout)); err != nil {
				_ = c.Close()
				return nil, err
			}
			s.socket = c
			return &writeDeadlineConn{Conn: c, timeout: n.cfg.WriteTimeout}, nil
		},
	}
	cfg.Properties.SetClientConnectionName(n.cfg.ConnectionName + " " + n.cfg.NodeID)
	if n.cfg.TLS != nil {
		// The library sets ServerName in the configuration it gets: each connection gets its own copy.
		cfg.TLSClientConfig = n.cfg.TLS.Clone()
	}
	conn, err := amqp.DialConfig(n.cfg.URL, cfg)
	if err != nil {
		if s.socket != nil {
			_ = s.socket.Close()
		}
		return err
	}
	s.conn = conn
	return nil
}

// declareTopology declares the announcement exchange, this node's inbox and the queues of replies and
// announcements.
func (n *Node) declareTopology(s *session) error {
	err := s.control(func(ch *amqp.Channel) error {
		// Not durable: it goes with a broker restart, and every node declares it again when it reconnects.
		return ch.ExchangeDeclare(n.names.exchange(), amqp.ExchangeFanout, false, false, false, false, nil)
	})
	if err != nil {
		return fmt.Errorf("declare the exchange: %w", err)
	}
	if err := s.declareExclusive(s.inbox); err != nil {
		if isCode(err, codeResourceLocked) {
			return fmt.Errorf("the inbox %s is held by another connection: another running node has this "+
				"NODE_ID, or this node's previous connection is not closed yet: %w", s.inbox, err)
		}
		return fmt.Errorf("declare the inbox: %w", err)
	}
	return s.control(func(ch *amqp.Channel) error {
		q, err := ch.QueueDeclare("", false, true, true, false, nil)
		if err != nil {
			return fmt.Errorf("declare the reply queue: %w", err)
		}
		s.replyQueue = q.Name
		if q, err = ch.QueueDeclare("", false, true, true, false, nil); err != nil {
			return fmt.Errorf("declare the announcement queue: %w", err)
		}
		s.announcements = q.Name
		if err := ch.QueueBind(q.Name, "", n.names.exchange(), false, nil); err != nil {
			return fmt.Errorf("bind the announcement queue: %w", err)
		}
		return nil
	})
}

// openChannels opens the publishing channel (confirm mode) and the consuming one.
func (n *Node) openChannels(s *session) error {
	var err error
	if s.pub, err = s.conn.Channel(); err != nil {
		return fmt.Errorf("open the publishing channel: %w", err)
	}
	if err := s.pub.Confirm(false); err != nil {
		return fmt.Errorf("confirm mode: %w", err)
	}
	// Large buffers: the library's reader goroutine waits on them, and confirmLoop never blocks.
	confirms := s.pub.NotifyPublish(make(chan amqp.Confirmation, 1024))
	returns := s.pub.NotifyReturn(make(chan amqp.Return, 1024))
	go func() {
		defer func() {
			if v := recover(); v != nil {
				n.log.Error("cluster: panic recovered", "where", "confirms", "panic", fmt.Sprint(v),
					"stack", string(debug.Stack()))
				// Without this goroutine no send learns its fate: fail them, and start over on a new connection.
				s.failPending()
				_ = s.socket.Close()
			}
		}()
		s.confirmLoop(confirms, returns)
	}()
	if s.cons, err = s.conn.Channel(); err != nil {
		return fmt.Errorf("open the consuming channel: %w", err)
	}
	if err := s.cons.Qos(n.cfg.Prefetch, 0, false); err != nil {
		return fmt.Errorf("set the prefetch: %w", err)
	}
	return nil
}

// startConsumers consumes the inbox, the replies and the announcements.
func (n *Node) startConsumers(s *session) error {
	inbox, err := s.consume(s.inbox, "inbox", false)
	if err != nil {
		return fmt.Errorf("consume the inbox: %w", err)
	}
	replies, err := s.consume(s.replyQueue, "replies", true)
	if err != nil {
		return fmt.Errorf("consume the replies: %w", err)
	}
	announcements, err := s.consume(s.announcements, "announcements", true)
	if err != nil {
		return fmt.Errorf("consume the announcements: %w", err)
	}
	to := NodeAddress(n.cfg.NodeID)
	go n.serveQueue(inbox, to, nil)
	go n.serveReplies(replies)
	go n.serveAnnouncements(announcements)
	return nil
}

// serve announces this node and watches the others' silence until the connection ends or the node closes.
func (n *Node) serve(s *session) error {
	n.announceTick(s)
	announce := time.NewTicker(n.cfg.AnnounceInterval)
	defer announce.Stop()
	// Ten checks per interval: a silent node is found dead within a tenth of an interval of its deadline.
	expire := time.NewTicker(n.cfg.AnnounceInterval / 10)
	defer expire.Stop()
	for {
		select {
		case <-announce.C:
			n.announceTick(s)
		case <-n.announceNow:
			n.announceTick(s)
		case <-expire.C:
			n.expireSilent()
		case <-s.closed:
			return errors.New("connection closed")
		case <-n.ctx.Done():
			return nil
		}
	}
}

// disconnect forgets a connection that ended (or closes it when the node closes): requests in flight fail, the
// rooms stay on the list to re-claim at the next connection.
func (n *Node) disconnect(s *session) {
	n.mu.Lock()
	if n.sess == s {
		n.sess = nil
		n.up = make(chan struct{})
	}
	n.mu.Unlock()
	n.stats.connected.Store(false)
	s.close(closeTimeout)
	n.failWaiters(ErrConnectionLost)
	if n.ctx.Err() == nil {
		n.log.Warn("cluster: disconnected; rooms are re-claimed at the next connection", "rooms", n.roomCount())
		n.events.emit(Event{Kind: Disconnected})
	}
}

// announceTick publishes an announcement unless the node is leaving.
func (n *Node) announceTick(s *session) {
	if n.leaving.Load() {
		return
	}
	if err := n.publishAnnouncement(s, nil); err != nil {
		n.log.Debug("cluster: announcement not sent", "err", err)
	}
}

// publishAnnouncement sends this node's announcement; r (may be nil) learns its fate.
func (n *Node) publishAnnouncement(s *session, r *Receipt) error {
	load := Load{}
	if n.cfg.Load != nil {
		load = n.loadRecovering()
	}
	leaving := n.leaving.Load()
	load.Draining = load.Draining || leaving
	n.mu.Lock()
	n.announce++
	n.reg.selfLoad = load
	a := announcement{
		Version:     announcementVersion,
		Node:        n.cfg.NodeID,
		Incarnation: n.incarnation,
		Seq:         n.announce,
		IntervalMs:  n.cfg.AnnounceInterval.Milliseconds(),
		Leaving:     leaving,
		Load:        load,
	}
	n.mu.Unlock()
	body, err := encodeAnnouncement(a)
	if err != nil {
		return err
	}
	msg := amqp.Publishing{Type: "announcement", DeliveryMode: amqp.Transient, Body: body}
	if err := s.publish(n.names.exchange(), "", false, msg, n.newID(), r); err != nil {
		return err
	}
	n.stats.announcementsSent.Add(1)
	return nil
}

// loadRecovering calls the caller's Load, sanitized; a panic gives a zero load.
func (n *Node) loadRecovering() (l Load) {
	defer func() {
		if v := recover(); v != nil {
			n.log.Error("cluster: panic in Load", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			l = Load{}
		}
	}()
	return n.cfg.Load().sanitized()
}

// expireSilent declares dead the nodes silent for too long.
func (n *Node) expireSilent() {
	n.mu.Lock()
	events := n.reg.expire(time.Now())
	n.mu.Unlock()
	n.report(events)
}

// serveAnnouncements feeds the registry with the announcements, until the connection ends.
func (n *Node) serveAnnouncements(deliveries <-chan amqp.Delivery) {
	for d := range deliveries {
		n.handleAnnouncement(d.Body)
	}
}

func (n *Node) handleAnnouncement(body []byte) {
	defer n.recoverAndReport("announcement")
	a, err := decodeAnnouncement(body)
	if err != nil {
		n.stats.announcementsDropped.Add(1)
		n.log.Debug("cluster: announcement dropped", "err", err)
		return
	}
	if a.Node == n.cfg.NodeID {
		if a.Incarnation != n.incarnation {
			n.log.Error("cluster: another process announces itself with this NODE_ID")
		}
		return
	}
	n.stats.announcementsReceived.Add(1)
	n.mu.Lock()
	events := n.reg.observe(a, time.Now())
	n.mu.Unlock()
	n.report(events)
}

// report logs and emits registry events. A node that comes up gets this node's announcement at once rather than at
// the next tick: it started listening after this node's last one.
func (n *Node) report(events []Event) {
	for _, e := range events {
		switch e.Kind {
		case NodeUp:
			select {
			case n.announceNow <- struct{}{}:
			default:
			}
			n.log.Info("cluster: node up", "peer", e.Node, "rooms", e.Load.Rooms,
				"participants", e.Load.Participants)
		case NodeDown:
			n.log.Warn("cluster: node down", "peer", e.Node, "reason", e.Reason)
		}
		n.events.emit(e)
	}
}

// recoverAndReport ends a goroutine's panic with an error log instead of a crash.
func (n *Node) recoverAndReport(where string) {
	if v := recover(); v != nil {
		n.log.Error("cluster: panic recovered", "where", where, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	}
}
