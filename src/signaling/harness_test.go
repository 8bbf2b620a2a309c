package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/heytribe/live-webrtcsignaling/src/auth"
	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

var testSecret = []byte("test-secret-test-secret-test-secret")

// waitFor is how long a test waits for an expected message or condition before failing.
const waitFor = testkit.Patient

// recorder is a bus.Publisher that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []bus.Event
}

func (r *recorder) Publish(e bus.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) all() []bus.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bus.Event(nil), r.events...)
}

// ofKey returns the recorded events with routing key key.
func (r *recorder) ofKey(key string) []bus.Event {
	var out []bus.Event
	for _, e := range r.all() {
		if e.RoutingKey() == key {
			out = append(out, e)
		}
	}
	return out
}

type harness struct {
	t   testing.TB
	srv *Server
	hs  *httptest.Server
	pub *recorder
}

func testOptions() Options {
	o := DefaultOptions()
	o.Mode = protocol.ModeRelay
	o.ReconnectGrace = time.Minute
	return o
}

func newHarness(t testing.TB, mutate func(*Options)) *harness {
	return newHarnessWithMedia(t, mutate, nil)
}

func newHarnessWithMedia(t testing.TB, mutate func(*Options), media MediaPlane) *harness {
	t.Helper()
	return startHarness(t, mutate, media, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// startHarness runs a server with the test options changed by mutate, media and logger.
func startHarness(t testing.TB, mutate func(*Options), media MediaPlane, logger *slog.Logger) *harness {
	t.Helper()
	opts := testOptions()
	if mutate != nil {
		mutate(&opts)
	}
	v, err := auth.NewHMACVerifier(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	pub := &recorder{}
	srv, err := NewServerWith(opts, v, pub, media, logger)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api", srv)
	hs := httptest.NewServer(mux)
	h := &harness{t: t, srv: srv, hs: hs, pub: pub}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		hs.Close()
	})
	return h
}

func (h *harness) token(userID, roomID string) string {
	h.t.Helper()
	tok, err := auth.SignHS256(testSecret, userID, roomID, time.Now(), time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

func (h *harness) url() string { return "ws" + strings.TrimPrefix(h.hs.URL, "http") + "/api" }

// msg is any message from the server.
type msg = testkit.Message

// client is a test websocket client that fails its test on an error.
type client struct {
	t  testing.TB
	kc *testkit.Client
	// ws is the websocket, for frames the methods do not send.
	ws *websocket.Conn
}

func (h *harness) dial() *client {
	h.t.Helper()
	return h.dialWith(nil)
}

func (h *harness) dialWith(header http.Header) *client {
	h.t.Helper()
	kc := testkit.DialT(h.t, h.url(), header)
	return &client{t: h.t, kc: kc, ws: kc.Conn}
}

func (c *client) sendRaw(frame string) {
	c.t.Helper()
	if err := c.kc.SendRaw([]byte(frame)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *client) send(action string, data any) {
	c.t.Helper()
	if err := c.kc.Send(action, data); err != nil {
		c.t.Fatalf("write %s: %v", action, err)
	}
}

// next returns the next message, failing the test after waitFor.
func (c *client) next() msg {
	c.t.Helper()
	m, err := c.kc.Next(waitFor)
	if err != nil {
		c.t.Fatal(err)
	}
	return m
}

// expect returns the next message and checks its action.
func (c *client) expect(action string) msg {
	c.t.Helper()
	m := c.next()
	if m.A != action {
		c.t.Fatalf("got %s (s=%v e=%d d=%s), want %s", m.A, m.S != nil && *m.S, m.E, m.D, action)
	}
	return m
}

// expectOK reads action's success reply.
func (c *client) expectOK(action string) msg {
	c.t.Helper()
	m := c.expect(action + "R")
	if !m.OK() {
		c.t.Fatalf("%sR failed with %d", action, m.E)
	}
	return m
}

// expectError reads action's error reply with code.
func (c *client) expectError(action string, code int) {
	c.t.Helper()
	m := c.expect(action + "R")
	if m.OK() || m.E != code {
		c.t.Fatalf("%sR: s=%v e=%d, want error %d", action, m.OK(), m.E, code)
	}
}

// barrier proves that nothing else was queued for c before now: the server answers frames in order, so the next
// message must be the reply to this one.
func (c *client) barrier() {
	c.t.Helper()
	c.sendRaw(`{"a":"barrier"}`)
	c.expectError("barrier", protocol.CodeUnknownAction)
}

// expectClose waits for the server to close the connection and returns the close error.
func (c *client) expectClose() *websocket.CloseError {
	c.t.Helper()
	ce, err := c.kc.Closed(waitFor)
	if err != nil {
		c.t.Fatal(err)
	}
	return ce
}

// drop ends the TCP connection without a close frame, as a network loss would.
func (c *client) drop() { c.kc.Drop() }

// readAll hands every message to each, in a goroutine of its own, until the connection ends: for a client that
// must go on reading while the test does something else. Nothing else may read c after.
func (c *client) readAll(each func(msg)) {
	go func() {
		for {
			m, err := c.kc.Next(waitFor)
			if errors.Is(err, testkit.ErrClosed) {
				return
			}
			// An error other than the end is a quiet spell: wait on.
			if err == nil {
				each(m)
			}
		}
	}()
}

func decode[T any](t testing.TB, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

// joinAs joins room as user and returns the joinR data.
func (c *client) joinAs(h *harness, room, user string) protocol.JoinResult {
	c.t.Helper()
	c.send("join", map[string]any{"roomId": room, "bearer": h.token(user, ""), "platform": "Web", "orientation": 90,
		"camera": "front"})
	for {
		m := c.next()
		if m.A == "joinR" {
			if !m.OK() {
				c.t.Fatalf("join %s/%s failed with %d", room, user, m.E)
			}
			return decode[protocol.JoinResult](c.t, m.D)
		}
	}
}

// flush discards every message queued for c so far.
func (c *client) flush() {
	c.t.Helper()
	c.sendRaw(`{"a":"barrier"}`)
	for m := c.next(); m.A != "barrierR"; m = c.next() {
	}
}
