package bus_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/heytribe/live-webrtcsignaling/src/auth"
	"github.com/heytribe/live-webrtcsignaling/src/bus"
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
	srv, err := signaling.NewServerWith(opts, verifier, pub, nil, quietLogger())
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
		sctx, scancel := context.WithTimeout(context.Background(), waitFor)
		defer scancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Errorf("signaling shutdown: %v", err)
		}
		hs.Close()
	})
	return "ws" + strings.TrimPrefix(hs.URL, "http") + "/api", srv
}

// wsClient is a websocket client of the API. Its methods return errors, so worker goroutines can use it.
type wsClient struct {
	ws *websocket.Conn
}

func dialAPI(url string, header http.Header) (*wsClient, error) {
	ws, resp, err := websocket.DefaultDialer.Dial(url, header)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	_ = resp.Body.Close()
	return &wsClient{ws: ws}, nil
}

func (c *wsClient) send(action string, data any) error {
	frame := map[string]any{"a": action}
	if data != nil {
		frame["d"] = data
	}
	return c.ws.WriteJSON(frame)
}

// reply reads until the reply to action, skipping events, and returns its data, or its error code.
func (c *wsClient) reply(action string) (json.RawMessage, int, error) {
	if err := c.ws.SetReadDeadline(time.Now().Add(waitFor)); err != nil {
		return nil, 0, err
	}
	for {
		var m struct {
			A string          `json:"a"`
			S bool            `json:"s"`
			D json.RawMessage `json:"d"`
			E int             `json:"e"`
		}
		if err := c.ws.ReadJSON(&m); err != nil {
			return nil, 0, fmt.Errorf("waiting for %sR: %w", action, err)
		}
		if m.A != action+"R" && m.A != "generalR" {
			continue
		}
		if !m.S {
			return nil, m.E, nil
		}
		return m.D, 0, nil
	}
}

// ok reads the reply to action and fails unless it is a success.
func (c *wsClient) ok(action string) (json.RawMessage, error) {
	d, code, err := c.reply(action)
	if err == nil && code != 0 {
		err = fmt.Errorf("%s answered error %d", action, code)
	}
	return d, err
}

// join joins room as user and returns the socketId.
func (c *wsClient) join(room, user string, fields map[string]any) (string, error) {
	bearer, err := auth.SignHS256(jwtSecret, user, "", time.Now(), time.Hour)
	if err != nil {
		return "", err
	}
	d := map[string]any{"roomId": room, "bearer": bearer}
	for k, v := range fields {
		d[k] = v
	}
	if err := c.send("join", d); err != nil {
		return "", err
	}
	raw, err := c.ok("join")
	if err != nil {
		return "", err
	}
	var r struct{ SocketID string }
	if err := json.Unmarshal(raw, &r); err != nil || r.SocketID == "" {
		return "", fmt.Errorf("joinR %s: %v", raw, err)
	}
	return r.SocketID, nil
}

// barrier proves that the server has handled every earlier message of c: it answers in order, and an unknown
// action gets an error reply.
func (c *wsClient) barrier() error {
	if err := c.send("barrier", nil); err != nil {
		return err
	}
	if _, code, err := c.reply("barrier"); err != nil || code == 0 {
		return fmt.Errorf("barrier: code %d, %v", code, err)
	}
	return nil
}

// drop ends the TCP connection without a close frame: the participant keeps its place for the grace period.
func (c *wsClient) drop() { _ = c.ws.NetConn().Close() }

