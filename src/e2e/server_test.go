package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

const serverPackage = "github.com/heytribe/live-webrtcsignaling/src/cmd/live-webrtcsignaling"

// envServer names a command that runs the server instead of the binary built from this checkout, its words separated
// by spaces (no quoting): make image-test points it at the release image (scripts/image-server.sh). The command gets
// the test's environment for the server and is read and stopped as the binary is.
const envServer = "E2E_SERVER"

var (
	buildOnce sync.Once
	serverBin string
	buildErr  error
)

// buildServer compiles the server once per test binary.
func buildServer(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("the go tool is needed to build the server: %w", err)
			return
		}
		serverBin = filepath.Join(workDir, "live-webrtcsignaling")
		out, err := exec.Command(goTool, "build", "-o", serverBin, serverPackage).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build %s: %v\n%s", serverPackage, err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return serverBin
}

// serverCommand is the command that runs the server: envServer's, else the binary built from this checkout.
func serverCommand(t testing.TB) []string {
	t.Helper()
	if command := strings.Fields(os.Getenv(envServer)); len(command) > 0 {
		return command
	}
	return []string{buildServer(t)}
}

// server is one running server.
type server struct {
	// URL is the public listener, e.g. http://127.0.0.1:41234.
	URL  string
	Addr string
	logs *syncBuffer
}

// startServer starts the server with env added to a minimal environment (PORT_NUMBER=0, BIND_ADDRESS=127.0.0.1,
// ADMIN_ADDR="", LOG_FORMAT=json, LOG_LEVEL=debug, DRAIN_TIMEOUT=0s) and waits until it listens. At the end of the
// test it stops it with SIGTERM and fails the test if it does not exit 0; its log is shown when the test failed.
func startServer(t testing.TB, env map[string]string) *server {
	t.Helper()
	command := serverCommand(t)
	vars := map[string]string{
		"PORT_NUMBER": "0", "BIND_ADDRESS": "127.0.0.1", "ADMIN_ADDR": "", "LOG_FORMAT": "json", "LOG_LEVEL": "debug",
		// The pages are killed before the server stops, so their participants are away, keeping their places for
		// RECONNECT_GRACE: any drain would wait to its end (2 s of each test's stop when it was 2s). The server ends
		// their calls at once instead.
		"DRAIN_TIMEOUT": "0s",
	}
	for k, v := range env {
		vars[k] = v
	}
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	s := &server{logs: &syncBuffer{}}
	listening := make(chan string, 1)
	cmd.Stderr = &lineWriter{onLine: func(line []byte) { s.logLine(line, listening) }}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if err := stopProcess(cmd, exited, syscall.SIGTERM, testkit.Patient); err != nil {
			t.Errorf("server did not stop cleanly on SIGTERM: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", s.logs.tail(64<<10))
		}
	})
	select {
	case s.Addr = <-listening:
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not start listening within 30 s")
	case err := <-exited:
		exited <- err
		t.Fatalf("the server stopped before listening: %v", err)
	}
	s.URL = "http://" + s.Addr
	return s
}

// logLine keeps a line of the server's log and sends the listen address of its start line to listening.
func (s *server) logLine(line []byte, listening chan<- string) {
	s.logs.write(line)
	var entry struct {
		Msg    string `json:"msg"`
		Listen string `json:"listen"`
	}
	if json.Unmarshal(line, &entry) == nil && entry.Msg == "live-webrtcsignaling started" && entry.Listen != "" {
		select {
		case listening <- entry.Listen:
		default:
		}
	}
}

// stopProcess sends sig and waits up to grace for the process to exit (exited yields cmd.Wait's result), then kills
// it. It reports a kill or an exit other than 0.
func stopProcess(cmd *exec.Cmd, exited <-chan error, sig syscall.Signal, grace time.Duration) error {
	select {
	case err := <-exited:
		return fmt.Errorf("exited before the end of the test: %v", err)
	default:
	}
	if err := cmd.Process.Signal(sig); err != nil {
		return err
	}
	select {
	case err := <-exited:
		return err
	case <-time.After(grace):
		killErr := cmd.Process.Kill()
		return errors.Join(fmt.Errorf("still running %v after %s: killed", sig, grace), killErr, <-exited)
	}
}

// lineWriter hands each complete line written to it to onLine (with its newline).
type lineWriter struct {
	partial []byte
	onLine  func([]byte)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.onLine(w.partial[:i+1])
		w.partial = w.partial[i+1:]
	}
}

// syncBuffer is a log written by one goroutine and read by the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) write(p []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
}

// tail returns at most the last n bytes.
func (b *syncBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	data := b.buf.Bytes()
	if len(data) > n {
		data = data[len(data)-n:]
	}
	return string(data)
}

// logged returns the lines of the server's log whose message is one of msgs, in order.
func (s *server) logged(msgs ...string) []string {
	s.logs.mu.Lock()
	data := slices.Clone(s.logs.buf.Bytes())
	s.logs.mu.Unlock()
	var out []string
	for line := range bytes.Lines(data) {
		var entry struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal(line, &entry) == nil && slices.Contains(msgs, entry.Msg) {
			out = append(out, string(bytes.TrimSpace(line)))
		}
	}
	return out
}
