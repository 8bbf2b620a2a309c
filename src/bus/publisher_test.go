package bus_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

// script returns n events over rooms rooms: every event type, each room's events in a recognisable order.
func script(n, rooms int) []bus.Event {
	out := make([]bus.Event, 0, n)
	for i := range n {
		out = append(out, scriptEvent(i, rooms))
	}
	return out
}

// scriptEvent is event i of a script over rooms rooms. Its fields hold i, so no two events of a script are equal.
func scriptEvent(i, rooms int) bus.Event {
	room := fmt.Sprintf("room-%d", i%rooms)
	socket := fmt.Sprintf("s%d", i)
	switch i % 6 {
	case 0:
		return bus.RoomJoin{RoomID: room, RoomSize: i, SocketID: socket, UserID: "u", Platform: "Web"}
	case 1:
		return bus.WebrtcCPU{RoomID: room, SocketID: socket, UserID: "u", CPUUsed: i % 100}
	case 2:
		return bus.RoomLive{RoomID: room, RoomSize: 1, Sessions: []bus.Session{{SocketID: socket}}}
	case 3:
		return bus.WebrtcFreeze{RoomID: room, SocketID: socket, UserID: "u"}
	case 4:
		return bus.WebrtcNetworkChange{RoomID: room, SocketID: socket, NetworkType: "4g"}
	default:
		return bus.RoomLeave{RoomID: room, RoomSize: i, SocketID: socket, UserID: "u"}
	}
}

func publishAll(p bus.Publisher, events []bus.Event) {
	for _, e := range events {
		p.Publish(e)
	}
}

func TestPublisherDeliversEveryEventInOrder(t *testing.T) {
	url := brokertest.URL(t)
	opts := brokertest.PublisherOptions(url)
	c := brokertest.NewConsumer(t, url, opts.Exchange)
	p := brokertest.NewPublisher(t, opts)
	events := script(3000, 10)
	publishAll(p, events)

	got := c.WaitCount(len(events))
	brokertest.SameSequences(t, brokertest.RoomSequences(t, got), brokertest.EventSequences(t, events))
	for _, m := range got {
		if m.ContentType != "application/json" || m.DeliveryMode != amqp.Persistent || m.AppID != "live-webrtcsignaling" {
			t.Fatalf("properties: content type %q, delivery mode %d, app %q", m.ContentType, m.DeliveryMode, m.AppID)
		}
		if m.MessageID == "" || m.MessageID != m.Str("eventId") {
			t.Fatalf("message id %q, eventId %q", m.MessageID, m.Str("eventId"))
		}
		if _, err := time.Parse(time.RFC3339, m.Str("ts")); err != nil || !strings.HasSuffix(m.Str("ts"), "Z") {
			t.Fatalf("ts %q: %v", m.Str("ts"), err)
		}
	}
	if n := len(c.Messages()); n != len(events) {
		t.Fatalf("%d messages for %d events without any failure", n, len(events))
	}
	st := brokertest.WaitStats(t, p, "every confirm", func(s bus.Stats) bool { return s.Published == uint64(len(events)) })
	if !st.Connected || st.Connects != 1 || st.Retried != 0 || st.Outbox != 0 || st.Unconfirmed != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestPublisherSurvivesLinkCuts cuts the link between publisher and broker again and again while events are
// published: after recovery the consumer has every event, in order per room.
func TestPublisherSurvivesLinkCuts(t *testing.T) {
	url := brokertest.URL(t)
	px := brokertest.NewProxy(t, url)
	opts := brokertest.PublisherOptions(px.URL(url))
	opts.Window = 64
	c := brokertest.NewConsumer(t, url, opts.Exchange)
	p := brokertest.NewPublisher(t, opts)
	events := script(6000, 12)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < len(events); i += 20 {
			publishAll(p, events[i:min(i+20, len(events))])
			time.Sleep(time.Millisecond)
		}
	}()
	for cut := 1; cut <= 4; cut++ {
		brokertest.WaitStats(t, p, "a connection that delivers", func(s bus.Stats) bool {
			return s.Connected && s.Connects >= uint64(cut) && s.Published > 0
		})
		px.Cut()
		brokertest.WaitStats(t, p, "the cut noticed", func(s bus.Stats) bool { return !s.Connected })
		px.Restore()
	}
	wg.Wait()

	got := c.WaitCount(len(events))
	brokertest.SameSequences(t, brokertest.RoomSequences(t, got), brokertest.EventSequences(t, events))
	st := brokertest.WaitStats(t, p, "every confirm", func(s bus.Stats) bool { return s.Published >= uint64(len(events)) })
	if st.Connects < 5 || st.ConnectionErrors < 4 {
		t.Fatalf("stats %+v", st)
	}
	t.Logf("%d messages for %d events; stats %+v", len(c.Messages()), len(events), st)
}

