package bus_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	amqp "github.com/rabbitmq/amqp091-go"
)

// restartQueue is the backend's queue in TestPublisherSurvivesABrokerRestart: durable, bound to every event.
const restartQueue = "lws-test-restart"

// TestPublisherSurvivesABrokerRestart stops a real broker while events flow, publishes while it is down, and
// starts it again on the same state: the durable queue keeps what was confirmed before the stop, the publisher
// reconnects and delivers what waited in its outbox, and a consumer that reads the queue afterwards gets every
// event, in order per room once deduplicated by eventId, duplicates only of events the publisher sent again.
func TestPublisherSurvivesABrokerRestart(t *testing.T) {
	began := time.Now()
	b := newPrivateBroker(t)
	b.start()
	t.Logf("broker started in %v", time.Since(began).Round(time.Millisecond))
	declareDurableQueue(t, b.url, restartQueue)

	opts := bus.DefaultOptions()
	opts.URL = b.url
	opts.MaxBackoff = time.Second // the default 30 s cap would only make the test wait
	p := newPublisher(t, opts)
	events := script(25_000, 12)
	const downCount, afterCount = 1000, 200

	// Stop the broker while a stream of events flows faster than the broker confirms them: some are confirmed,
	// some in flight, the rest queued.
	stop := make(chan struct{})
	streamed := stream(p, events[:len(events)-downCount-afterCount], stop)
	waitStats(t, p, "the stream flowing, events in flight", func(s bus.Stats) bool {
		return s.Published >= 500 && s.Unconfirmed >= 100
	})
	stopping := time.Now()
	b.stop()
	t.Logf("broker stopped in %v", time.Since(stopping).Round(time.Millisecond))
	atLoss := waitStats(t, p, "the connection lost", func(s bus.Stats) bool { return !s.Connected })
	close(stop)
	n := <-streamed
	t.Logf("when the connection was lost: %+v; %d events streamed", atLoss, n)

	// While the broker is down, new events wait in the outbox and the publisher keeps trying.
	down := events[n : n+downCount]
	publishAll(p, down)
	n += len(down)
	st := waitStats(t, p, "attempts while the broker is down", func(s bus.Stats) bool {
		return s.ConnectionErrors >= atLoss.ConnectionErrors+2
	})
	if st.Connected || st.Published != atLoss.Published || st.Outbox < len(down) ||
		uint64(st.Outbox+st.Unconfirmed) != uint64(n)-st.Published {
		t.Fatalf("while the broker is down, %d events published: %+v", n, st)
	}

	restarting := time.Now()
	b.start()
	t.Logf("broker restarted in %v", time.Since(restarting).Round(time.Millisecond))
	waitStats(t, p, "everything queued delivered after the restart", func(s bus.Stats) bool {
		return s.Connected && s.Published == uint64(n)
	})
	after := events[n : n+afterCount]
	publishAll(p, after)
	n += len(after)
	st = waitStats(t, p, "the events published after the restart", func(s bus.Stats) bool {
		return s.Published == uint64(n)
	})
	if st.Connects != 2 || st.Outbox != 0 || st.Unconfirmed != 0 {
		t.Fatalf("after the restart: %+v", st)
	}

	c, queued := readDurableQueue(t, b.url, restartQueue)
	msgs := c.waitUntil(fmt.Sprintf("the %d messages of the queue", queued), func(m []message) bool {
		return len(m) >= queued
	})
	unique := dedupe(msgs)
	if len(unique) != n {
		t.Fatalf("%d distinct events in the queue, %d published", len(unique), n)
	}
	sameSequences(t, roomSequences(t, unique), eventSequences(t, events[:n]))
	dups := duplicates(t, msgs)
	if dups > int(st.Retried) {
		t.Fatalf("%d duplicate deliveries, but only %d events were sent again", dups, st.Retried)
	}
	t.Logf("%d events, %d duplicate deliveries, %d resends; stats %+v; %v in all",
		n, dups, st.Retried, st, time.Since(began).Round(time.Millisecond))
}

// stream publishes events in chunks, 10,000 a second, until stop is closed or none is left, then reports how many.
func stream(p bus.Publisher, events []bus.Event, stop <-chan struct{}) <-chan int {
	published := make(chan int, 1)
	go func() {
		n := 0
		defer func() { published <- n }()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for n < len(events) {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			next := min(n+50, len(events))
			publishAll(p, events[n:next])
			n = next
		}
	}()
	return published
}

// declareDurableQueue declares live_events as the publisher does and a durable queue bound to every event on it,
// as a backend service would.
func declareDurableQueue(t testing.TB, url, queue string) {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.ExchangeDeclare(bus.ExchangeLiveEvents, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(queue, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(queue, "#", bus.ExchangeLiveEvents, false, nil); err != nil {
		t.Fatal(err)
	}
}

// readDurableQueue consumes queue, which must exist already (a passive declaration fails otherwise), and returns
// how many messages it held when the consumer started.
func readDurableQueue(t testing.TB, url, queue string) (*consumer, int) {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := conn.Channel()
	if err != nil {
		_ = conn.Close()
		t.Fatal(err)
	}
	q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		_ = conn.Close()
		t.Fatalf("queue %s: %v", queue, err)
	}
	c := consume(t, ch, queue)
	t.Cleanup(func() {
		_ = conn.Close()
		<-c.done
	})
	return c, q.Messages
}

// duplicates counts the deliveries beyond the first of each eventId, and fails the test when a copy differs from
// the first: a resend carries the same body.
func duplicates(t testing.TB, msgs []message) int {
	t.Helper()
	first := make(map[string][]byte, len(msgs))
	n := 0
	for _, m := range msgs {
		id := m.str("eventId")
		body, seen := first[id]
		if !seen {
			first[id] = m.body
			continue
		}
		n++
		if !bytes.Equal(body, m.body) {
			t.Fatalf("two bodies for eventId %s:\n%s\n%s", id, body, m.body)
		}
	}
	return n
}
