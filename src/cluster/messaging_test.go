package cluster

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

// recorder is a Handler that records what it gets and answers requests with an echo.
type recorder struct {
	mu  sync.Mutex
	got []*Delivery
	// block, when a body equals it, waits until release is closed.
	block   string
	release chan struct{}
}

func newRecorder() *recorder { return &recorder{release: make(chan struct{})} }

func (r *recorder) handle(_ context.Context, d *Delivery) {
	if r.block != "" && string(d.Body) == r.block {
		<-r.release
	}
	if string(d.Body) == "panic" {
		panic("handler bug")
	}
	r.mu.Lock()
	r.got = append(r.got, d)
	r.mu.Unlock()
	if d.IsRequest() && d.Kind != "silent" {
		_ = d.Reply(Message{Kind: "echo", Room: d.Room, Socket: d.Socket, Body: d.Body})
	}
}

func (r *recorder) deliveries() []*Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func (r *recorder) bodies() []string {
	var out []string
	for _, d := range r.deliveries() {
		out = append(out, string(d.Body))
	}
	return out
}

func TestRequestReplyToANodeAndToARoom(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, brokertest.URL(t))
	rec := newRecorder()
	cfgB := c.config("b")
	cfgB.Handler = rec.handle
	a, b := c.start(c.config("a")), c.start(cfgB)
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
	defer cancel()
	if _, err := b.Claim(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	for _, to := range []Address{NodeAddress("b"), RoomAddress("r1")} {
		m := Message{Kind: "signal", Room: "r1", Socket: "s1", Body: []byte(`{"a":"join"}`)}
		rep, err := a.Request(ctx, to, m)
		if err != nil {
			t.Fatalf("request to %v: %v", to, err)
		}
		if rep.Kind != "echo" || rep.Room != "r1" || rep.Socket != "s1" || string(rep.Body) != string(m.Body) {
			t.Fatalf("reply from %v: %+v", to, rep)
		}
	}
	got := rec.deliveries()
	if len(got) != 2 || got[0].From != "a" || got[0].To != NodeAddress("b") || got[1].To != RoomAddress("r1") ||
		!got[0].IsRequest() || got[0].Kind != "signal" || got[0].Socket != "s1" ||
		got[0].Deadline.Before(time.Now()) || got[0].Deadline.After(time.Now().Add(testkit.Patient)) {
		t.Fatalf("b got %+v", got)
	}
	if st := a.Stats(); st.Requests != 2 || st.MessagesSent != 2 || st.MessagesReceived != 2 {
		t.Fatalf("a's stats: %+v", st)
	}
	// A Delivery that is not a request cannot be answered.
	if err := a.Send(ctx, NodeAddress("b"), Message{Kind: "k"}); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, testkit.Patient, "the message", func() bool { return len(rec.deliveries()) == 3 })
	if d := rec.deliveries()[2]; d.IsRequest() || d.Reply(Message{Kind: "x"}) == nil {
		t.Fatal("a plain message can be answered")
	}
}

