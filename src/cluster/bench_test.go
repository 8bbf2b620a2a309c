package cluster

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// benchPair starts a (the sender) and b (the owner of room r1, answering requests with an echo).
func benchPair(b *testing.B, cfgAt func(*testCluster, string) Config) (*testNode, *testNode) {
	b.Helper()
	c := newTestCluster(b, brokertest.URL(b))
	cfgB := cfgAt(c, "b")
	cfgB.Handler = func(_ context.Context, d *Delivery) {
		if d.IsRequest() {
			_ = d.Reply(Message{Kind: "echo", Body: d.Body})
		}
	}
	sender, owner := c.start(cfgAt(c, "a")), c.start(cfgB)
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
	defer cancel()
	if _, err := owner.Claim(ctx, "r1"); err != nil {
		b.Fatal(err)
	}
	return sender, owner
}

func defaultPace(c *testCluster, id string) Config {
	cfg := c.config(id)
	cfg.AnnounceInterval = time.Second
	return cfg
}

// BenchmarkRequest is the latency of a Request to a room's owner through the broker and of its reply, one at a
// time: two publishes with confirms, two deliveries.
func BenchmarkRequest(b *testing.B) {
	a, _ := benchPair(b, defaultPace)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	body := make([]byte, 200) // a signaling frame's size
	took := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if _, err := a.Request(ctx, RoomAddress("r1"), Message{Kind: "signal", Socket: "s1", Body: body}); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(percentile(took, 50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(percentile(took, 99).Microseconds()), "p99-µs")
}

// BenchmarkSend is the latency of a Send (publish and the broker's confirm) to a room's owner, one at a time.
func BenchmarkSend(b *testing.B) {
	a, _ := benchPair(b, defaultPace)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	body := make([]byte, 200)
	b.ResetTimer()
	for range b.N {
		if err := a.Send(ctx, RoomAddress("r1"), Message{Kind: "signal", Socket: "s1", Body: body}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendAsync is the throughput of pipelined sends to a room's owner (receipts awaited at the end).
func BenchmarkSendAsync(b *testing.B) {
	a, _ := benchPair(b, defaultPace)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	body := make([]byte, 200)
	receipts := make([]*Receipt, 0, b.N)
	b.ResetTimer()
	for range b.N {
		r, err := a.SendAsync(RoomAddress("r1"), Message{Kind: "signal", Socket: "s1", Body: body})
		if err != nil {
			b.Fatal(err)
		}
		receipts = append(receipts, r)
	}
	for _, r := range receipts {
		if err := r.Wait(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAtRest measures what idle nodes cost the broker: three nodes at the default pace (1 announcement per
// second) for 10 s per iteration; run it with -benchtime=1x. Each announcement is one message published to the
// exchange and delivered to every node's announcement queue (the sender's included).
func BenchmarkAtRest(b *testing.B) {
	c := newTestCluster(b, brokertest.URL(b))
	const nodes = 3
	var ns []*testNode
	for _, id := range []string{"a", "b", "c"} {
		ns = append(ns, c.start(defaultPace(c, id)))
	}
	for _, n := range ns {
		testkit.WaitFor(b, testkit.Patient, "every node seen", func() bool { return seesAll(n, nodes) })
	}
	const window = 10 * time.Second
	b.ResetTimer()
	var published, received float64
	for range b.N {
		before := make([]Stats, nodes)
		for i, n := range ns {
			before[i] = n.Stats()
		}
		start := time.Now()
		time.Sleep(window) // a measurement window: the quantity is a rate
		elapsed := time.Since(start)
		for i, n := range ns {
			st := n.Stats()
			perMin := time.Minute.Seconds() / elapsed.Seconds()
			published += float64(st.AnnouncementsSent-before[i].AnnouncementsSent) * perMin
			// Its own announcement comes back too: one more delivery per announcement it sent.
			received += float64(st.AnnouncementsReceived-before[i].AnnouncementsReceived+
				st.AnnouncementsSent-before[i].AnnouncementsSent) * perMin
		}
	}
	b.ReportMetric(published/float64(b.N*nodes), "published/node/min")
	b.ReportMetric(received/float64(b.N*nodes), "delivered/node/min")
}
