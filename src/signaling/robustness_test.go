package signaling

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

func TestOversizedMessageClosesOnlyThatConnection(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.MaxMessageBytes = 2048 })
	a, b := h.dial(), h.dial()
	a.joinAs(h, "r", "a")
	jb := b.joinAs(h, "r", "b")
	a.flush()
	// A message just under the limit passes.
	a.send("sendMessage", map[string]any{"to": jb.SocketID, "message": strings.Repeat("x", 1900)})
	a.expectOK("sendMessage")
	// The server stops reading at the frame header: the rest of the write may fail, which is fine.
	_ = a.ws.WriteMessage(websocket.TextMessage, []byte(`{"a":"sendMessage","d":{"to":"`+jb.SocketID+`","message":"`+
		strings.Repeat("x", 4096)+`"}}`))
	if ce := a.expectClose(); ce.Code != websocket.CloseMessageTooBig {
		t.Fatalf("close code %d, want 1009", ce.Code)
	}
	b.expect(protocol.EventMessage)
	b.barrier()
}

func TestFloodIsAnsweredThenClosed(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.RateLimit = 1; o.RateBurst = 5 })
	a, b := h.dial(), h.dial()
	b.joinAs(h, "r", "b")
	ja := a.joinAs(h, "r", "a")
	// The join took one token; 4 more pass, then the 6th drop in a row closes the connection.
	for range 20 {
		if err := a.ws.WriteMessage(websocket.TextMessage, []byte(`{"a":"flood"}`)); err != nil {
			break
		}
	}
	for range 4 {
		a.expectError("flood", protocol.CodeUnknownAction)
	}
	a.expectError("general", protocol.CodeRateLimited)
	if ce := a.expectClose(); ce.Code != protocol.CloseRateLimit || ce.Text != protocol.CloseRateLimitReason {
		t.Fatalf("closed with %d %q", ce.Code, ce.Text)
	}
	// The flooder dropped (it keeps its place for a reconnect); its room and peers are undisturbed.
	h.awayIn(ja.SocketID)
	b.flush()
}

func TestSlowReaderIsClosedAndNobodyWaits(t *testing.T) {
	h := newHarness(t, func(o *Options) {
		o.SendQueueLimit = 16
		o.ReplayLimit = 8
		o.MaxMessageBytes = 1 << 20
		o.ReplayBytes = 2 << 20
		o.SendQueueBytes = 64 << 20
		o.RateLimit = 1e6
		o.RateBurst = 1e6
	})
	fast := h.dial()
	fast.joinAs(h, "r", "fast")
	// slow joins and then never reads: its messages fill the kernel buffers, then its queue.
	// A small fixed receive buffer turns the kernel's autotuning (up to tens of MiB) off.
	dialer := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			err = c.(*net.TCPConn).SetReadBuffer(4096)
		}
		return c, err
	}}
	slow, resp, err := dialer.Dial(h.url(), nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	defer slow.Close()
	if err := slow.WriteJSON(map[string]any{"a": "join", "d": map[string]any{"roomId": "r", "bearer": h.token("slow", "")}}); err != nil {
		t.Fatal(err)
	}
	var slowID string
	testkit.WaitFor(t, waitFor, "slow joined", func() bool {
		st := h.srv.Snapshot()
		if len(st.Rooms) == 1 && len(st.Rooms[0].Participants) == 2 {
			slowID = st.Rooms[0].Participants[1].SocketID
			return true
		}
		return false
	})
	// And a small server-side send buffer, so that the test needs few messages (the race detector makes each slow).
	p := h.srv.hub.socket(slowID)
	p.room.mu.Lock()
	if err := p.conn.ws.NetConn().(*net.TCPConn).SetWriteBuffer(4096); err != nil {
		t.Fatal(err)
	}
	p.room.mu.Unlock()
	fast.flush()
	payload := strings.Repeat("y", 16<<10)
	deadline := time.Now().Add(waitFor)
	n := 0
	for isConnected(h, slowID) {
		n++
		// Every request of the fast client is answered at once, however full the slow one is.
		fast.send("sendMessage", map[string]any{"to": slowID, "message": payload})
		fast.expectOK("sendMessage")
		if time.Now().After(deadline) {
			t.Fatalf("slow reader never closed after %d", n)
		}
	}
}

