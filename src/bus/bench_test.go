package bus_test

import (
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	amqp "github.com/rabbitmq/amqp091-go"
)

// BenchmarkPublish is the cost of Publish for its caller (under a room lock in signaling). broker=down measures
// the full outbox, where each call also drops the oldest snapshot.
func BenchmarkPublish(b *testing.B) {
	url := brokertest.URL(b)
	for _, broker := range []string{"up", "down"} {
		b.Run("broker="+broker, func(b *testing.B) {
			opts := brokertest.PublisherOptions(url)
			if broker == "down" {
				px := brokertest.NewProxy(b, url)
				px.Cut()
				opts.URL = px.URL(url)
			}
			p := brokertest.NewPublisher(b, opts)
			e := bus.RoomLive{RoomID: "room", RoomSize: 2, Sessions: []bus.Session{{SocketID: "a"}, {SocketID: "b"}}}
			b.ReportAllocs()
			for b.Loop() {
				p.Publish(e)
			}
		})
	}
}

// BenchmarkConfirmedThroughput publishes b.N events and waits for every confirm: events per second sustained with
// publisher confirms, persistent messages, routed to one queue.
func BenchmarkConfirmedThroughput(b *testing.B) {
	url := brokertest.URL(b)
	opts := brokertest.PublisherOptions(url)
	ch := brokertest.Channel(b, url)
	if err := ch.ExchangeDeclare(opts.Exchange, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = ch.ExchangeDelete(opts.Exchange, false, false) }()
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := ch.QueueBind(q.Name, "#", opts.Exchange, false, nil); err != nil {
		b.Fatal(err)
	}
	opts.OutboxLimit, opts.OutboxHardLimit = 1<<20, 1<<20
	p := brokertest.NewPublisher(b, opts)
	brokertest.WaitStats(b, p, "connected", func(s bus.Stats) bool { return s.Connected })
	e := bus.RoomJoin{RoomID: "room", RoomSize: 3, SocketID: "0123456789abcdef0123456789abcdef", UserID: "user",
		Platform: "Web", AppVersion: "2.0.1", Version: "Chrome 126", IP: "198.51.100.7", Bitrate: 500000}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		p.Publish(e)
	}
	brokertest.WaitStats(b, p, "every confirm", func(s bus.Stats) bool { return s.Published == uint64(b.N) })
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
