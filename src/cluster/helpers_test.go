package cluster

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testLogger logs to the test's output when -v asks for it.
func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return quietLogger()
}

// testCluster is a namespace of its own on a broker, and the nodes a test runs in it.
type testCluster struct {
	t   testing.TB
	url string
	ns  string
}

// newTestCluster makes a fresh namespace; the test's end deletes its exchange.
func newTestCluster(t testing.TB, url string) *testCluster {
	t.Helper()
	c := &testCluster{t: t, url: url, ns: brokertest.UniqueName("lwstest-")}
	t.Cleanup(func() {
		conn, err := amqp.Dial(url)
		if err != nil {
			return // a private broker already stopped
		}
		defer conn.Close()
		ch, err := conn.Channel()
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		if err := ch.ExchangeDelete(names{ns: c.ns}.exchange(), false, false); err != nil {
			t.Errorf("cleanup: delete the exchange: %v", err)
		}
	})
	return c
}

// config is a fast configuration for node id in the cluster's namespace.
func (c *testCluster) config(id string) Config {
	cfg := DefaultConfig()
	cfg.URL = c.url
	cfg.NodeID = id
	cfg.Namespace = c.ns
	cfg.AnnounceInterval = 100 * time.Millisecond
	// A placement asks a live node, which answers in milliseconds; the tests of the fallback set their own.
	cfg.PlacementTimeout = 10 * time.Second
	// The client gives up on a connection silent for three heartbeats: 1 s, the default, fails the tests when a busy
	// machine starves the broker for 3 s. The tests of a frozen node set 1 s for that node.
	cfg.Heartbeat = 10 * time.Second
	cfg.DialTimeout = 5 * time.Second
	cfg.MinBackoff = 20 * time.Millisecond
	cfg.MaxBackoff = 200 * time.Millisecond
	return cfg
}

// testNode is a Node with what a test watches: its events, and its network.
type testNode struct {
	*Node
	net    *faultyNet
	events *eventLog
}

// start starts a node with cfg (OnEvent is set here) and waits until it is connected; the test's end closes it.
func (c *testCluster) start(cfg Config) *testNode {
	c.t.Helper()
	tn := &testNode{net: newFaultyNet(), events: newEventLog()}
	cfg.OnEvent = tn.events.add
	n, err := newNode(cfg, testLogger(c.t), tn.net.dial)
	if err != nil {
		c.t.Fatal(err)
	}
	tn.Node = n
	c.t.Cleanup(func() {
		tn.net.thaw()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := n.Close(ctx); err != nil {
			c.t.Errorf("close node %s: %v", cfg.NodeID, err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
	defer cancel()
	if err := n.Ready(ctx); err != nil {
		c.t.Fatalf("node %s: %v", cfg.NodeID, err)
	}
	return tn
}

// eventLog records a node's events.
type eventLog struct {
	mu      sync.Mutex
	events  []Event
	changed chan struct{}
}

func newEventLog() *eventLog { return &eventLog{changed: make(chan struct{}, 1)} }

func (l *eventLog) add(e Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

func (l *eventLog) all() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

// wait waits until an event matches, failing the test after timeout; it returns the event and when it was seen.
func (l *eventLog) wait(t testing.TB, what string, timeout time.Duration, match func(Event) bool) (Event, time.Time) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		for _, e := range l.all() {
			if match(e) {
				return e, time.Now()
			}
		}
		select {
		case <-l.changed:
		case <-deadline:
			t.Fatalf("no %s within %v; events: %+v", what, timeout, l.all())
		}
	}
}

// faultyNet dials the broker for one node and lets the test break its connections: crash closes them without an
// AMQP close, as kill -9 would, and refuses new ones; freeze stops them, as a frozen process would.
type faultyNet struct {
	mu     sync.Mutex
	refuse bool
	gate   chan struct{} // closed while traffic flows
	conns  []*faultyConn
	// closeAtThaw are the sockets the node closed while frozen: a frozen process closes nothing, so the broker
	// must not see them close before thaw.
	closeAtThaw []net.Conn
}

func newFaultyNet() *faultyNet {
	open := make(chan struct{})
	close(open)
	return &faultyNet{gate: open}
}

var errDialRefused = errors.New("test: connection refused")

func (f *faultyNet) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	f.mu.Lock()
	refuse := f.refuse
	f.mu.Unlock()
	if refuse {
		return nil, errDialRefused
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	fc := &faultyConn{Conn: c, net: f, closed: make(chan struct{})}
	f.mu.Lock()
	f.conns = append(f.conns, fc)
	f.mu.Unlock()
	return fc, nil
}

// crash closes every connection's socket and refuses new connections until restore.
func (f *faultyNet) crash() {
	f.mu.Lock()
	f.refuse = true
	conns := f.conns
	f.conns = nil
	f.mu.Unlock()
	for _, c := range conns {
		c.closeOnce.Do(func() { close(c.closed) })
		_ = c.Conn.Close()
	}
}

func (f *faultyNet) restore() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuse = false
}

// freeze stops every read and write until thaw; the broker then hears nothing from the node, not even heartbeats.
func (f *faultyNet) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.gate:
		f.gate = make(chan struct{})
	default:
	}
}

func (f *faultyNet) thaw() {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.gate:
	default:
		close(f.gate)
	}
	for _, c := range f.closeAtThaw {
		_ = c.Close()
	}
	f.closeAtThaw = nil
}

// faultyConn is a connection that waits at its network's gate before each read and write.
type faultyConn struct {
	net.Conn
	net       *faultyNet
	closeOnce sync.Once
	closed    chan struct{}
}

func (c *faultyConn) pass() error {
	c.net.mu.Lock()
	gate := c.net.gate
	c.net.mu.Unlock()
	select {
	case <-gate:
		return nil
	case <-c.closed:
		return net.ErrClosed
	}
}

func (c *faultyConn) Read(b []byte) (int, error) {
	if err := c.pass(); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

func (c *faultyConn) Write(b []byte) (int, error) {
	if err := c.pass(); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}

// Close ends the reads and writes waiting at the gate; the socket itself closes at once, or at thaw when frozen.
func (c *faultyConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	select {
	case <-c.net.gate:
		return c.Conn.Close()
	default:
		c.net.closeAtThaw = append(c.net.closeAtThaw, c.Conn)
		return nil
	}
}

// prober is a plain AMQP connection of the test's own, to look at queues as an outsider.
type prober struct {
	t    testing.TB
	conn *amqp.Connection
}

func newProber(t testing.TB, url string) *prober {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &prober{t: t, conn: conn}
}

// passive declares queue passively on a fresh channel and returns the broker's answer.
func (p *prober) passive(queue string) error {
	p.t.Helper()
	ch, err := p.conn.Channel()
	if err != nil {
		p.t.Fatal(err)
	}
	defer ch.Close()
	_, err = ch.QueueDeclarePassive(queue, false, false, true, false, nil)
	return err
}

// code returns the broker's reply code in err, 0 for nil, -1 for an error without a code.
func code(err error) int {
	if err == nil {
		return 0
	}
	var e *amqp.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return -1
}

// percentile returns the p-th percentile (0-100) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p / 100 * float64(len(sorted)-1))
	return sorted[i]
}
