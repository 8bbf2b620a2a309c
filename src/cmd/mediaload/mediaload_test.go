package main

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLoadAgainstServer runs a small load against the real server (built from this checkout, MCU mode, loopback):
// one room of two publishers and a listener, so that every stream is forwarded, timed and counted.
func TestLoadAgainstServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	srv := startServer(t)
	cfg := config{url: srv.url, pid: srv.pid, admin: srv.admin, adminToken: srv.adminToken, rooms: 1, publishers: 2,
		listeners: 1, shape: mediaShape{videoBitrate: 300_000, fps: 15, pacing: 2.5}, warmup: 500 * time.Millisecond,
		duration: 2 * time.Second, setupTimeout: 30 * time.Second}
	res, err := runLoad(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	res.print(&out, cfg)
	t.Logf("\n%s", out.String())
	if res.streams != 4 || res.sent == 0 || res.received == 0 || res.latency.n == 0 || res.serverCPU.Run <= 0 {
		t.Errorf("streams %d, sent %d, received %d, latency samples %d, server CPU %s", res.streams, res.sent,
			res.received, res.latency.n, res.serverCPU.Run)
	}
	if res.forwarding == nil || res.forwarding.count == 0 {
		t.Errorf("the server's own forwarding histogram: %+v", res.forwarding)
	}
	// The window's edges shift a few packets between sent and received; loopback loses none.
	if lost := float64(res.expected) - float64(res.received); lost > 0.05*float64(res.expected) {
		t.Errorf("received %d of %d expected packets", res.received, res.expected)
	}
	if res.unstamped != 0 || res.failed != 0 || res.downs != 0 || len(res.errors) > 0 {
		t.Errorf("unstamped %d, undecryptable %d, sessions down %d, errors %q", res.unstamped, res.failed, res.downs,
			res.errors)
	}
}

// testAdminToken protects the test server's admin listener.
const testAdminToken = "mediaload-test-admin-token"

// testServer is a server that startServer runs.
type testServer struct {
	url, admin, adminToken string
	pid                    int
}

// startServer builds the server and runs it in MCU mode, dev mode, on free loopback ports (public, admin with a
// token, media) until the end of the test.
func startServer(t *testing.T) testServer {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "live-webrtcsignaling")
	build := exec.Command("go", "build", "-o", bin, "github.com/heytribe/live-webrtcsignaling/src/cmd/live-webrtcsignaling")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "MEDIA_MODE=mcu", "PORT_NUMBER=0", "BIND_ADDRESS=127.0.0.1",
		"UDP_PORT=0", "PUBLIC_IPV4=127.0.0.1", "ADMIN_ADDR=127.0.0.1:0", "ADMIN_TOKEN=" + testAdminToken,
		"LOG_FORMAT=json", "LOG_LEVEL=info", "DRAIN_TIMEOUT=0"}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listen := make(chan testServer, 1)
	var logTail []string
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg, Listen, Admin string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "live-webrtcsignaling started" {
				listen <- testServer{url: "http://" + line.Listen, admin: "http://" + line.Admin,
					adminToken: testAdminToken, pid: cmd.Process.Pid}
			}
			logTail = append(logTail, sc.Text())
		}
	}()
	t.Cleanup(func() {
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Error(err)
		}
		<-logged
		if err := cmd.Wait(); err != nil {
			t.Errorf("server: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", strings.Join(logTail, "\n"))
		}
	})
	select {
	case srv := <-listen:
		return srv
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not start within 30 s")
		return testServer{}
	}
}
