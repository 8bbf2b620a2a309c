package bus_test

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	amqp "github.com/rabbitmq/amqp091-go"
)

const (
	// restartQueue is the backend's queue on live_events in TestPublisherSurvivesABrokerRestart: durable, bound to
	// every event.
	restartQueue = "lws-test-restart"
	// overflowExchange and overflowQueue carry the events of the publisher whose outbox overflows.
	overflowExchange = "live_events.overflow"
	overflowQueue    = "lws-test-overflow"
)

const (
	restartRooms = 12
	// streamOutbox bounds the outbox while the stream flows. The stream outpaces the broker, so events always wait
	// (the window stays full, events are in flight whenever the broker goes away), yet the outbox never holds more
	// than streamOutbox+streamChunk+downCount events, far below the default OutboxLimit: nothing is dropped.
	streamOutbox, streamChunk = 2000, 50
	// downCount events are published while the broker is down, afterCount once it is back.
	downCount, afterCount = 1000, 200
	// The overflow publisher starts while the broker is down, with an outbox limited to overflowLimit, and gets
	// overflowCount events: the overflowCount-overflowLimit extra ones each drop the oldest queued room.live. The
	// script has one room.live in six events (117 here), more than the 100 drops, so no client report nor
	// membership event is dropped.
	overflowLimit, overflowCount = 600, 700
)

