package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// testServer is run() in the test process, stopped by stop (the signal) and reporting its end on done.
type testServer struct {
	addrs listeners
	stop  context.CancelFunc
	done  chan error
}

// launch runs the server with env and its log written to logOut; the test's end stops it if the test did not.
func launch(t *testing.T, env map[string]string, logOut io.Writer) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServer{stop: cancel, done: make(chan error, 1)}
	readyCh := make(chan listeners, 1)
	lookup := func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	go func() { s.done <- run(ctx, lookup, logOut, func(l listeners) { readyCh <- l }) }()
	select {
	case s.addrs = <-readyCh:
	case err := <-s.done:
		t.Fatalf("run: %v", err)
	case <-time.After(testkit.Patient):
		t.Fatal("server not ready")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(testkit.Patient):
			t.Error("server did not stop")
		}
	})
	return s
}

// wait returns run's result, failing after testkit.Patient.
func (s *testServer) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		return err
	case <-time.After(testkit.Patient):
		t.Fatalf("server still running after %v", testkit.Patient)
	}
	return nil
}

// syncBuffer collects the server's log across goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func getWith(t *testing.T, url, auth string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// wsClient is a websocket to the server whose methods fail the test on an error.
type wsClient struct {
	*testkit.Client
}

func dialWS(t *testing.T, addr string) *wsClient {
	t.Helper()
	return &wsClient{testkit.DialT(t, "ws://"+addr+"/api", nil)}
}

func (c *wsClient) send(t *testing.T, action string, data any) {
	t.Helper()
	if err := c.Send(action, data); err != nil {
		t.Fatal(err)
	}
}

