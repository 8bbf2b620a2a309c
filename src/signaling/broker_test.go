package signaling_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/auth"
	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
	"github.com/heytribe/live-webrtcsignaling/src/signaling"
)

var jwtSecret = []byte("bus-test-secret-bus-test-secret")

// recorder is a bus.Publisher between signaling and the AMQP publisher that remembers every event, in the order
// signaling published it: what the consumer must end up with.
type recorder struct {
	next   bus.Publisher
	mu     sync.Mutex
	events []bus.Event
}

func (r *recorder) Publish(e bus.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	r.next.Publish(e)
}

func (r *recorder) all() []bus.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bus.Event(nil), r.events...)
}

// signalingServer serves the websocket API with pub in relay mode, 127.0.0.1 as a trusted proxy, and
// mutate's changes; room.live runs when the options ask for it (LiveInterval under a minute).
func signalingServer(t testing.TB, pub bus.Publisher, mutate func(*signaling.Options)) (string, *signaling.Server) {
	t.Helper()
	opts := signaling.DefaultOptions()
	opts.Mode = protocol.ModeRelay
	opts.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	if mutate != nil {
		mutate(&opts)
	}
	verifier, err := auth.NewHMACVerifier(jwtSecret)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := signaling.NewServerWith(opts, verifier, pub, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api", srv)
	hs := httptest.NewServer(mux)
	ctx, cancel := context.WithCancel(context.Background())
	liveDone := make(chan struct{})
	go func() {
		defer close(liveDone)
		if opts.LiveInterval < time.Minute {
			srv.Run(ctx)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-liveDone
		sctx, scancel := context.WithTimeout(context.Background(), testkit.Patient)
		defer scancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Errorf("signaling shutdown: %v", err)
		}
		hs.Close()
	})
	return "ws" + strings.TrimPrefix(hs.URL, "http") + "/api", srv
}

// join joins room as user, with fields added to the request, and returns the socketId.
func join(c *testkit.Client, room, user string, fields map[string]any) (string, error) {
	bearer, err := auth.SignHS256(jwtSecret, user, "", time.Now(), time.Hour)
	if err != nil {
		return "", err
	}
	d := map[string]any{"roomId": room, "bearer": bearer}
	for k, v := range fields {
		d[k] = v
	}
	if err := c.Send("join", d); err != nil {
		return "", err
	}
	m, err := c.OKReply("join", testkit.Patient)
	if err != nil {
		return "", err
	}
	var r struct{ SocketID string }
	if err := json.Unmarshal(m.D, &r); err != nil || r.SocketID == "" {
		return "", fmt.Errorf("joinR %s: %v", m.D, err)
	}
	return r.SocketID, nil
}

// barrier proves that the server has handled every earlier message of c: it answers in order, and an unknown
// action gets an error reply.
func barrier(c *testkit.Client) error {
	if err := c.Send("barrier", nil); err != nil {
		return err
	}
	if m, err := c.Reply("barrier", testkit.Patient); err != nil || m.OK() {
		return fmt.Errorf("barrier: %+v, %v", m, err)
	}
	return nil
}

