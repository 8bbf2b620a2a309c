package bus_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	amqp "github.com/rabbitmq/amqp091-go"
)

// waitFor bounds every wait on the broker; generous, as the machine is shared.
const waitFor = 30 * time.Second

// brokerURL is TEST_RABBITMQ_URL (default amqp://guest:guest@127.0.0.1:5672/). A broker must answer: these tests
// fail rather than skip, so a missing broker is never mistaken for a pass.
func brokerURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TEST_RABBITMQ_URL")
	if u == "" {
		u = "amqp://guest:guest@127.0.0.1:5672/"
	}
	conn, err := amqp.Dial(u)
	if err != nil {
		t.Fatalf("no RabbitMQ broker answers at %s (TEST_RABBITMQ_URL): %v. Run the tests with "+
			"scripts/with-rabbitmq.sh (make unit does), or start one as docs/OPERATIONS.md says", bus.BrokerName(u), err)
	}
	_ = conn.Close()
	return u
}

// uniqueName returns prefix followed by random hex, so that concurrent test runs never share an exchange.
func uniqueName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// testOptions are fast-retrying options for url and a fresh exchange.
func testOptions(url string) bus.Options {
	o := bus.DefaultOptions()
	o.URL = url
	o.Exchange = uniqueName("live_events.test.")
	o.MinBackoff = 20 * time.Millisecond
	o.MaxBackoff = 200 * time.Millisecond
	o.DialTimeout = 5 * time.Second
	return o
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newPublisher starts a publisher; the test's cleanup shuts it down.
func newPublisher(t testing.TB, opts bus.Options) *bus.AMQPPublisher {
	t.Helper()
	p, err := bus.NewAMQPPublisherWith(opts, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(t, p, 0) })
	return p
}

// shutdown stops p within timeout (0: a short one, when the test does not care about what is left).
func shutdown(t testing.TB, p *bus.AMQPPublisher, timeout time.Duration) error {
	t.Helper()
	if timeout == 0 {
		timeout = 100 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return p.Shutdown(ctx)
}

// message is one delivery as a consumer sees it.
type message struct {
	key, contentType, messageID, appID string
	deliveryMode                       uint8
	body                               []byte
	fields                             map[string]any
}

func (m message) str(field string) string {
	s, _ := m.fields[field].(string)
	return s
}

func (m message) num(field string) int {
	n, _ := m.fields[field].(float64)
	return int(n)
}

// consumer is a queue bound to every routing key of an exchange, as a backend service would bind one.
type consumer struct {
	t   testing.TB
	mu  sync.Mutex
	got []message
	// changed is signalled on every message.
	changed chan struct{}
	// done is closed when the deliveries have ended (the connection closed).
	done chan struct{}
}

// newConsumer declares exchange (as the publisher does), binds a fresh exclusive queue to it and collects every
// message. The exchange is deleted when the test ends.
func newConsumer(t testing.TB, url, exchange string) *consumer {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.ExchangeDeclare(exchange, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(q.Name, "#", exchange, false, nil); err != nil {
		t.Fatal(err)
	}
	c := consume(t, ch, q.Name)
	t.Cleanup(func() {
		if err := ch.ExchangeDelete(exchange, false, false); err != nil {
			t.Errorf("delete exchange %s: %v", exchange, err)
		}
		_ = conn.Close()
		<-c.done
	})
	return c
}

// consume collects every message of queue on ch, acknowledged on delivery. The caller closes ch's connection,
// then waits for done.
func consume(t testing.TB, ch *amqp.Channel, queue string) *consumer {
	t.Helper()
	deliveries, err := ch.Consume(queue, "", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &consumer{t: t, changed: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for d := range deliveries {
			c.add(d)
		}
	}()
	return c
}

func (c *consumer) add(d amqp.Delivery) {
	m := message{key: d.RoutingKey, contentType: d.ContentType, messageID: d.MessageId, appID: d.AppId,
		deliveryMode: d.DeliveryMode, body: d.Body}
	if err := json.Unmarshal(d.Body, &m.fields); err != nil {
		c.t.Errorf("message %s is not a JSON object: %q", d.RoutingKey, d.Body)
	}
	c.mu.Lock()
	c.got = append(c.got, m)
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *consumer) messages() []message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]message(nil), c.got...)
}

// waitUntil waits until ok holds for the messages received, failing the test after waitFor.
func (c *consumer) waitUntil(what string, ok func([]message) bool) []message {
	c.t.Helper()
	deadline := time.After(waitFor)
	for {
		msgs := c.messages()
		if ok(msgs) {
			return msgs
		}
		select {
		case <-c.changed:
		case <-deadline:
			c.t.Fatalf("timed out waiting for %s; %d messages received", what, len(msgs))
		}
	}
}

// waitCount waits for n messages with distinct eventIds and returns them deduplicated, first copy kept.
func (c *consumer) waitCount(n int) []message {
	c.t.Helper()
	var unique []message
	c.waitUntil(fmt.Sprintf("%d distinct events", n), func(msgs []message) bool {
		unique = dedupe(msgs)
		return len(unique) >= n
	})
	return unique
}