// close leaves with a close frame, then closes the connection.
func (c *wsClient) close() {
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
		time.Now().Add(time.Second))
	_ = c.ws.Close()
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
	url := brokerURL(t)
	opts := testOptions(url)
	c := newConsumer(t, url, opts.Exchange)
	pub := newPublisher(t, opts)
	const grace = 500 * time.Millisecond
	api, _ := signalingServer(t, pub, func(o *signaling.Options) {
		o.ReconnectGrace = grace
		o.LiveInterval = 200 * time.Millisecond
	})
	room := uniqueName("room-")

	alice, err := dialAPI(api, http.Header{"X-Forwarded-For": {"192.0.2.1, 198.51.100.7"}})
	mustT(t, err)
	defer alice.close()
	aliceID, err := alice.join(room, "alice", map[string]any{"platform": "Web", "deviceName": "Chrome",
		"networkType": "wifi", "appVersion": "2.0.1", "version": "Chrome 126", "maxVideoBitrate": 500000})
	mustT(t, err)
	bob, err := dialAPI(api, nil)
	mustT(t, err)
	bobID, err := bob.join(room, "bob", map[string]any{"platform": "iOS", "appVersion": "3.1", "version": "17.5"})
	mustT(t, err)

	mustT(t, alice.send("eventFreeze", nil))
	mustT(t, alice.send("eventCpu", map[string]any{"cpuUsed": 42}))
	mustT(t, alice.send("eventNetworkChange", map[string]any{"networkType": "mobile"}))
	mustT(t, alice.barrier())
	live := c.waitUntil("room.live of both", func(msgs []message) bool { return liveOf(msgs, room, 2) != nil })
	snapshot := liveOf(live, room, 2)

	// A drop and a reconnect within the grace period publish nothing.
	bob.drop()
	bob2, err := dialAPI(api, nil)
	mustT(t, err)
	bearer, err := auth.SignHS256(jwtSecret, "bob", "", time.Now(), time.Hour)
	mustT(t, err)
	mustT(t, bob2.send("reconnect", map[string]any{"socketId": bobID, "bearer": bearer}))
	_, err = bob2.ok("reconnect")
	mustT(t, err)
	// The second drop lasts: the grace period's expiry publishes room.leave.
	bob2.drop()
	c.waitUntil("bob's room.leave", func(msgs []message) bool { return len(ofKey(msgs, bus.KeyRoomLeave)) == 1 })
	mustT(t, alice.send("leave", nil))
	_, err = alice.ok("leave")
	mustT(t, err)
	msgs := c.waitUntil("alice's room.leave", func(msgs []message) bool {
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
	for _, line := range roomSequences(t, msgs)[room] {
		if !strings.HasPrefix(line, bus.KeyRoomLive+" ") {
			got = append(got, line)
		}
	}
	sameSequences(t, map[string][]string{room: got}, map[string][]string{room: want})

	wantSessions := fmt.Sprintf(`[{"socketId":%q,"userId":"alice"},{"socketId":%q,"userId":"bob"}]`, aliceID, bobID)
	if sessions, _ := json.Marshal(snapshot.fields["sessions"]); string(sessions) != wantSessions {
		t.Fatalf("room.live sessions %s, want %s", sessions, wantSessions)
	}
	ids := make(map[string]bool)
	for _, m := range msgs {
		if m.contentType != "application/json" || m.deliveryMode != 2 || ids[m.str("eventId")] {
			t.Fatalf("%s: content type %q, delivery mode %d, eventId %q (repeated: %v)", m.key, m.contentType,
				m.deliveryMode, m.str("eventId"), ids[m.str("eventId")])
		}
		ids[m.str("eventId")] = true
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", m.str("ts")); err != nil {
			t.Fatalf("%s: ts %q is not RFC 3339 UTC with milliseconds", m.key, m.str("ts"))
		}
	}
}

// liveOf returns the first room.live of room with size members, or nil.
func liveOf(msgs []message, room string, size int) *message {
	for i, m := range msgs {
		if m.key == bus.KeyRoomLive && m.str("roomId") == room && m.num("roomSize") == size {
			return &msgs[i]
		}
	}
	return nil
}

func ofKey(msgs []message, key string) []message {
	var out []message
	for _, m := range msgs {
		if m.key == key {
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
	c, err := dialAPI(api, nil)
	if err != nil {
		return err
	}
	defer c.close()
	if _, err := c.join(room, user, map[string]any{"platform": "Web"}); err != nil {
		return err
	}
	if err := c.send("eventCpu", map[string]any{"cpuUsed": i % 100}); err != nil {
		return err
	}
	if i%2 == 0 {
		if err := c.send("leave", nil); err != nil {
			return err
		}
		_, err = c.ok("leave")
		return err
	}
	// Closing with a close frame leaves too; the barrier makes sure the report was handled first.
	return c.barrier()
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
			url := brokerURL(t)
			px := newProxy(t, url)
			if tt.refuseAtStart {
				px.cut()
			}
			opts := testOptions(px.url(url))
			opts.Window = 32
			c := newConsumer(t, url, opts.Exchange)
			pub := newPublisher(t, opts)
			rec := &recorder{next: pub}
			api, srv := signalingServer(t, rec, func(o *signaling.Options) {
				o.RoomMaxSize = 100
				o.ReconnectGrace = 0
			})

			stop := make(chan struct{})
			churned := make(chan error, 1)
			go func() { churned <- churn(api, 6, stop) }()
			if tt.refuseAtStart {
				waitStats(t, pub, "events queued while refused", func(s bus.Stats) bool {
					return s.Outbox > 200 && s.ConnectionErrors >= 3 && s.Published == 0
				})
				px.restore()
			}
			for cut := 1; cut <= tt.cuts; cut++ {
				published := pub.Stats().Published
				waitStats(t, pub, "a connection that delivers", func(s bus.Stats) bool {
					return s.Connected && s.Published > published+50
				})
				px.cut()
				waitStats(t, pub, "the cut noticed", func(s bus.Stats) bool { return !s.Connected })
				px.restore()
			}
			waitStats(t, pub, "deliveries after recovery", func(s bus.Stats) bool { return s.Connected })
			close(stop)
			mustT(t, <-churned)
			// The last leaves run after the clients' close frames: every event is published once nobody is left.
			waitParticipants(t, srv, 0)

			want := rec.all()
			got := c.waitCount(len(want))
			sameSequences(t, roomSequences(t, got), eventSequences(t, want))
			st := waitStats(t, pub, "every confirm", func(s bus.Stats) bool { return s.Published >= uint64(len(want)) })
			t.Logf("%d events, %d messages; stats %+v", len(want), len(c.messages()), st)
		})
	}
}

// waitParticipants waits until the server has n participants.
func waitParticipants(t testing.TB, srv *signaling.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for srv.Snapshot().Participants != n {
		if time.Now().After(deadline) {
			t.Fatalf("participants: %d, want %d", srv.Snapshot().Participants, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
