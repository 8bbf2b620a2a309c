package interop

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// The media tests run the real server binary in MCU mode on loopback and drive it as clients do: a websocket for
// the signaling, pion (or our own test peer) for the media.

const serverPackage = "github.com/heytribe/live-webrtcsignaling/src/cmd/live-webrtcsignaling"

// serverBuild is one build of the server, made once per test binary.
type serverBuild struct {
	once sync.Once
	path string
	err  error
}

var (
	// raceServer is built with the race detector: a data race makes it exit 66, which fails the test that stops it.
	raceServer serverBuild
	// plainServer is built as in production, for the figures that the race detector would distort (memory).
	plainServer serverBuild
)

// serverBinary returns the path of the server binary, built with the race detector when race is true.
func serverBinary(t testing.TB, race bool) string {
	t.Helper()
	b, name, flags := &plainServer, "live-webrtcsignaling", []string{}
	if race {
		b, name, flags = &raceServer, "live-webrtcsignaling-race", []string{"-race"}
	}
	b.once.Do(func() {
		b.path = filepath.Join(serverBinDir, name)
		args := append(append([]string{"build"}, flags...), "-o", b.path, serverPackage)
		cmd := exec.Command("go", args...)
		// The product's module, two levels up: its go.mod and go.sum build the server as `make build` does.
		cmd.Dir = filepath.Join("..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// mediaServer is one running server.
type mediaServer struct {
	// URL is the public listener (http://127.0.0.1:port), AdminURL the admin listener's.
	URL, AdminURL string
	adminToken    string
	cmd           *exec.Cmd
	logs          *serverLog
}

// startMediaServer starts the server in MCU mode, in dev mode, on free loopback ports (public, admin, UDP), with
// env added, and stops it with SIGTERM at the end of the test: the test fails unless it exits 0 (the race build
// exits 66 after a data race) and logged no panic. Its log is shown when the test failed.
func startMediaServer(t testing.TB, race bool, env map[string]string) *mediaServer {
	t.Helper()
	token := make([]byte, 16)
	if _, err := rand.Read(token); err != nil {
		t.Fatal(err)
	}
	s := &mediaServer{adminToken: hex.EncodeToString(token), logs: newServerLog()}
	vars := map[string]string{
		"MEDIA_MODE": "mcu", "PORT_NUMBER": "0", "BIND_ADDRESS": "127.0.0.1", "UDP_PORT": "0",
		"PUBLIC_IPV4": "127.0.0.1", "ADMIN_ADDR": "127.0.0.1:0", "ADMIN_TOKEN": s.adminToken,
		"LOG_FORMAT": "json", "LOG_LEVEL": "info", "DRAIN_TIMEOUT": "0",
	}
	for k, v := range env {
		vars[k] = v
	}
	s.cmd = exec.Command(serverBinary(t, race))
	s.cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range vars {
		s.cmd.Env = append(s.cmd.Env, k+"="+v)
	}
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		s.logs.read(stderr)
	}()
	exited := make(chan error, 1)
	go func() {
		<-logged // Wait must not close the pipe before the last lines are read
		exited <- s.cmd.Wait()
	}()
	t.Cleanup(func() {
		if err := s.stop(exited); err != nil {
			t.Errorf("server did not stop cleanly on SIGTERM: %v", err)
		}
		if panics := s.logs.matching(`panic`); len(panics) > 0 {
			t.Errorf("the server logged panics:\n%s", strings.Join(panics, ""))
		}
		if t.Failed() {
			t.Logf("server log (tail):\n%s", s.logs.tail(64<<10))
		}
	})
	select {
	case start := <-s.logs.started:
		s.URL, s.AdminURL = "http://"+start.Listen, "http://"+start.Admin
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not start within 30 s; log:\n%s", s.logs.tail(16<<10))
	case err := <-exited:
		exited <- err
		t.Fatalf("the server stopped before listening: %v; log:\n%s", err, s.logs.tail(16<<10))
	}
	return s
}

// stop sends SIGTERM and waits for the exit; a server still running after 20 s is killed.
func (s *mediaServer) stop(exited chan error) error {
	select {
	case err := <-exited:
		return fmt.Errorf("exited before the end of the test: %v", err)
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case err := <-exited:
		return err
	case <-time.After(testkit.Patient):
		return errors.Join(fmt.Errorf("still running %v after SIGTERM: killed", testkit.Patient), s.cmd.Process.Kill(),
			<-exited)
	}
}

// pid is the server's process id, for /proc.
func (s *mediaServer) pid() int { return s.cmd.Process.Pid }

// bearer asks the dev mode server for a bearer of userID.
func (s *mediaServer) bearer(t testing.TB, userID string) string {
	t.Helper()
	resp, err := http.Get(s.URL + "/dev/token?userId=" + userID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		Bearer string `json:"bearer"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/dev/token: %s, %v", resp.Status, err)
	}
	return tok.Bearer
}

// metric returns the value of an unlabelled metric of the admin listener's /metrics.
func (s *mediaServer) metric(t testing.TB, name string) float64 {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.AdminURL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.adminToken)
	resp, err := adminClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	body, err := io.ReadAll(resp.Body) // to the end, so that the connection is reused
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("/metrics: %s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return 0
}

// serverStart is the fields of the server's start line.
type serverStart struct {
	Msg    string `json:"msg"`
	Listen string `json:"listen"`
	Admin  string `json:"admin"`
}

// serverLog keeps the server's JSON log and tells its start line.
type serverLog struct {
	started chan serverStart
	mu      sync.Mutex
	buf     bytes.Buffer
}

func newServerLog() *serverLog { return &serverLog{started: make(chan serverStart, 1)} }

func (l *serverLog) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var start serverStart
		if json.Unmarshal(line, &start) == nil && start.Msg == "live-webrtcsignaling started" {
			select {
			case l.started <- start:
			default:
			}
		}
		l.mu.Lock()
		l.buf.Write(line)
		l.buf.WriteByte('\n')
		l.mu.Unlock()
	}
}

// matching returns the lines that contain s.
func (l *serverLog) matching(s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for line := range strings.Lines(l.buf.String()) {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

func (l *serverLog) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buf.Bytes()
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// sigMessage is any message of the signaling protocol: a reply (a ends in R, s, e) or an event.
type sigMessage = testkit.Message

// peerFrom is the from of the media plane's events.
type peerFrom struct {
	SocketID string `json:"socketId"`
	UserID   string `json:"userId"`
}

// sdpEvent is eventExchangeSdp's data.
type sdpEvent struct {
	From peerFrom `json:"from"`
	SDP  struct {
		Type string `json:"type"`
		SDP  string `json:"sdp"`
	} `json:"sdp"`
}

// sigClient is one participant's websocket.
type sigClient struct {
	t        testing.TB
	ws       *testkit.Client
	SocketID string
}

// dialSignaling opens a websocket to s, closed at the end of the test.
func dialSignaling(t testing.TB, s *mediaServer) *sigClient {
	t.Helper()
	return &sigClient{t: t, ws: testkit.DialT(t, strings.Replace(s.URL, "http:", "ws:", 1)+"/api", nil)}
}

// close closes the websocket (without a close frame: the server sees a drop if the client did not leave).
func (c *sigClient) close() { _ = c.ws.Conn.Close() }

// send sends {"a":action,"d":data}.
func (c *sigClient) send(action string, data any) {
	c.t.Helper()
	if err := c.ws.Send(action, data); err != nil {
		c.t.Fatalf("send %s: %v", action, err)
	}
}

// next returns the first message, in order of arrival, for which match holds; the others stay for later calls. It
// fails the test after timeout.
func (c *sigClient) next(timeout time.Duration, what string, match func(sigMessage) bool) sigMessage {
	c.t.Helper()
	m, err := c.ws.Await(timeout, what, match)
	if err != nil {
		c.t.Fatal(err)
	}
	return m
}

// reply waits for the reply to action and fails the test if it is an error.
func (c *sigClient) reply(action string) sigMessage {
	c.t.Helper()
	m := c.next(signalingWait, action+"R", func(m sigMessage) bool { return m.A == action+"R" })
	if !m.OK() {
		c.t.Fatalf("%s refused with error %d", action, m.E)
	}
	return m
}

// join joins roomID as userID and keeps the socketId.
func (c *sigClient) join(s *mediaServer, roomID, userID string) {
	c.t.Helper()
	c.send("join", map[string]any{"roomId": roomID, "bearer": s.bearer(c.t, userID)})
	var d struct {
		SocketID string `json:"socketId"`
	}
	if err := json.Unmarshal(c.reply("join").D, &d); err != nil || d.SocketID == "" {
		c.t.Fatalf("joinR: %v, socketId %q", err, d.SocketID)
	}
	c.SocketID = d.SocketID
}

// leave leaves the room.
func (c *sigClient) leave() {
	c.t.Helper()
	c.send("leave", nil)
	c.reply("leave")
}

// sdpFrom waits for eventExchangeSdp of type sdpType from socketID ("publisher" for the upstream's answer).
func (c *sigClient) sdpFrom(socketID, sdpType string) sdpEvent {
	c.t.Helper()
	var ev sdpEvent
	c.next(signalingWait, "eventExchangeSdp "+sdpType+" from "+socketID, func(m sigMessage) bool {
		return m.A == "eventExchangeSdp" && json.Unmarshal(m.D, &ev) == nil && ev.From.SocketID == socketID &&
			ev.SDP.Type == sdpType
	})
	return ev
}

// event waits for the event name from socketID.
func (c *sigClient) event(name, socketID string, timeout time.Duration) {
	c.t.Helper()
	c.next(timeout, name+" from "+socketID, func(m sigMessage) bool {
		var d struct {
			From peerFrom `json:"from"`
		}
		return m.A == name && json.Unmarshal(m.D, &d) == nil && d.From.SocketID == socketID
	})
}

// signalingWait bounds a reply or event; the media tests' conditions get mediaWait.
const (
	signalingWait = testkit.Patient
	mediaWait     = testkit.Patient
)

// waitUntil waits until cond holds, and fails the test with what and the state described by describe after
// timeout.
func waitUntil(t testing.TB, timeout time.Duration, what string, cond func() bool, describe func() string) {
	t.Helper()
	if !testkit.Eventually(timeout, cond) {
		t.Fatalf("%s: not within %s; %s", what, timeout, describe())
	}
}