func mustT(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestLiveEventsFromWebsocketClients checks the routing key and payload of every event type, produced by clients
// joining, sending reports, dropping, reconnecting within the grace period, dropping for good and leaving.
func TestLiveEventsFromWebsocketClients(t *testing.T) {
	url := brokertest.URL(t)
	opts := brokertest.PublisherOptions(url)
	c := brokertest.NewConsumer(t, url, opts.Exchange)
	pub := brokertest.NewPublisher(t, opts)
	const grace = 500 * time.Millisecond
	api, _ := signalingServer(t, pub, func(o *signaling.Options) {
		o.ReconnectGrace = grace
		o.LiveInterval = 200 * time.Millisecond
	})
	room := brokertest.UniqueName("room-")

	alice, err := testkit.Dial(api, http.Header{"X-Forwarded-For": {"192.0.2.1, 198.51.100.7"}})
	mustT(t, err)
	defer alice.Close()
	aliceID, err := join(alice, room, "alice", map[string]any{"platform": "Web", "deviceName": "Chrome",
		"networkType": "wifi", "appVersion": "2.0.1", "version": "Chrome 126", "maxVideoBitrate": 500000})
	mustT(t, err)
	bob, err := testkit.Dial(api, nil)
	mustT(t, err)
	bobID, err := join(bob, room, "bob", map[string]any{"platform": "iOS", "appVersion": "3.1", "version": "17.5"})
	mustT(t, err)

	mustT(t, alice.Send("eventFreeze", nil))
	mustT(t, alice.Send("eventCpu", map[string]any{"cpuUsed": 42}))
	mustT(t, alice.Send("eventNetworkChange", map[string]any{"networkType": "mobile"}))
	mustT(t, barrier(alice))
	live := c.WaitUntil("room.live of both", func(msgs []brokertest.Message) bool { return liveOf(msgs, room, 2) != nil })
	snapshot := liveOf(live, room, 2)

	// A drop and a reconnect within the grace period publish nothing.
	bob.Drop()
	bob2, err := testkit.Dial(api, nil)
	mustT(t, err)
	bearer, err := auth.SignHS256(jwtSecret, "bob", "", time.Now(), time.Hour)
	mustT(t, err)
	mustT(t, bob2.Send("reconnect", map[string]any{"socketId": bobID, "bearer": bearer}))
	_, err = bob2.OKReply("reconnect", testkit.Patient)
	mustT(t, err)
	// The second drop lasts: the grace period's expiry publishes room.leave.
	bob2.Drop()
	c.WaitUntil("bob's room.leave", func(msgs []brokertest.Message) bool { return len(ofKey(msgs, bus.KeyRoomLeave)) == 1 })
	mustT(t, alice.Send("leave", nil))
	_, err = alice.OKReply("leave", testkit.Patient)
	mustT(t, err)
	msgs := c.WaitUntil("alice's room.leave", func(msgs []brokertest.Message) bool {
		return len(ofKey(msgs, bus.KeyRoomLeave)) == 2
	})

	want := []string{
		`room.join {"appVersion":"2.0.1","bitrate":500000,"deviceName":"Chrome","ip":"198.51.100.7",` +
			`"networkType":"wifi","platform":"Web","roomId":"R","roomSize":1,"socketId":"A","userId":"alice",` +
			`"version":"Chrome 126"}`,
		`room.join {"appVersion":"3.1","bitrate":0,"deviceName":"","ip":"127.0.0.1","networkType":"",` +
			`"platform":"iOS","roomId":"R","roomSize":2,"socketId":"B","userId":"bob","version":"17.5"}`,
		`webrtc.freeze {"roomId":"R","socketId":"A","userId":"alice"}`,
		`webrtc.cpu {"cpuUsed":42,"roomId":"R","socketId":"A","userId":"alice"}`,
		`webrtc.networkChange {"networkType":"mobile","roomId":"R","socketId":"A","userId":"alice"}`,
		`room.leave {"roomId":"R","roomSize":1,"socketId":"B","userId":"bob"}`,
		`room.leave {"roomId":"R","roomSize":0,"socketId":"A","userId":"alice"}`,
	}
	names := strings.NewReplacer(`"R"`, `"`+room+`"`, `"A"`, `"`+aliceID+`"`, `"B"`, `"`+bobID+`"`)
	for i := range want {
		want[i] = names.Replace(want[i])
	}
	var got []string
	for _, line := range brokertest.RoomSequences(t, msgs)[room] {
		if !strings.HasPrefix(line, bus.KeyRoomLive+" ") {
			got = append(got, line)
		}
	}
	brokertest.SameSequences(t, map[string][]string{room: got}, map[string][]string{room: want})

	wantSessions := fmt.Sprintf(`[{"socketId":%q,"userId":"alice"},{"socketId":%q,"userId":"bob"}]`, aliceID, bobID)
	if sessions, _ := json.Marshal(snapshot.Fields["sessions"]); string(sessions) != wantSessions {
		t.Fatalf("room.live sessions %s, want %s", sessions, wantSessions)
	}
	ids := make(map[string]bool)
	for _, m := range msgs {
		if m.ContentType != "application/json" || m.DeliveryMode != 2 || ids[m.Str("eventId")] {
			t.Fatalf("%s: content type %q, delivery mode %d, eventId %q (repeated: %v)", m.Key, m.ContentType,
				m.DeliveryMode, m.Str("eventId"), ids[m.Str("eventId")])
		}
		ids[m.Str("eventId")] = true
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", m.Str("ts")); err != nil {
			t.Fatalf("%s: ts %q is not RFC 3339 UTC with milliseconds", m.Key, m.Str("ts"))
		}
	}
}

// liveOf returns the first room.live of room with size members, or nil.
func liveOf(msgs []brokertest.Message, room string, size int) *brokertest.Message {
	for i, m := range msgs {
		if m.Key == bus.KeyRoomLive && m.Str("roomId") == room && m.Num("roomSize") == size {
			return &msgs[i]
		}
	}
	return nil
}

func ofKey(msgs []brokertest.Message, key string) []brokertest.Message {
	var out []brokertest.Message
	for _, m := range msgs {
		if m.Key == key {
			out = append(out, m)
		}
	}
	return out
}

