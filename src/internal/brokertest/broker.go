package brokertest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	amqp "github.com/rabbitmq/amqp091-go"
)

// URL is TEST_RABBITMQ_URL (default amqp://guest:guest@127.0.0.1:5672/), once a broker answered there; it fails the
// test when none does.
func URL(t testing.TB) string {
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

// UniqueName returns prefix followed by random hex, so that concurrent test runs never share an exchange or queue.
func UniqueName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// Channel opens a connection to url and a channel on it; the test's end closes the connection.
func Channel(t testing.TB, url string) *amqp.Channel {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	return ch
}