func isConnected(h *harness, socketID string) bool {
	for _, r := range h.srv.Snapshot().Rooms {
		for _, p := range r.Participants {
			if p.SocketID == socketID {
				return p.Connected
			}
		}
	}
	return false
}

func TestShutdownClosesAndLeaves(t *testing.T) {
	h := newHarness(t, nil)
	a, b, c := h.dial(), h.dial(), h.dial()
	a.joinAs(h, "r1", "a")
	b.joinAs(h, "r1", "b")
	jc := c.joinAs(h, "r2", "c")
	c.drop()
	h.awayIn(jc.SocketID)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := h.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, cl := range []*client{a, b} {
		if ce := cl.expectClose(); ce.Code != websocket.CloseGoingAway || ce.Text != "server shutting down" {
			t.Fatalf("closed with %d %q", ce.Code, ce.Text)
		}
	}
	if n := len(h.pub.ofKey(bus.KeyRoomLeave)); n != 3 {
		t.Fatalf("room.leave events: %d, want 3", n)
	}
	if st := h.srv.Snapshot(); st.Participants != 0 || len(st.Rooms) != 0 {
		t.Fatalf("state after shutdown: %+v", st)
	}
	resp, err := http.Get(h.hs.URL + "/api")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("after shutdown /api answers %d", resp.StatusCode)
	}
}

func TestOriginCheck(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.AllowedOrigins = []string{"https://app.example.com"} })
	own := strings.Replace(h.hs.URL, "127.0.0.1", "127.0.0.1", 1)
	for origin, ok := range map[string]bool{
		"":                        true,
		own:                       true,
		"https://app.example.com": true,
		"https://APP.example.com": true,
		"https://evil.example":    false,
		"null":                    false,
	} {
		header := http.Header{}
		if origin != "" {
			header.Set("Origin", origin)
		}
		ws, resp, err := websocket.DefaultDialer.Dial(h.url(), header)
		if ok != (err == nil) {
			t.Errorf("origin %q: err %v", origin, err)
		}
		if err == nil {
			_ = ws.Close()
		} else if resp != nil && resp.StatusCode != http.StatusForbidden {
			t.Errorf("origin %q: status %d", origin, resp.StatusCode)
		}
	}
}

func TestClientIP(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} })
	tests := []struct {
		remote, realIP, xff, want string
	}{
		{"203.0.113.5:1234", "1.2.3.4", "", "203.0.113.5"},
		{"10.1.2.3:1234", "1.2.3.4", "", "1.2.3.4"},
		{"10.1.2.3:1234", "", "9.9.9.9, 5.6.7.8", "5.6.7.8"},
		{"10.1.2.3:1234", "garbage", "", "10.1.2.3"},
		{"[::ffff:10.1.2.3]:1234", "", "", "10.1.2.3"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/api", nil)
		r.RemoteAddr = tt.remote
		if tt.realIP != "" {
			r.Header.Set("X-Real-Ip", tt.realIP)
		}
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := h.srv.clientIP(r); got != tt.want {
			t.Errorf("%+v: got %s", tt, got)
		}
	}
}

func TestRoomLive(t *testing.T) {
	h := newHarness(t, nil)
	a, b := h.dial(), h.dial()
	ja := a.joinAs(h, "r", "a")
	jb := b.joinAs(h, "r", "b")
	h.srv.publishLive()
	lives := h.pub.ofKey(bus.KeyRoomLive)
	want := bus.RoomLive{RoomID: "r", RoomSize: 2, Sessions: []bus.Session{{SocketID: ja.SocketID, UserID: "a"}, {SocketID: jb.SocketID, UserID: "b"}}}
	if len(lives) != 1 || fmt.Sprint(lives[0]) != fmt.Sprint(want) {
		t.Fatalf("room.live = %+v", lives)
	}
}