// TestPublisherSurvivesABrokerRestart stops a real broker while events flow, publishes while it is down, and
// starts it again on the same state. It checks that the publisher queues every event in its outbox while the broker
// is away, reconnects with backoff, delivers everything queued (first what was unconfirmed when the broker stopped),
// and that a consumer reading the durable queue afterwards gets every event, in order per room once deduplicated by
// eventId, with duplicates only of the events the publisher sent again. A second publisher, started while the broker is
// down with a small outbox, checks that an overflow drops the oldest room.live snapshots, exactly as many as Stats
// counts, and nothing else.
func TestPublisherSurvivesABrokerRestart(t *testing.T) {
	began := time.Now()
	b := brokertest.NewPrivateBroker(t)
	b.Start()
	t.Logf("broker started in %v", time.Since(began).Round(time.Millisecond))
	declareDurableQueue(t, b.URL, bus.ExchangeLiveEvents, restartQueue)
	declareDurableQueue(t, b.URL, overflowExchange, overflowQueue)

	opts := bus.DefaultOptions()
	opts.URL = b.URL
	opts.MaxBackoff = time.Second // the default 30 s cap would only make the test wait
	p := brokertest.NewPublisher(t, opts)

	// Stop the broker while a stream of events flows faster than the broker confirms them: some are confirmed,
	// some in flight, the rest queued.
	stop := make(chan struct{})
	streamed := stream(p, stop)
	before := brokertest.WaitStats(t, p, "the stream flowing, events in flight", func(s bus.Stats) bool {
		return s.Published >= 500 && s.Unconfirmed >= 100
	})
	stopping := time.Now()
	b.Stop()
	t.Logf("broker stopped in %v", time.Since(stopping).Round(time.Millisecond))
	brokertest.WaitStats(t, p, "the connection lost", func(s bus.Stats) bool { return !s.Connected })
	close(stop)
	events := <-streamed

	// While the broker is down, new events wait in the outbox and the publisher keeps trying.
	down := make([]bus.Event, downCount)
	for i := range down {
		down[i] = scriptEvent(len(events)+i, restartRooms)
	}
	publishAll(p, down)
	events = append(events, down...)
	atDown := brokertest.WaitStats(t, p, "the loss and two failed attempts", func(s bus.Stats) bool {
		return s.ConnectionErrors >= before.ConnectionErrors+3
	})
	if atDown.Connected || atDown.Connects != before.Connects || atDown.Outbox < downCount || atDown.Unconfirmed == 0 ||
		uint64(atDown.Outbox+atDown.Unconfirmed) != uint64(len(events))-atDown.Published || dropped(atDown) {
		t.Fatalf("while the broker is down, %d events published: %+v (before the stop: %+v)", len(events), atDown, before)
	}
	t.Logf("while the broker is down: %d events published; %+v", len(events), atDown)

	overflowOpts := opts
	overflowOpts.Exchange = overflowExchange
	overflowOpts.OutboxLimit = overflowLimit
	q := brokertest.NewPublisher(t, overflowOpts)
	overflowEvents := script(overflowCount, 4)
	publishAll(q, overflowEvents)
	qDown := brokertest.WaitStats(t, q, "a failed attempt of the overflow publisher", func(s bus.Stats) bool {
		return s.ConnectionErrors >= 1
	})
	if qDown.Connects != 0 || qDown.Outbox != overflowLimit || qDown.DroppedSnapshots != overflowCount-overflowLimit ||
		qDown.DroppedTelemetry != 0 || qDown.Lost != 0 {
		t.Fatalf("overflow publisher, %d events published while the broker is down: %+v", overflowCount, qDown)
	}

	restarting := time.Now()
	b.Start()
	ready := time.Now()
	t.Logf("broker restarted in %v", ready.Sub(restarting).Round(time.Millisecond))
	back := brokertest.WaitStats(t, p, "the reconnection", func(s bus.Stats) bool { return s.Connected })
	outage := time.Since(stopping)
	t.Logf("reconnected %v after the broker was ready, %v after the stop began",
		time.Since(ready).Round(time.Millisecond), outage.Round(time.Millisecond))
	// Each failure is followed by a backoff delay of at least 50, 100, 200, 400 ms, then half of MaxBackoff: the
	// failures fit in the outage only if the publisher waited between them.
	failures := back.ConnectionErrors - before.ConnectionErrors
	if maxFailures := 5 + uint64(outage/(opts.MaxBackoff/2)); failures > maxFailures {
		t.Fatalf("%d failed attempts in a %v outage: at most %d with the backoff", failures, outage, maxFailures)
	}
	brokertest.WaitStats(t, p, "everything queued delivered after the restart", func(s bus.Stats) bool {
		return s.Published == uint64(len(events))
	})
	after := make([]bus.Event, afterCount)
	for i := range after {
		after[i] = scriptEvent(len(events)+i, restartRooms)
	}
	publishAll(p, after)
	events = append(events, after...)
	st := brokertest.WaitStats(t, p, "the events published after the restart", func(s bus.Stats) bool {
		return s.Published == uint64(len(events))
	})
	// The events unconfirmed at the stop are the only ones sent again, once each, on the one new connection. One
	// of them may have been taken from the outbox for a first send that failed: it was never sent, so it is not
	// a resend.
	resent := st.Retried - atDown.Retried
	if st.Connects != atDown.Connects+1 || st.Outbox != 0 || st.Unconfirmed != 0 || dropped(st) ||
		resent > uint64(atDown.Unconfirmed) || resent+1 < uint64(atDown.Unconfirmed) {
		t.Fatalf("after the restart: %+v (while down: %+v)", st, atDown)
	}
	qSt := brokertest.WaitStats(t, q, "the overflow publisher's outbox delivered", func(s bus.Stats) bool {
		return s.Published == overflowLimit
	})
	if qSt.Connects != 1 || qSt.Outbox != 0 || qSt.Unconfirmed != 0 || qSt.Retried != 0 ||
		qSt.DroppedSnapshots != qDown.DroppedSnapshots || qSt.DroppedTelemetry != 0 || qSt.Lost != 0 {
		t.Fatalf("overflow publisher after the restart: %+v", qSt)
	}

	t.Run("every event in order, duplicates only of events sent again", func(t *testing.T) {
		msgs := readDurableQueue(t, b.URL, restartQueue)
		unique := brokertest.Dedupe(msgs)
		if len(unique) != len(events) {
			t.Fatalf("%d distinct events in the queue, %d published", len(unique), len(events))
		}
		brokertest.SameSequences(t, brokertest.RoomSequences(t, unique), brokertest.EventSequences(t, events))
		// Confirms come in publish order, so the events confirmed before the stop are the first atDown.Published
		// ones, and the next atDown.Unconfirmed are those the publisher sent again.
		resentFrom, resentTo := atDown.Published, atDown.Published+uint64(atDown.Unconfirmed)
		dups := duplicates(t, msgs)
		if uint64(len(dups)) > resent {
			t.Fatalf("%d duplicate deliveries, but only %d events were sent again", len(dups), resent)
		}
		for _, id := range dups {
			if seq := eventSeq(t, id); seq < resentFrom || seq >= resentTo {
				t.Fatalf("event %s (sequence %d) delivered twice, but only %d-%d were sent again",
					id, seq, resentFrom, resentTo-1)
			}
		}
		t.Logf("%d events, %d duplicate deliveries, %d resends; stats %+v", len(events), len(dups), resent, st)
	})

	t.Run("a full outbox drops the oldest snapshots, as counted", func(t *testing.T) {
		msgs := readDurableQueue(t, b.URL, overflowQueue)
		if len(msgs) != overflowLimit || len(brokertest.Dedupe(msgs)) != overflowLimit {
			t.Fatalf("%d messages, %d distinct; want the %d events the outbox kept",
				len(msgs), len(brokertest.Dedupe(msgs)), overflowLimit)
		}
		var kept []bus.Event
		drops := qSt.DroppedSnapshots
		for _, e := range overflowEvents {
			if _, snapshot := e.(bus.RoomLive); snapshot && drops > 0 {
				drops--
				continue
			}
			kept = append(kept, e)
		}
		brokertest.SameSequences(t, brokertest.RoomSequences(t, msgs), brokertest.EventSequences(t, kept))
	})
	t.Logf("%v in all", time.Since(began).Round(time.Millisecond))
}

