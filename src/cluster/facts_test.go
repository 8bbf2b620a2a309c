package cluster

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

// The broker behaviour that room ownership rests on, checked against the real broker: if RabbitMQ ever behaves
// otherwise, these tests say which fact broke before the cluster's own tests fail in obscure ways.

// dialThrough opens a connection whose socket goes through f, with heartbeat.
func dialThrough(t testing.TB, url string, f *faultyNet, heartbeat time.Duration) *amqp.Connection {
	t.Helper()
	conn, err := amqp.DialConfig(url, amqp.Config{
		Heartbeat: heartbeat,
		Locale:    "en_US",
		Dial: func(network, addr string) (net.Conn, error) {
			return f.dial(context.Background(), network, addr)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.thaw()
		_ = conn.Close()
	})
	return conn
}

func channel(t testing.TB, conn *amqp.Connection) *amqp.Channel {
	t.Helper()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func TestBrokerFactsExclusiveQueue(t *testing.T) {
	t.Parallel()
	url := brokertest.URL(t)
	id := brokertest.UniqueName("lwstest-")
	queue, missing := id+".room.r1", id+".room.missing"
	ownerNet := newFaultyNet()
	owner := dialThrough(t, url, ownerNet, 10*time.Second)
	other := newProber(t, url)
	if _, err := channel(t, owner).QueueDeclare(queue, false, false, true, false, nil); err != nil {
		t.Fatalf("owner's exclusive declaration: %v", err)
	}

	t.Run("another connection cannot declare it", func(t *testing.T) {
		for _, exclusive := range []bool{true, false} {
			_, err := channel(t, other.conn).QueueDeclare(queue, false, false, exclusive, false, nil)
			if code(err) != codeResourceLocked {
				t.Errorf("declare (exclusive=%v) from another connection: %v, want 405 RESOURCE_LOCKED", exclusive, err)
			}
		}
	})
	t.Run("the owner may declare it again", func(t *testing.T) {
		if _, err := channel(t, owner).QueueDeclare(queue, false, false, true, false, nil); err != nil {
			t.Errorf("owner's second declaration: %v", err)
		}
	})
	t.Run("passive declarations", func(t *testing.T) {
		if err := other.passive(queue); code(err) != codeResourceLocked {
			t.Errorf("passive declaration of another connection's exclusive queue: %v, want 405", err)
		}
		if err := other.passive(missing); code(err) != codeNotFound {
			t.Errorf("passive declaration of a missing queue: %v, want 404 NOT_FOUND", err)
		}
	})
	t.Run("another connection cannot delete it", func(t *testing.T) {
		_, err := channel(t, other.conn).QueueDelete(queue, false, false, false)
		if code(err) != codeResourceLocked {
			t.Errorf("delete from another connection: %v, want 405", err)
		}
	})

	pub := channel(t, other.conn)
	if err := pub.Confirm(false); err != nil {
		t.Fatal(err)
	}
	confirms := pub.NotifyPublish(make(chan amqp.Confirmation, 4))
	returns := pub.NotifyReturn(make(chan amqp.Return, 4))

	t.Run("another connection publishes to it through the default exchange", func(t *testing.T) {
		if err := pub.Publish("", queue, true, false, amqp.Publishing{Body: []byte("hello")}); err != nil {
			t.Fatal(err)
		}
		if c := <-confirms; !c.Ack {
			t.Fatalf("publish to another connection's exclusive queue nacked")
		}
		select {
		case r := <-returns:
			t.Fatalf("publish to another connection's exclusive queue returned: %d %s", r.ReplyCode, r.ReplyText)
		default:
		}
		d, ok, err := channel(t, owner).Get(queue, true)
		if err != nil || !ok || string(d.Body) != "hello" {
			t.Fatalf("the owner's queue holds %q, %v, %v; want hello", d.Body, ok, err)
		}
	})
	t.Run("a mandatory message without a queue is returned before its confirm", func(t *testing.T) {
		if err := pub.Publish("", missing, true, false, amqp.Publishing{MessageId: "m1", Body: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		<-confirms
		// confirmLoop relies on this: the return is already waiting when the confirm arrives.
		select {
		case r := <-returns:
			if r.ReplyCode != 312 || r.MessageId != "m1" {
				t.Errorf("return %d %s of %q, want 312 NO_ROUTE of m1", r.ReplyCode, r.ReplyText, r.MessageId)
			}
		default:
			t.Fatal("the confirm came before the return")
		}
	})
	t.Run("delete if empty refuses a queue with messages", func(t *testing.T) {
		if err := pub.Publish("", queue, true, false, amqp.Publishing{Body: []byte("waiting")}); err != nil {
			t.Fatal(err)
		}
		<-confirms
		_, err := channel(t, owner).QueueDelete(queue, false, true, false)
		if code(err) != codePreconditionFailed {
			t.Errorf("delete if-empty of a queue with a message: %v, want 406 PRECONDITION_FAILED", err)
		}
	})
	t.Run("closing a channel puts its unacknowledged messages back before close-ok", func(t *testing.T) {
		if err := pub.Publish("", queue, true, false, amqp.Publishing{Body: []byte("unacked")}); err != nil {
			t.Fatal(err)
		}
		<-confirms
		ch := channel(t, owner)
		got := 0
		for {
			d, ok, err := ch.Get(queue, false)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			got++
			_ = d // not acknowledged
		}
		if got != 2 {
			t.Fatalf("got %d messages, want 2 (waiting, unacked)", got)
		}
		if err := ch.Close(); err != nil {
			t.Fatal(err)
		}
		q, err := channel(t, owner).QueueDeclarePassive(queue, false, false, true, false, nil)
		if err != nil || q.Messages != 2 {
			t.Fatalf("right after the channel's close: %+v, %v; want 2 messages back", q, err)
		}
		_, err = channel(t, owner).QueueDelete(queue, false, true, false)
		if code(err) != codePreconditionFailed {
			t.Errorf("delete if-empty after the close: %v, want 406", err)
		}
	})
	t.Run("the queue goes with its connection's socket", func(t *testing.T) {
		start := time.Now()
		ownerNet.crash() // no AMQP close: as kill -9 leaves it
		testkit.WaitFor(t, testkit.Patient, "the queue to be deleted", func() bool { return code(other.passive(queue)) == codeNotFound })
		t.Logf("queue deleted %v after its connection's socket closed", time.Since(start).Round(time.Millisecond))
	})
}

func TestBrokerFactsHeartbeatReleasesAFrozenOwner(t *testing.T) {
	for _, heartbeat := range []time.Duration{time.Second, 2 * time.Second} {
		t.Run(heartbeat.String(), func(t *testing.T) {
			t.Parallel()
			url := brokertest.URL(t)
			queue := brokertest.UniqueName("lwstest-") + ".room.frozen"
			ownerNet := newFaultyNet()
			owner := dialThrough(t, url, ownerNet, heartbeat)
			other := newProber(t, url)
			if _, err := channel(t, owner).QueueDeclare(queue, false, false, true, false, nil); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			ownerNet.freeze()
			// The connection is silent, not closed: the queue stays until the broker gives up on the heartbeats.
			if err := other.passive(queue); code(err) != codeResourceLocked {
				t.Fatalf("just after the freeze: %v, want 405", err)
			}
			testkit.WaitFor(t, testkit.Patient, "the broker to drop the frozen connection's queue", func() bool {
				return code(other.passive(queue)) == codeNotFound
			})
			t.Logf("heartbeat %v: a frozen owner's queue deleted %v after the freeze", heartbeat,
				time.Since(start).Round(time.Millisecond))
		})
	}
}
