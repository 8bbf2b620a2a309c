package brokertest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Message is one delivery as a consumer sees it; Fields is its JSON body.
type Message struct {
	Key, ContentType, MessageID, AppID string
	DeliveryMode                       uint8
	Body                               []byte
	Fields                             map[string]any
}

// Str is the string field of the body, "" when absent.
func (m Message) Str(field string) string {
	s, _ := m.Fields[field].(string)
	return s
}

// Num is the numeric field of the body, 0 when absent.
func (m Message) Num(field string) int {
	n, _ := m.Fields[field].(float64)
	return int(n)
}

// Consumer collects every message of a queue, acknowledged on delivery.
type Consumer struct {
	t   testing.TB
	mu  sync.Mutex
	got []Message
	// changed is signalled on every message.
	changed chan struct{}
	// done is closed when the deliveries have ended (the connection closed).
	done chan struct{}
}

// NewConsumer declares exchange (as the bus publisher does), binds a fresh exclusive queue to every routing key of
// it, as a backend service would, and collects every message. The exchange is deleted when the test ends.
func NewConsumer(t testing.TB, url, exchange string) *Consumer {
	t.Helper()
	ch := Channel(t, url)
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
	c := Consume(t, ch, q.Name)
	t.Cleanup(func() {
		if err := ch.ExchangeDelete(exchange, false, false); err != nil {
			t.Errorf("delete exchange %s: %v", exchange, err)
		}
	})
	return c
}

// Consume collects every message of queue on ch until the test ends, which closes ch.
func Consume(t testing.TB, ch *amqp.Channel, queue string) *Consumer {
	t.Helper()
	deliveries, err := ch.Consume(queue, "", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &Consumer{t: t, changed: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for d := range deliveries {
			c.add(d)
		}
	}()
	t.Cleanup(func() {
		_ = ch.Close()
		<-c.done
	})
	return c
}

func (c *Consumer) add(d amqp.Delivery) {
	m := Message{Key: d.RoutingKey, ContentType: d.ContentType, MessageID: d.MessageId, AppID: d.AppId,
		DeliveryMode: d.DeliveryMode, Body: d.Body}
	if err := json.Unmarshal(d.Body, &m.Fields); err != nil {
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

// Messages returns what was received so far, in order.
func (c *Consumer) Messages() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Message(nil), c.got...)
}

// WaitUntil waits until ok holds for the messages received and returns them, failing the test after
// testkit.Patient.
func (c *Consumer) WaitUntil(what string, ok func([]Message) bool) []Message {
	c.t.Helper()
	return c.WaitUntilIn(c.t, what, ok)
}

// WaitUntilIn is WaitUntil failing t, the test that waits: a subtest's, where the consumer belongs to its parent.
func (c *Consumer) WaitUntilIn(t testing.TB, what string, ok func([]Message) bool) []Message {
	t.Helper()
	deadline := time.After(testkit.Patient)
	for {
		msgs := c.Messages()
		if ok(msgs) {
			return msgs
		}
		select {
		case <-c.changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; %d messages received", what, len(msgs))
		}
	}
}

// WaitCount waits for n messages with distinct eventIds and returns them deduplicated, first copy kept.
func (c *Consumer) WaitCount(n int) []Message {
	c.t.Helper()
	var unique []Message
	c.WaitUntil(fmt.Sprintf("%d distinct events", n), func(msgs []Message) bool {
		unique = Dedupe(msgs)
		return len(unique) >= n
	})
	return unique
}

// Dedupe keeps the first message of each eventId, as a consumer must (delivery is at least once).
func Dedupe(msgs []Message) []Message {
	seen := make(map[string]bool, len(msgs))
	var out []Message
	for _, m := range msgs {
		id := m.Str("eventId")
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, m)
	}
	return out
}