// TestPublisherWaitsForABrokerRefusingConnections starts while the broker refuses connections.
func TestPublisherWaitsForABrokerRefusingConnections(t *testing.T) {
	url := brokertest.URL(t)
	px := brokertest.NewProxy(t, url)
	px.Cut()
	opts := brokertest.PublisherOptions(px.URL(url))
	c := brokertest.NewConsumer(t, url, opts.Exchange)
	p := brokertest.NewPublisher(t, opts)
	events := script(300, 4)
	publishAll(p, events)
	st := brokertest.WaitStats(t, p, "failed attempts", func(s bus.Stats) bool { return s.ConnectionErrors >= 3 })
	if st.Connected || st.Published != 0 || st.Outbox+st.Unconfirmed != len(events) {
		t.Fatalf("while refused: %+v", st)
	}
	px.Restore()
	got := c.WaitCount(len(events))
	brokertest.SameSequences(t, brokertest.RoomSequences(t, got), brokertest.EventSequences(t, events))
}

// TestPublisherResendsNackedEvents binds a queue that rejects publishes when full: the broker nacks, and the
// publisher sends the nacked event and the later ones again, in order, until they are confirmed.
func TestPublisherResendsNackedEvents(t *testing.T) {
	url := brokertest.URL(t)
	opts := brokertest.PublisherOptions(url)
	c := brokertest.NewConsumer(t, url, opts.Exchange)
	ch := brokertest.Channel(t, url)
	full, err := ch.QueueDeclare("", false, true, true, false,
		amqp.Table{"x-max-length": int32(1), "x-overflow": "reject-publish"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(full.Name, "#", opts.Exchange, false, nil); err != nil {
		t.Fatal(err)
	}
	p := brokertest.NewPublisher(t, opts)
	events := script(20, 2)
	publishAll(p, events)
	brokertest.WaitStats(t, p, "a nack", func(s bus.Stats) bool { return s.Nacked >= 1 })
	// Emptying the queue again and again lets the resends through, one at least each time.
	deadline := time.Now().Add(testkit.Patient)
	for p.Stats().Published < uint64(len(events)) {
		if time.Now().After(deadline) {
			t.Fatalf("not every event confirmed: %+v", p.Stats())
		}
		if _, err := ch.QueuePurge(full.Name, false); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	got := c.WaitCount(len(events))
	if st := p.Stats(); st.Retried == 0 {
		t.Fatalf("no resend: %+v", st)
	}
	// Events another queue accepted before the nack arrive twice there: deduplicated by eventId, each room's
	// events are complete, and in order up to the first nacked one (at-least-once, docs/OPERATIONS.md).
	if len(got) != len(events) {
		t.Fatalf("%d distinct events, want %d", len(got), len(events))
	}
}

// TestPublisherReopensAChannelClosedByTheBroker deletes the exchange under the publisher: the broker closes the
// channel on the next publish, and the publisher declares the exchange again on a new connection and resends.
func TestPublisherReopensAChannelClosedByTheBroker(t *testing.T) {
	url := brokertest.URL(t)
	px := brokertest.NewProxy(t, url)
	opts := brokertest.PublisherOptions(px.URL(url))
	c := brokertest.NewConsumer(t, url, opts.Exchange)
	p := brokertest.NewPublisher(t, opts)
	events := script(12, 3)
	publishAll(p, events[:6])
	c.WaitCount(6)
	brokertest.WaitStats(t, p, "the first events confirmed", func(s bus.Stats) bool { return s.Published == 6 })

	// Hold the next connection back, so the test can rebind its queue to the exchange first.
	px.RefuseNew()
	ch := brokertest.Channel(t, url)
	if err := ch.ExchangeDelete(opts.Exchange, false, false); err != nil {
		t.Fatal(err)
	}
	publishAll(p, events[6:])
	brokertest.WaitStats(t, p, "the channel closed by the broker", func(s bus.Stats) bool { return !s.Connected })
	c2 := brokertest.NewConsumer(t, url, opts.Exchange)
	px.Restore()

	got := c2.WaitCount(6)
	brokertest.SameSequences(t, brokertest.RoomSequences(t, got), brokertest.EventSequences(t, events[6:]))
}

// TestPublisherResendsWhenConfirmsStopComing stalls the link: no confirm comes back, so the publisher gives the
// connection up after ConfirmTimeout and sends everything unconfirmed on the next.
func TestPublisherResendsWhenConfirmsStopComing(t *testing.T) {
	url := brokertest.URL(t)
	px := brokertest.NewProxy(t, url)
	opts := brokertest.PublisherOptions(px.URL(url))
	opts.ConfirmTimeout = 300 * time.Millisecond
	c := brokertest.NewConsumer(t, url, opts.Exchange)
	p := brokertest.NewPublisher(t, opts)
	brokertest.WaitStats(t, p, "connected", func(s bus.Stats) bool { return s.Connected })
	px.Stall()
	events := script(30, 3)
	publishAll(p, events)
	brokertest.WaitStats(t, p, "the confirm timeout", func(s bus.Stats) bool { return s.ConnectionErrors >= 1 })
	px.Resume()
	got := c.WaitCount(len(events))
	brokertest.SameSequences(t, brokertest.RoomSequences(t, got), brokertest.EventSequences(t, events))
	if st := brokertest.WaitStats(t, p, "every confirm", func(s bus.Stats) bool {
		return s.Published >= uint64(len(events))
	}); st.Retried < uint64(len(events)) {
		t.Fatalf("the unconfirmed events were not resent: %+v", st)
	}
}

func TestShutdownFlushesTheOutbox(t *testing.T) {
	url := brokertest.URL(t)
	px := brokertest.NewProxy(t, url)
	px.Cut()
	opts := brokertest.PublisherOptions(px.URL(url))
	opts.MinBackoff, opts.MaxBackoff = time.Minute, time.Minute
	c := brokertest.NewConsumer(t, url, opts.Exchange)
	p := brokertest.NewPublisher(t, opts)
	events := script(500, 5)
	publishAll(p, events)
	brokertest.WaitStats(t, p, "a failed attempt", func(s bus.Stats) bool { return s.ConnectionErrors >= 1 })
	px.Restore()
	// The publisher waits a minute before its next attempt: Shutdown cuts the wait short and delivers.
	if err := shutdown(t, p, testkit.Patient); err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	if st.Published != uint64(len(events)) || st.Abandoned != 0 || st.Outbox != 0 || st.Connected {
		t.Fatalf("after shutdown: %+v", st)
	}
	got := c.WaitCount(len(events))
	brokertest.SameSequences(t, brokertest.RoomSequences(t, got), brokertest.EventSequences(t, events))
}

func TestShutdownGivesUpAtItsDeadline(t *testing.T) {
	url := brokertest.URL(t)
	px := brokertest.NewProxy(t, url)
	px.Cut()
	p := brokertest.NewPublisher(t, brokertest.PublisherOptions(px.URL(url)))
	publishAll(p, script(50, 5))
	err := shutdown(t, p, 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "50 events") {
		t.Fatalf("shutdown: %v", err)
	}
	p.Publish(bus.RoomLeave{RoomID: "late"})
	if st := p.Stats(); st.Abandoned != 51 || st.Outbox != 0 {
		t.Fatalf("after shutdown: %+v", st)
	}
}

// TestShutdownUnblocksAWriteToADeadLink fills the socket towards a silent broker until the publisher's write
// blocks; Shutdown must still return at its deadline, not after WriteTimeout.
func TestShutdownUnblocksAWriteToADeadLink(t *testing.T) {
	url := brokertest.URL(t)
	px := brokertest.NewProxy(t, url)
	opts := brokertest.PublisherOptions(px.URL(url))
	opts.WriteTimeout, opts.ConfirmTimeout = time.Hour, time.Hour
	p := brokertest.NewPublisher(t, opts)
	brokertest.WaitStats(t, p, "connected", func(s bus.Stats) bool { return s.Connected })
	px.Stall()
	big := make([]bus.Session, 2000)
	for i := range big {
		big[i] = bus.Session{SocketID: strings.Repeat("f", 32), UserID: fmt.Sprint(i)}
	}
	for i := range 600 {
		p.Publish(bus.RoomLive{RoomID: fmt.Sprint(i), Sessions: big})
	}
	// The publisher takes events out of the outbox one by one as it writes them; the socket buffers hold a few
	// megabytes, so it blocks in a write long before the last.
	brokertest.WaitStats(t, p, "writes under way", func(s bus.Stats) bool { return s.Outbox < 580 })
	done := make(chan error, 1)
	go func() { done <- shutdown(t, p, 500*time.Millisecond) }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("shutdown reported every event delivered through a stalled link")
		}
	case <-time.After(testkit.Patient):
		t.Fatal("shutdown blocked behind a write to a stalled link")
	}
}

// TestPublishNeverBlocks publishes far more than the outbox holds while the broker is stalled: every call
// returns, and every event is accounted for.
func TestPublishNeverBlocks(t *testing.T) {
	url := brokertest.URL(t)
	px := brokertest.NewProxy(t, url)
	opts := brokertest.PublisherOptions(px.URL(url))
	opts.OutboxLimit, opts.OutboxHardLimit, opts.Window = 1000, 2000, 100
	opts.ConfirmTimeout = time.Hour
	p := brokertest.NewPublisher(t, opts)
	brokertest.WaitStats(t, p, "connected", func(s bus.Stats) bool { return s.Connected })
	px.Stall()
	events := script(60_000, 50)
	publishAll(p, events)
	st := brokertest.WaitStats(t, p, "every event accounted for", func(s bus.Stats) bool {
		return uint64(s.Outbox+s.Unconfirmed)+s.Published+s.DroppedSnapshots+s.DroppedTelemetry+s.Lost ==
			uint64(len(events))
	})
	if st.DroppedSnapshots == 0 || st.DroppedTelemetry == 0 || st.Lost == 0 || st.Outbox != opts.OutboxHardLimit {
		t.Fatalf("stats %+v", st)
	}
}