// churn makes clients join and leave rooms until stop is closed: each worker joins a room, reports, and leaves or
// closes, over and over. It returns the first error of any worker.
func churn(api string, workers int, stop <-chan struct{}) error {
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := churnOnce(api, fmt.Sprintf("room-%d", (w+i)%3), fmt.Sprintf("user-%d", w), i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func churnOnce(api, room, user string, i int) error {
	c, err := testkit.Dial(api, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := join(c, room, user, map[string]any{"platform": "Web"}); err != nil {
		return err
	}
	if err := c.Send("eventCpu", map[string]any{"cpuUsed": i % 100}); err != nil {
		return err
	}
	if i%2 == 0 {
		if err := c.Send("leave", nil); err != nil {
			return err
		}
		_, err = c.OKReply("leave", testkit.Patient)
		return err
	}
	// Closing with a close frame leaves too; the barrier makes sure the report was handled first.
	return barrier(c)
}

// TestNoEventLostWhenTheBrokerLinkFails runs clients joining and leaving while the link to the broker is cut and
// restored, or while the broker refuses connections from the start: after recovery the consumer has every event
// signaling published, in order per room, none missing.
func TestNoEventLostWhenTheBrokerLinkFails(t *testing.T) {
	tests := []struct {
		name          string
		refuseAtStart bool
		cuts          int
	}{
		{"link cut and restored", false, 3},
		{"broker refusing at start-up", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := brokertest.URL(t)
			px := brokertest.NewProxy(t, url)
			if tt.refuseAtStart {
				px.Cut()
			}
			opts := brokertest.PublisherOptions(px.URL(url))
			opts.Window = 32
			c := brokertest.NewConsumer(t, url, opts.Exchange)
			pub := brokertest.NewPublisher(t, opts)
			rec := &recorder{next: pub}
			api, srv := signalingServer(t, rec, func(o *signaling.Options) {
				o.RoomMaxSize = 100
				o.ReconnectGrace = 0
			})

			stop := make(chan struct{})
			churned := make(chan error, 1)
			go func() { churned <- churn(api, 6, stop) }()
			if tt.refuseAtStart {
				brokertest.WaitStats(t, pub, "events queued while refused", func(s bus.Stats) bool {
					return s.Outbox > 200 && s.ConnectionErrors >= 3 && s.Published == 0
				})
				px.Restore()
			}
			for cut := 1; cut <= tt.cuts; cut++ {
				published := pub.Stats().Published
				brokertest.WaitStats(t, pub, "a connection that delivers", func(s bus.Stats) bool {
					return s.Connected && s.Published > published+50
				})
				px.Cut()
				brokertest.WaitStats(t, pub, "the cut noticed", func(s bus.Stats) bool { return !s.Connected })
				px.Restore()
			}
			brokertest.WaitStats(t, pub, "deliveries after recovery", func(s bus.Stats) bool { return s.Connected })
			close(stop)
			mustT(t, <-churned)
			// The last leaves run after the clients' close frames: every event is published once nobody is left.
			testkit.WaitFor(t, testkit.Patient, "no participant left", func() bool { return srv.Snapshot().Participants == 0 })

			want := rec.all()
			got := c.WaitCount(len(want))
			brokertest.SameSequences(t, brokertest.RoomSequences(t, got), brokertest.EventSequences(t, want))
			st := brokertest.WaitStats(t, pub, "every confirm", func(s bus.Stats) bool { return s.Published >= uint64(len(want)) })
			t.Logf("%d events, %d messages; stats %+v", len(want), len(c.Messages()), st)
		})
	}
}

// BenchmarkJoinLatency measures join → joinR through a real websocket with the AMQP publisher behind signaling,
// while the broker is up, slow (every chunk delayed 50 ms both ways by a proxy) or down (refusing connections).
// The target is no difference beyond noise: the API never waits on the broker.
func BenchmarkJoinLatency(b *testing.B) {
	url := brokertest.URL(b)
	for _, broker := range []string{"up", "slow", "down"} {
		b.Run("broker="+broker, func(b *testing.B) {
			px := brokertest.NewProxy(b, url)
			switch broker {
			case "slow":
				px.Slow(50 * time.Millisecond)
			case "down":
				px.Cut()
			}
			opts := brokertest.PublisherOptions(px.URL(url))
			opts.OutboxLimit, opts.OutboxHardLimit = 1<<20, 1<<20
			p := brokertest.NewPublisher(b, opts)
			if broker != "down" {
				brokertest.WaitStats(b, p, "connected", func(s bus.Stats) bool { return s.Connected })
			}
			api, _ := signalingServer(b, p, nil)
			latencies := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				c, err := testkit.Dial(api, nil)
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				if _, err := join(c, fmt.Sprintf("room-%d", i%50), "user", nil); err != nil {
					b.Fatal(err)
				}
				latencies = append(latencies, time.Since(start))
				c.Close()
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
