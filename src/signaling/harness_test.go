package signaling

import (
	"context"
	"encoding/json"
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
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

var testSecret = []byte("test-secret-test-secret-test-secret")

// waitFor is how long a test waits for an expected message or condition before failing.
const waitFor = 5 * time.Second

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
	opts := testOptions()
	if mutate != nil {
		mutate(&opts)
	}
	v, err := auth.NewHMACVerifier(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	pub := &recorder{}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
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
type msg struct {
	A string          `json:"a"`
	S *bool           `json:"s"`
	D json.RawMessage `json:"d"`
	E int             `json:"e"`
}

func (m msg) ok() bool { return m.S != nil && *m.S }

// client is a test websocket client. A goroutine reads every message into msgs; the read error ends up in closed.
type client struct {
	t      testing.TB
	ws     *websocket.Conn
	msgs   chan msg
	closed chan error
}

func (h *harness) dial() *client {
	h.t.Helper()
	return h.dialWith(nil)
}

func (h *harness) dialWith(header http.Header) *client {
	h.t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(h.url(), header)
	if err != nil {
		h.t.Fatalf("dial: %v", err)
	}
	_ = resp.Body.Close()
	c := &client{t: h.t, ws: ws, msgs: make(chan msg, 1024), closed: make(chan error, 1)}
	go c.readLoop()
	h.t.Cleanup(func() { _ = ws.Close() })
	return c
}

func (c *client) readLoop() {
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			c.closed <- err
			close(c.msgs)
			return
		}
		var m msg
		if err := json.Unmarshal(data, &m); err != nil {
			c.closed <- err
			close(c.msgs)
			return
		}
		c.msgs <- m
	}
}

func (c *client) sendRaw(frame string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *client) send(action string, data any) {
	c.t.Helper()
	frame := map[string]any{"a": action}
	if data != nil {
		frame["d"] = data
	}
	b, err := json.Marshal(frame)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(string(b))
}

// next returns the next message, failing the test after waitFor.
func (c *client) next() msg {
	c.t.Helper()
	select {
	case m, ok := <-c.msgs:
		if !ok {
			c.t.Fatalf("connection closed while waiting for a message: %v", <-c.closed)
		}
		return m
	case <-time.After(waitFor):
		c.t.Fatal("no message in time")
	}
	return msg{}
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
	if !m.ok() {
		c.t.Fatalf("%sR failed with %d", action, m.E)
	}
	return m
}

// expectError reads action's error reply with code.
func (c *client) expectError(action string, code int) {
	c.t.Helper()
	m := c.expect(action + "R")
	if m.ok() || m.E != code {
		c.t.Fatalf("%sR: s=%v e=%d, want error %d", action, m.ok(), m.E, code)
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
	deadline := time.After(waitFor)
	for {
		select {
		case _, ok := <-c.msgs:
			if ok {
				continue
			}
			err := <-c.closed
			ce, isClose := err.(*websocket.CloseError)
			if !isClose {
				c.t.Fatalf("connection ended without a close frame: %v", err)
			}
			return ce
		case <-deadline:
			c.t.Fatal("connection not closed in time")
		}
	}
}

// drop ends the TCP connection without a close frame, as a network loss would.
func (c *client) drop() {
	_ = c.ws.NetConn().Close()
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
			if !m.ok() {
				c.t.Fatalf("join %s/%s failed with %d", room, user, m.E)
			}
			return decode[protocol.JoinResult](c.t, m.D)
		}
	}
}

// eventually polls cond until it holds or waitFor passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// flush discards every message queued for c so far.
func (c *client) flush() {
	c.t.Helper()
	c.sendRaw(`{"a":"barrier"}`)
	for m := c.next(); m.A != "barrierR"; m = c.next() {
	}
}