// TestSendKeepsOrderPerSender: 10,000 messages from one node to a room's owner arrive in order, while another
// node sends to the same room; each sender's messages keep their order.
func TestSendKeepsOrderPerSender(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, brokertest.URL(t))
	rec := newRecorder()
	cfgB := c.config("b")
	cfgB.Handler = rec.handle
	a, b, d := c.start(c.config("a")), c.start(cfgB), c.start(c.config("d"))
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
	defer cancel()
	if _, err := b.Claim(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	counts := map[*testNode]int{a: 10_000, d: 2_000}
	var wg sync.WaitGroup
	for sender, count := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			receipts := make([]*Receipt, 0, count)
			for i := range count {
				r, err := sender.SendAsync(RoomAddress("r1"), Message{Kind: "seq", Body: []byte(strconv.Itoa(i))})
				if err != nil {
					t.Errorf("%s: send %d: %v", sender.ID(), i, err)
					return
				}
				receipts = append(receipts, r)
			}
			for i, r := range receipts {
				if err := r.Wait(ctx); err != nil {
					t.Errorf("%s: message %d: %v", sender.ID(), i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	testkit.WaitFor(t, testkit.Patient, "every message", func() bool { return len(rec.deliveries()) == 12_000 })
	next := map[string]int{}
	for _, del := range rec.deliveries() {
		n, err := strconv.Atoi(string(del.Body))
		if err != nil || n != next[del.From] {
			t.Fatalf("from %s: got %q, want %d", del.From, del.Body, next[del.From])
		}
		next[del.From]++
	}
	if next["a"] != 10_000 || next["d"] != 2_000 {
		t.Fatalf("received %v", next)
	}
}

func TestMessagesToNobodyAreReturned(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, brokertest.URL(t))
	a := c.start(c.config("a"))
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
	defer cancel()
	if err := a.Send(ctx, RoomAddress("nobody's room"), Message{Kind: "k"}); !errors.Is(err, ErrNoRoute) {
		t.Fatalf("send to an unowned room: %v, want ErrNoRoute", err)
	}
	if err := a.Send(ctx, NodeAddress("ghost"), Message{Kind: "k"}); !errors.Is(err, ErrNoRoute) {
		t.Fatalf("send to a missing node: %v, want ErrNoRoute", err)
	}
	start := time.Now()
	if _, err := a.Request(ctx, RoomAddress("nobody's room"), Message{Kind: "k"}); !errors.Is(err, ErrNoRoute) {
		t.Fatalf("request to an unowned room: %v, want ErrNoRoute", err)
	}
	if took := time.Since(start); took > testkit.Patient/2 {
		t.Fatalf("a request to an unowned room failed after %v: it should not wait for a timeout", took)
	}
	if st := a.Stats(); st.MessagesReturned != 3 || st.RequestTimeouts != 0 {
		t.Fatalf("stats: %+v", st)
	}
}

func TestRequestTimeoutAndExpiry(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, brokertest.URL(t))
	rec := newRecorder()
	rec.block = "block"
	cfgB := c.config("b")
	cfgB.Handler = rec.handle
	cfgB.Prefetch = 1
	a, b := c.start(c.config("a")), c.start(cfgB)
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
	defer cancel()

	// No reply: ErrTimeout.
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err := a.Request(short, NodeAddress("b"), Message{Kind: "silent"})
	cancelShort()
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("request without reply: %v, want ErrTimeout", err)
	}
	// Its reply, late, is dropped and counted.
	if err := rec.deliveries()[0].Reply(Message{Kind: "late"}); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, testkit.Patient, "the late reply dropped", func() bool { return a.Stats().MessagesDropped == 1 })

	// A request waiting in the queue behind a blocked handler past its deadline expires there: b never handles it.
	// (Prefetch 1 keeps it in the broker's queue; one already in b's buffer would be handled, with its Deadline.)
	if err := a.Send(ctx, NodeAddress("b"), Message{Kind: "k", Body: []byte("block")}); err != nil {
		t.Fatal(err)
	}
	short, cancelShort = context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = a.Request(short, NodeAddress("b"), Message{Kind: "k", Body: []byte("expired")})
	cancelShort()
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("request to a blocked handler: %v, want ErrTimeout", err)
	}
	testkit.WaitFor(t, testkit.Patient, "the request to expire in b's inbox", func() bool {
		return queueLength(t, b, names{ns: c.ns}.nodeQueue("b")) == 0
	})
	close(rec.release)
	if err := a.Send(ctx, NodeAddress("b"), Message{Kind: "k", Body: []byte("after")}); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, testkit.Patient, "the message after", func() bool { return slices.Contains(rec.bodies(), "after") })
	if got := rec.bodies(); slices.Contains(got, "expired") {
		t.Fatalf("b handled an expired request: %q", got)
	}
	if st := a.Stats(); st.RequestTimeouts != 2 {
		t.Fatalf("a's stats: %+v", st)
	}
}