// TestConcurrentJoinsLeavesReconnects races many clients in one room, then checks that the room, the hub and the
// published events agree.
func TestConcurrentJoinsLeavesReconnects(t *testing.T) {
	const workers, rounds, maxSize = 12, 8, 5
	h := newHarness(t, func(o *Options) {
		o.RoomMaxSize = maxSize
		o.ReconnectGrace = 50 * time.Millisecond
	})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprintf("u%d", w)
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range rounds {
				ws, resp, err := websocket.DefaultDialer.Dial(h.url(), nil)
				if err != nil {
					t.Errorf("dial: %v", err)
					return
				}
				_ = resp.Body.Close()
				socketID := raceJoin(t, ws, h.token(user, ""))
				switch rng.IntN(3) {
				case 0:
					_ = ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
				case 1:
					_ = ws.NetConn().Close()
					if socketID != "" {
						ws2, resp, err := websocket.DefaultDialer.Dial(h.url(), nil)
						if err != nil {
							t.Errorf("dial: %v", err)
							return
						}
						_ = resp.Body.Close()
						_ = ws2.WriteJSON(map[string]any{"a": "reconnect", "d": map[string]any{"socketId": socketID, "bearer": h.token(user, "")}})
						_ = ws2.Close()
					}
				default:
					_ = ws.WriteJSON(map[string]any{"a": "leave"})
				}
				_ = ws.Close()
			}
		}()
	}
	wg.Wait()
	// Every participant ends up gone (closed, left, or grace expired): the room disappears.
	testkit.WaitFor(t, waitFor, "every participant gone", func() bool {
		st := h.srv.Snapshot()
		return st.Participants == 0 && len(st.Rooms) == 0 && h.srv.hub.socketCount() == 0
	})
	joins := h.pub.ofKey(bus.KeyRoomJoin)
	leaves := h.pub.ofKey(bus.KeyRoomLeave)
	if len(joins) != len(leaves) || len(joins) == 0 {
		t.Fatalf("%d room.join but %d room.leave", len(joins), len(leaves))
	}
	// Replaying the published events gives sizes that match and never exceed the limit.
	size := 0
	for _, e := range h.pub.all() {
		switch ev := e.(type) {
		case bus.RoomJoin:
			size++
			if ev.RoomSize != size || size > maxSize {
				t.Fatalf("room.join size %d, replayed size %d", ev.RoomSize, size)
			}
		case bus.RoomLeave:
			size--
			if ev.RoomSize != size {
				t.Fatalf("room.leave size %d, replayed size %d", ev.RoomSize, size)
			}
		}
	}
}

func (h *hub) socketCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sockets)
}

// raceJoin joins room "race" and returns the socketId, or "" when the room was full.
func raceJoin(t *testing.T, ws *websocket.Conn, bearer string) string {
	if err := ws.WriteJSON(map[string]any{"a": "join", "d": map[string]any{"roomId": "race", "bearer": bearer}}); err != nil {
		t.Errorf("write: %v", err)
		return ""
	}
	for {
		var m msg
		if err := ws.ReadJSON(&m); err != nil {
			t.Errorf("read: %v", err)
			return ""
		}
		if m.A == "joinR" {
			if !m.OK() {
				return ""
			}
			return decode[protocol.JoinResult](t, m.D).SocketID
		}
	}
}

// panickyPublisher panics on its first room.join, as a buggy bus plug-in might.
type panickyPublisher struct {
	recorder
	panicked bool
}

func (p *panickyPublisher) Publish(e bus.Event) {
	p.mu.Lock()
	first := !p.panicked && e.RoutingKey() == bus.KeyRoomJoin
	p.panicked = p.panicked || first
	p.mu.Unlock()
	if first {
		panic("publisher bug")
	}
	p.recorder.Publish(e)
}

func TestPanicInACallbackWedgesNothing(t *testing.T) {
	h := newHarness(t, nil)
	pub := &panickyPublisher{}
	h.srv.publisher = pub
	a, b := h.dial(), h.dial()
	a.send("join", map[string]any{"roomId": "r", "bearer": h.token("a", "")})
	a.expectError("general", protocol.CodeSystem)
	// The room is not locked forever, and the half-joined participant drops with its websocket like any other.
	b.joinAs(h, "r", "b")
	a.drop()
	testkit.WaitFor(t, waitFor, "the websocket of a ended", func() bool {
		h.srv.connsMu.Lock()
		defer h.srv.connsMu.Unlock()
		return len(h.srv.conns) == 1
	})
	if st := h.srv.Snapshot(); st.Participants != 2 || st.Rooms[0].Participants[0].Connected {
		t.Fatalf("state: %+v", st)
	}
}