// dedupe keeps the first message of each eventId, as a consumer must (delivery is at least once).
func dedupe(msgs []message) []message {
	seen := make(map[string]bool, len(msgs))
	var out []message
	for _, m := range msgs {
		id := m.str("eventId")
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, m)
	}
	return out
}

// proxy is a TCP proxy between a publisher and the broker that the test can cut, refuse, slow down or stall.
type proxy struct {
	t      testing.TB
	ln     net.Listener
	target string

	mu      sync.Mutex
	refuse  bool
	delay   time.Duration
	stalled chan struct{} // closed while traffic flows; a fresh open channel stalls it
	links   map[net.Conn]struct{}
	wg      sync.WaitGroup
}

func newProxy(t testing.TB, brokerURL string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return newProxyOn(t, ln, brokerURL)
}

// newProxyOn is newProxy on the listener ln (a TLS listener makes the proxy terminate amqps).
func newProxyOn(t testing.TB, ln net.Listener, brokerURL string) *proxy {
	t.Helper()
	u, err := amqp.ParseURI(brokerURL)
	if err != nil {
		t.Fatal(err)
	}
	flowing := make(chan struct{})
	close(flowing)
	p := &proxy{t: t, ln: ln, target: net.JoinHostPort(u.Host, fmt.Sprint(u.Port)), stalled: flowing,
		links: make(map[net.Conn]struct{})}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		p.cut()
		p.resume()
		p.wg.Wait()
	})
	return p
}

// url is brokerURL with the proxy's address instead of the broker's.
func (p *proxy) url(brokerURL string) string {
	u, err := url.Parse(brokerURL)
	if err != nil {
		p.t.Fatal(err)
	}
	u.Host = p.ln.Addr().String()
	return u.String()
}

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse := p.refuse
		p.mu.Unlock()
		if refuse {
			_ = c.Close()
			continue
		}
		b, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.links[c], p.links[b] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(b, c)
		go p.pipe(c, b)
	}
}

// pipe copies src to dst, chunk by chunk, with the proxy's delay and stalls, until either side closes.
func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	defer func() { _ = dst.Close(); _ = src.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			delay, stalled := p.delay, p.stalled
			p.mu.Unlock()
			<-stalled
			time.Sleep(delay)
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// cut closes every open link and refuses new connections until restore.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = true
	for c := range p.links {
		_ = c.Close()
	}
	clear(p.links)
}

// refuseNew refuses new connections and leaves the open links alone.
func (p *proxy) refuseNew() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = true
}

// restore accepts connections again.
func (p *proxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = false
}

// slow delays every chunk by d, both ways.
func (p *proxy) slow(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// stall stops forwarding on open links (the peers see a silent network) until resume.
func (p *proxy) stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.stalled:
		p.stalled = make(chan struct{})
	default:
	}
}

func (p *proxy) resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.stalled:
	default:
		close(p.stalled)
	}
}

// waitStats waits until ok holds for p's counters, failing the test after waitFor.
func waitStats(t testing.TB, p *bus.AMQPPublisher, what string, ok func(bus.Stats) bool) bus.Stats {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		st := p.Stats()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %+v", what, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// roomSequences groups messages by roomId, as "key payload-without-eventId-and-ts" lines in order.
func roomSequences(t testing.TB, msgs []message) map[string][]string {
	t.Helper()
	out := make(map[string][]string)
	for _, m := range msgs {
		fields := make(map[string]any, len(m.fields))
		for k, v := range m.fields {
			if k != "eventId" && k != "ts" {
				fields[k] = v
			}
		}
		canon, err := json.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		room := m.str("roomId")
		out[room] = append(out[room], m.key+" "+string(canon))
	}
	return out
}

// eventSequences is roomSequences for events as published.
func eventSequences(t testing.TB, events []bus.Event) map[string][]string {
	t.Helper()
	out := make(map[string][]string)
	for _, e := range events {
		raw, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var fields map[string]any
		if err := json.Unmarshal(raw, &fields); err != nil {
			t.Fatal(err)
		}
		canon, err := json.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		out[e.Room()] = append(out[e.Room()], e.RoutingKey()+" "+string(canon))
	}
	return out
}

// sameSequences fails the test when the rooms' sequences differ, naming the first difference.
func sameSequences(t testing.TB, got, want map[string][]string) {
	t.Helper()
	for room, w := range want {
		g := got[room]
		for i := range max(len(g), len(w)) {
			var gi, wi string
			if i < len(g) {
				gi = g[i]
			}
			if i < len(w) {
				wi = w[i]
			}
			if gi != wi {
				t.Fatalf("room %q, event %d of %d:\n got %s\nwant %s", room, i, len(w), gi, wi)
			}
		}
	}
	for room := range got {
		if _, ok := want[room]; !ok {
			t.Fatalf("unexpected room %q: %s", room, strings.Join(got[room], "\n"))
		}
	}
}
