package bus_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	amqp "github.com/rabbitmq/amqp091-go"
)

// BenchmarkPublish is the cost of Publish for its caller (under a room lock in signaling). broker=down measures
// the full outbox, where each call also drops the oldest snapshot.
func BenchmarkPublish(b *testing.B) {
	url := brokerURL(b)
	for _, broker := range []string{"up", "down"} {
		b.Run("broker="+broker, func(b *testing.B) {
			opts := testOptions(url)
			if broker == "down" {
				px := newProxy(b, url)
				px.cut()
				opts.URL = px.url(url)
			}
			p := newPublisher(b, opts)
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
	url := brokerURL(b)
	opts := testOptions(url)
	conn, err := amqp.Dial(url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		b.Fatal(err)
	}
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
	p := newPublisher(b, opts)
	waitStats(b, p, "connected", func(s bus.Stats) bool { return s.Connected })
	e := bus.RoomJoin{RoomID: "room", RoomSize: 3, SocketID: "0123456789abcdef0123456789abcdef", UserID: "user",
		Platform: "Web", AppVersion: "2.0.1", Version: "Chrome 126", IP: "198.51.100.7", Bitrate: 500000}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		p.Publish(e)
	}
	waitStats(b, p, "every confirm", func(s bus.Stats) bool { return s.Published == uint64(b.N) })
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkJoinLatency measures join → joinR through a real websocket with the AMQP publisher behind signaling,
// while the broker is up, slow (every chunk delayed 50 ms both ways by a proxy) or down (refusing connections).
// The target is no difference beyond noise: the API never waits on the broker.
func BenchmarkJoinLatency(b *testing.B) {
	url := brokerURL(b)
	for _, broker := range []string{"up", "slow", "down"} {
		b.Run("broker="+broker, func(b *testing.B) {
			px := newProxy(b, url)
			switch broker {
			case "slow":
				px.slow(50 * time.Millisecond)
			case "down":
				px.cut()
			}
			opts := testOptions(px.url(url))
			opts.OutboxLimit, opts.OutboxHardLimit = 1<<20, 1<<20
			p := newPublisher(b, opts)
			if broker != "down" {
				waitStats(b, p, "connected", func(s bus.Stats) bool { return s.Connected })
			}
			api, _ := signalingServer(b, p, nil)
			latencies := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				c, err := dialAPI(api, nil)
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				if _, err := c.join(fmt.Sprintf("room-%d", i%50), "user", nil); err != nil {
					b.Fatal(err)
				}
				latencies = append(latencies, time.Since(start))
				c.close()
			}
			b.StopTimer()
			slices.Sort(latencies)
			b.ReportMetric(ms(latencies[len(latencies)/2]), "p50-ms")
			b.ReportMetric(ms(latencies[len(latencies)*99/100]), "p99-ms")
			st := p.Stats()
			b.ReportMetric(float64(st.Published), "published")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