// reply waits for the reply to action, skipping events.
func (c *wsClient) reply(t *testing.T, action string) testkit.Message {
	t.Helper()
	m, err := c.Reply(action, testkit.Patient)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// closeCode waits for the server to close the websocket and returns the close code.
func (c *wsClient) closeCode(t *testing.T) int {
	t.Helper()
	ce, err := c.Closed(testkit.Patient)
	if err != nil {
		t.Fatal(err)
	}
	return ce.Code
}

func bearer(t *testing.T, addr, user, room string) string {
	t.Helper()
	code, body := getWith(t, "http://"+addr+"/dev/token?userId="+user+"&roomId="+room, "")
	var tok struct{ Bearer string }
	if code != http.StatusOK || json.Unmarshal([]byte(body), &tok) != nil {
		t.Fatalf("/dev/token: %d %s", code, body)
	}
	return tok.Bearer
}

// join joins room as user and returns the socketId.
func (c *wsClient) join(t *testing.T, addr, room, user string) string {
	t.Helper()
	c.send(t, "join", map[string]any{"roomId": room, "bearer": bearer(t, addr, user, room)})
	r := c.reply(t, "join")
	var d struct{ SocketID string }
	if !r.OK() || json.Unmarshal(r.D, &d) != nil || d.SocketID == "" {
		t.Fatalf("joinR %+v", r)
	}
	return d.SocketID
}

func TestMetricsAndAdminToken(t *testing.T) {
	const token = "test-admin-token-0123456789"
	s := launch(t, map[string]string{"PORT_NUMBER": "0", "ADMIN_ADDR": "127.0.0.1:0", "ADMIN_TOKEN": token, "UDP_PORT": "0",
		"DRAIN_TIMEOUT": "0"}, io.Discard)
	c := dialWS(t, s.addrs.public)
	c.join(t, s.addrs.public, "r1", "alice")
	c.send(t, "sendMessage", map[string]any{"to": "nobody", "message": 1})
	if r := c.reply(t, "sendMessage"); r.E != 1298 {
		t.Fatalf("sendMessage to nobody: %v", r)
	}
	admin := "http://" + s.addrs.admin
	for _, path := range []string{"/metrics", "/state", "/debug/pprof/", "/loglevel"} {
		if code, _ := getWith(t, admin+path, ""); code != http.StatusUnauthorized {
			t.Errorf("%s without the token: %d", path, code)
		}
	}
	code, body := getWith(t, admin+"/metrics", "Bearer "+token)
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	for _, want := range []string{
		"\nlive_webrtcsignaling_rooms 1\n",
		"\nlive_webrtcsignaling_participants 1\n",
		"\nlive_webrtcsignaling_websockets 1\n",
		`live_webrtcsignaling_ws_messages_total{action="join",result="ok"} 1` + "\n",
		`live_webrtcsignaling_ws_messages_total{action="sendMessage",result="error"} 1` + "\n",
		`live_webrtcsignaling_api_errors_total{code="1298"} 1` + "\n",
		"\nlive_webrtcsignaling_reconnects_total 0\n",
		"\nlive_webrtcsignaling_draining 0\n",
		`live_webrtcsignaling_build_info{version="dev",`,
		"\n# TYPE go_goroutines gauge\n",
		"\n# TYPE process_resident_memory_bytes gauge\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestMetricsOfBusAndMediaPlane runs the MCU mode with a broker: the bus, WebRTC, UDP and media families are there.
func TestMetricsOfBusAndMediaPlane(t *testing.T) {
	s := launch(t, map[string]string{"PORT_NUMBER": "0", "ADMIN_ADDR": "127.0.0.1:0", "UDP_PORT": "0",
		"RABBITMQ_URL": brokertest.URL(t), "DRAIN_TIMEOUT": "0"}, io.Discard)
	c := dialWS(t, s.addrs.public)
	c.join(t, s.addrs.public, "metrics-room", "alice")
	var body string
	if !testkit.Eventually(testkit.Patient, func() bool {
		_, body = getWith(t, "http://"+s.addrs.admin+"/metrics", "")
		// room.join, and room.live at start-up: at least one event confirmed.
		return strings.Contains(body, "\nlive_webrtcsignaling_bus_connected 1\n") &&
			!strings.Contains(body, "\nlive_webrtcsignaling_bus_published_total 0\n")
	}) {
		t.Fatalf("bus never connected and published:\n%s", body)
	}
	for _, want := range []string{
		"\nlive_webrtcsignaling_bus_outbox_depth ",
		`live_webrtcsignaling_bus_dropped_total{kind="join_leave"} 0` + "\n",
		"\nlive_webrtcsignaling_bus_reconnects_total 0\n",
		`live_webrtcsignaling_webrtc_sessions{state="connected"} 0` + "\n",
		`live_webrtcsignaling_udp_datagrams_total{direction="in"} `,
		`live_webrtcsignaling_media_sessions{role="publisher",state="up"} 0` + "\n",
		`live_webrtcsignaling_rtp_packets_total{direction="out"} 0` + "\n",
		`live_webrtcsignaling_nack_total{direction="in"} 0` + "\n",
		`live_webrtcsignaling_keyframe_requests_total{type="pli_out"} 0` + "\n",
		"\nlive_webrtcsignaling_rtx_total 0\n",
		"\nlive_webrtcsignaling_webrtc_dtls_records_dropped_total 0\n",
		"\n# TYPE live_webrtcsignaling_forward_latency_seconds histogram\n",
		`live_webrtcsignaling_forward_latency_seconds_bucket{le="2e-06"} 0` + "\n",
		`live_webrtcsignaling_forward_latency_seconds_bucket{le="+Inf"} 0` + "\n",
		"\nlive_webrtcsignaling_forward_latency_seconds_sum 0\n",
		"\nlive_webrtcsignaling_forward_latency_seconds_count 0\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestDrainLetsCallsEndThenStops(t *testing.T) {
	logs := &syncBuffer{}
	s := launch(t, map[string]string{"PORT_NUMBER": "0", "ADMIN_ADDR": "127.0.0.1:0", "DRAIN_TIMEOUT": "1m", "UDP_PORT": "0",
		"LOG_FORMAT": "json"}, logs)
	a, b := dialWS(t, s.addrs.public), dialWS(t, s.addrs.public)
	a.join(t, s.addrs.public, "r1", "alice")
	bID := b.join(t, s.addrs.public, "r1", "bob")
	s.stop()

	// Draining: the load balancer is told, metrics say so, joins are refused, the call goes on.
	testkit.WaitFor(t, testkit.Patient, "/healthz to say draining", func() bool {
		code, body := getWith(t, "http://"+s.addrs.public+"/healthz", "")
		return code == http.StatusServiceUnavailable && body == "draining\n"
	})
	if _, body := getWith(t, "http://"+s.addrs.admin+"/metrics", ""); !strings.Contains(body, "\nlive_webrtcsignaling_draining 1\n") {
		t.Error("metrics do not say draining")
	}
	c := dialWS(t, s.addrs.public)
	c.send(t, "join", map[string]any{"roomId": "r1", "bearer": bearer(t, s.addrs.public, "carol", "r1")})
	if r := c.reply(t, "join"); r.OK() || r.E != 1335 {
		t.Fatalf("join while draining: %v", r)
	}
	a.send(t, "sendMessage", map[string]any{"to": bID, "message": "still talking"})
	if r := a.reply(t, "sendMessage"); !r.OK() {
		t.Fatalf("sendMessage while draining: %v", r)
	}

	// The call ends (one leaves, the other closes the app): the server stops at once, long before DRAIN_TIMEOUT.
	a.send(t, "leave", nil)
	a.reply(t, "leave")
	bye := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	if err := b.Conn.WriteControl(websocket.CloseMessage, bye, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.wait(t); err != nil {
		t.Fatalf("run: %v", err)
	}
	if code := c.closeCode(t); code != websocket.CloseGoingAway {
		t.Fatalf("idle websocket closed with %d, want 1001", code)
	}
	for _, want := range []string{`"msg":"draining: joins refused`, `"msg":"drain: every call has ended"`,
		`"msg":"live-webrtcsignaling stopped"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s", want)
		}
	}
}

func TestDrainTimeoutEndsTheCallsLeft(t *testing.T) {
	logs := &syncBuffer{}
	s := launch(t, map[string]string{"PORT_NUMBER": "0", "ADMIN_ADDR": "", "DRAIN_TIMEOUT": "300ms", "UDP_PORT": "0",
		"LOG_FORMAT": "json"}, logs)
	a := dialWS(t, s.addrs.public)
	a.join(t, s.addrs.public, "r1", "alice")
	begin := time.Now()
	s.stop()
	if code := a.closeCode(t); code != websocket.CloseGoingAway {
		t.Fatalf("closed with %d, want 1001", code)
	}
	if waited := time.Since(begin); waited < 300*time.Millisecond {
		t.Fatalf("call ended after %v, before DRAIN_TIMEOUT", waited)
	}
	if err := s.wait(t); err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, want := range []string{`"msg":"drain: DRAIN_TIMEOUT reached, ending the calls left"`,
		`"msg":"participant left"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s", want)
		}
	}
}

// TestParticipantLinesCarryIDs follows a participant's life (join, message, drop, reconnect, leave) in the JSON
// log: every line that names a socketId also names its room and user.
func TestParticipantLinesCarryIDs(t *testing.T) {
	logs := &syncBuffer{}
	s := launch(t, map[string]string{"PORT_NUMBER": "0", "ADMIN_ADDR": "", "LOG_FORMAT": "json", "LOG_LEVEL": "debug", "UDP_PORT": "0",
		"DRAIN_TIMEOUT": "0"},
		logs)
	a, b := dialWS(t, s.addrs.public), dialWS(t, s.addrs.public)
	aID := a.join(t, s.addrs.public, "r1", "alice")
	b.join(t, s.addrs.public, "r1", "bob")
	a.Drop()
	testkit.WaitFor(t, testkit.Patient, "the drop to be noticed", func() bool {
		return strings.Contains(logs.String(), "participant away")
	})
	a2 := dialWS(t, s.addrs.public)
	a2.send(t, "reconnect", map[string]any{"socketId": aID, "bearer": bearer(t, s.addrs.public, "alice", "r1")})
	if r := a2.reply(t, "reconnect"); !r.OK() {
		t.Fatalf("reconnectR %v", r)
	}
	a2.send(t, "leave", nil)
	a2.reply(t, "leave")
	b.send(t, "leave", nil)
	b.reply(t, "leave")

	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		if _, ok := line["socketId"]; !ok {
			continue
		}
		if line["roomId"] != "r1" || line["userId"] == nil || line["userId"] == "" {
			t.Errorf("line without roomId/userId: %s", sc.Text())
		}
		seen[line["msg"].(string)] = true
	}
	for _, msg := range []string{"participant joined", "participant away, waiting for reconnect",
		"participant reconnected", "participant left"} {
		if !seen[msg] {
			t.Errorf("no %q line with socketId", msg)
		}
	}
}

// TestRunCyclesLeaveNoGoroutine starts and drains the whole server (MCU mode, admin listener, a joined call) many
// times in this process: afterwards the goroutines are back to what they were.
func TestRunCyclesLeaveNoGoroutine(t *testing.T) {
	const cycles = 10
	http.DefaultClient.CloseIdleConnections()
	before := runtime.NumGoroutine()
	for range cycles {
		s := launch(t, map[string]string{"PORT_NUMBER": "0", "ADMIN_ADDR": "127.0.0.1:0", "UDP_PORT": "0",
			"DRAIN_TIMEOUT": "5s"}, io.Discard)
		c := dialWS(t, s.addrs.public)
		c.join(t, s.addrs.public, "r1", "alice")
		if code, _ := getWith(t, "http://"+s.addrs.admin+"/metrics", ""); code != http.StatusOK {
			t.Fatalf("/metrics: %d", code)
		}
		s.stop()
		c.send(t, "leave", nil)
		if err := s.wait(t); err != nil {
			t.Fatal(err)
		}
		_ = c.Conn.Close()
	}
	http.DefaultClient.CloseIdleConnections()
	testkit.WaitGoroutines(t, before, fmt.Sprintf("%d cycles", cycles))
	t.Logf("%d cycles: %d goroutines before, %d after", cycles, before, runtime.NumGoroutine())
}