func TestMalformedMessagesAreDroppedAndCounted(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, brokertest.URL(t))
	rec := newRecorder()
	cfg := c.config("a")
	cfg.Handler = rec.handle
	cfg.MaxMessageBytes = 1000
	a := c.start(cfg)
	probe := newProber(t, c.url)
	ch := channel(t, probe.conn)
	inbox := names{ns: c.ns}.nodeQueue("a")
	bad := []amqp.Publishing{
		{Type: "k", Body: []byte("no sender")},
		{Type: "k", Headers: amqp.Table{headerFrom: int32(7)}},
		{Type: "k", Headers: amqp.Table{headerFrom: "not a node id"}},
		{Type: "", Headers: amqp.Table{headerFrom: "x"}},
		{Type: "k", Headers: amqp.Table{headerFrom: "x", headerRoom: strings.Repeat("r", MaxFieldBytes+1)}},
		{Type: "k", Headers: amqp.Table{headerFrom: "x"}, Body: make([]byte, 1001)},
		{Type: "k", Headers: amqp.Table{headerFrom: "x"}, ReplyTo: "q"},
		{Type: "cluster.something", Headers: amqp.Table{headerFrom: "x"}},
		{Type: "cluster.owner", Headers: amqp.Table{headerFrom: "x"}}, // an owner question to a node's inbox
		{Type: "k", Headers: amqp.Table{headerFrom: "x", headerReply: true}, CorrelationId: "c"},
		{Type: "k", Headers: amqp.Table{headerFrom: "x"}, Body: []byte("panic")},
	}
	for _, p := range bad {
		if err := ch.Publish("", inbox, false, false, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := ch.Publish("", inbox, false, false, amqp.Publishing{Type: "k", Headers: amqp.Table{headerFrom: "x"},
		Body: []byte("good")}); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, testkit.Patient, "the good message", func() bool { return slices.Contains(rec.bodies(), "good") })
	if got := rec.bodies(); len(got) != 1 {
		t.Fatalf("the handler got %q", got)
	}
	st := a.Stats()
	if st.MessagesDropped != uint64(len(bad)-1) || st.HandlerPanics != 1 {
		t.Fatalf("stats: dropped %d, panics %d; want %d and 1", st.MessagesDropped, st.HandlerPanics, len(bad)-1)
	}
	// Garbage on the announcement exchange.
	if err := ch.Publish(c.ns+".cluster", "", false, false, amqp.Publishing{Body: []byte("{not json")}); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, testkit.Patient, "the bad announcement counted", func() bool { return a.Stats().AnnouncementsDropped == 1 })
}

func TestSendValidation(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, brokertest.URL(t))
	cfg := c.config("a")
	cfg.MaxMessageBytes = 10
	a := c.start(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
	defer cancel()
	for name, tc := range map[string]struct {
		to Address
		m  Message
	}{
		"reserved kind": {NodeAddress("a"), Message{Kind: "cluster.claim"}},
		"no kind":       {NodeAddress("a"), Message{}},
		"large body":    {NodeAddress("a"), Message{Kind: "k", Body: make([]byte, 11)}},
		"bad node":      {NodeAddress("a b"), Message{Kind: "k"}},
		"no address":    {Address{}, Message{Kind: "k"}},
	} {
		if err := a.Send(ctx, tc.to, tc.m); err == nil || errors.Is(err, ErrNoRoute) {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := a.Request(ctx, tc.to, tc.m); err == nil || errors.Is(err, ErrNoRoute) {
			t.Errorf("%s: request: %v", name, err)
		}
	}
	if st := a.Stats(); st.MessagesSent != 0 {
		t.Fatalf("invalid messages were sent: %+v", st)
	}
}

func TestSendWhileDisconnected(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, brokertest.URL(t))
	a := c.start(c.config("a"))
	a.net.crash()
	a.events.wait(t, "a disconnected", testkit.Patient, func(e Event) bool { return e.Kind == Disconnected })
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
	defer cancel()
	for _, err := range []error{
		a.Send(ctx, NodeAddress("a"), Message{Kind: "k"}),
		func() error { _, err := a.Request(ctx, NodeAddress("a"), Message{Kind: "k"}); return err }(),
		func() error { _, err := a.Claim(ctx, "r1"); return err }(),
		func() error { _, err := a.Place(ctx, "r1"); return err }(),
	} {
		if !errors.Is(err, ErrNotConnected) {
			t.Errorf("while disconnected: %v, want ErrNotConnected", err)
		}
	}
	if a.Stats().Connected {
		t.Fatal("stats say connected")
	}
	a.net.restore()
	if err := a.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Send(ctx, NodeAddress("a"), Message{Kind: "k", Body: []byte("after")}); err != nil {
		t.Fatalf("send after reconnecting: %v", err)
	}
}

// queueLength returns the number of messages ready in queue, one of n's exclusive queues.
func queueLength(t testing.TB, n *testNode, queue string) int {
	t.Helper()
	s := n.session()
	if s == nil {
		t.Fatal("not connected")
	}
	var q amqp.Queue
	err := s.control(func(ch *amqp.Channel) error {
		var err error
		q, err = ch.QueueDeclarePassive(queue, false, false, true, false, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return q.Messages
}