// dropped reports whether an outbox dropped any event.
func dropped(s bus.Stats) bool {
	return s.DroppedSnapshots != 0 || s.DroppedTelemetry != 0 || s.Lost != 0
}

// stream publishes scriptEvent(0), scriptEvent(1), ... in chunks, as fast as the publisher takes them but
// pausing while its outbox holds streamOutbox events or more, until stop is closed; then it returns the events.
func stream(p *bus.AMQPPublisher, stop <-chan struct{}) <-chan []bus.Event {
	published := make(chan []bus.Event, 1)
	go func() {
		var events []bus.Event
		defer func() { published <- events }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if p.Stats().Outbox >= streamOutbox {
				time.Sleep(time.Millisecond)
				continue
			}
			for range streamChunk {
				e := scriptEvent(len(events), restartRooms)
				p.Publish(e)
				events = append(events, e)
			}
		}
	}()
	return published
}

// declareDurableQueue declares exchange as the publisher does and a durable queue bound to every event on it, as a
// backend service would.
func declareDurableQueue(t testing.TB, url, exchange, queue string) {
	t.Helper()
	ch := brokertest.Channel(t, url)
	if err := ch.ExchangeDeclare(exchange, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(queue, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(queue, "#", exchange, false, nil); err != nil {
		t.Fatal(err)
	}
}

// readDurableQueue consumes every message of queue, which must exist already (a passive declaration fails
// otherwise), once the publishers have delivered everything: the messages it held when the consumer started.
func readDurableQueue(t testing.TB, url, queue string) []brokertest.Message {
	t.Helper()
	ch := brokertest.Channel(t, url)
	q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		t.Fatalf("queue %s: %v", queue, err)
	}
	c := brokertest.Consume(t, ch, queue)
	return c.WaitUntil(fmt.Sprintf("the %d messages of queue %s", q.Messages, queue), func(m []brokertest.Message) bool {
		return len(m) >= q.Messages
	})
}

// duplicates returns the eventId of each delivery beyond the first of its event, and fails the test when a copy
// differs from the first: a resend carries the same body.
func duplicates(t testing.TB, msgs []brokertest.Message) []string {
	t.Helper()
	first := make(map[string][]byte, len(msgs))
	var dups []string
	for _, m := range msgs {
		id := m.Str("eventId")
		body, seen := first[id]
		if !seen {
			first[id] = m.Body
			continue
		}
		dups = append(dups, id)
		if !bytes.Equal(body, m.Body) {
			t.Fatalf("two bodies for eventId %s:\n%s\n%s", id, body, m.Body)
		}
	}
	return dups
}

// eventSeq returns the sequence number in an eventId, "<process id>-<sequence in hex>": the event's rank among
// those its publisher queued.
func eventSeq(t testing.TB, id string) uint64 {
	t.Helper()
	_, hexSeq, ok := strings.Cut(id, "-")
	seq, err := strconv.ParseUint(hexSeq, 16, 64)
	if !ok || err != nil {
		t.Fatalf("eventId %q has no sequence number", id)
	}
	return seq
}
