package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// start runs the server with env until the test ends, and returns its addresses.
func start(t *testing.T, env map[string]string) listeners {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	readyCh := make(chan listeners, 1)
	done := make(chan error, 1)
	lookup := func(name string) (string, bool) {
		v, ok := env[name]
		if !ok && name == "DRAIN_TIMEOUT" {
			// These tests end with clients still joined: stop at once rather than wait for their calls.
			return "0", true
		}
		return v, ok
	}
	go func() { done <- run(ctx, lookup, io.Discard, func(l listeners) { readyCh <- l }) }()
	var addrs listeners
	select {
	case addrs = <-readyCh:
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(testkit.Patient):
		t.Fatal("server not ready")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run returned %v", err)
			}
		case <-time.After(testkit.Patient):
			t.Error("server did not stop")
		}
	})
	return addrs
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
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

func TestDevModeServesEverything(t *testing.T) {
	addrs := start(t, map[string]string{"PORT_NUMBER": "0", "ADMIN_ADDR": "127.0.0.1:0"})
	if !strings.HasPrefix(addrs.public, "127.0.0.1:") {
		t.Fatalf("dev mode listens on %s", addrs.public)
	}
	base := "http://" + addrs.public
	if code, body := get(t, base+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	if code, body := get(t, base+"/"); code != http.StatusOK || !strings.Contains(body, "<title>") {
		t.Fatalf("/: %d %.60q", code, body)
	}
	for _, path := range []string{"/state", "/memstats", "/debug/pprof/"} {
		if code, _ := get(t, base+path); code != http.StatusNotFound {
			t.Errorf("public %s: %d, want 404", path, code)
		}
	}
	if code, _ := get(t, base+"/dev/token"); code != http.StatusBadRequest {
		t.Fatalf("/dev/token without userId: %d", code)
	}
	code, body := get(t, base+"/dev/token?userId=alice&roomId=r1")
	var tok struct{ Bearer string }
	if code != http.StatusOK || json.Unmarshal([]byte(body), &tok) != nil || tok.Bearer == "" {
		t.Fatalf("/dev/token: %d %q", code, body)
	}

	ws := dialWS(t, addrs.public)
	ws.send(t, "join", map[string]any{"roomId": "r1", "bearer": tok.Bearer})
	r := ws.reply(t, "join")
	var joinR struct{ UserID, Mode string }
	if !r.OK() || json.Unmarshal(r.D, &joinR) != nil || joinR.UserID != "alice" || joinR.Mode != "mcu" {
		t.Fatalf("joinR %+v", r)
	}
	code, body = get(t, "http://"+addrs.admin+"/state")
	if code != http.StatusOK || !strings.Contains(body, `"userId": "alice"`) || strings.Contains(body, tok.Bearer) {
		t.Fatalf("admin /state: %d %s", code, body)
	}
}

func TestProductionModeHasNoDevToken(t *testing.T) {
	addrs := start(t, map[string]string{"PORT_NUMBER": "0", "BIND_ADDRESS": "127.0.0.1", "ADMIN_ADDR": "",
		"JWT_SECRET": "production-secret-production-secret", "MEDIA_MODE": "relay"})
	if addrs.admin != "" {
		t.Fatalf("admin listener on %q though disabled", addrs.admin)
	}
	if code, _ := get(t, "http://"+addrs.public+"/dev/token?userId=x"); code != http.StatusNotFound {
		t.Fatalf("/dev/token in production: %d", code)
	}
}

func TestShutdownClosesWebsockets(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	readyCh := make(chan listeners, 1)
	done := make(chan error, 1)
	env := map[string]string{"PORT_NUMBER": "0", "ADMIN_ADDR": ""}
	go func() {
		done <- run(ctx, func(n string) (string, bool) { v, ok := env[n]; return v, ok }, io.Discard,
			func(l listeners) { readyCh <- l })
	}()
	var addrs listeners
	select {
	case addrs = <-readyCh:
	case err := <-done:
		t.Fatalf("run ended before listening: %v", err)
	}
	ws := dialWS(t, addrs.public)
	cancel()
	if code := ws.closeCode(t); code != websocket.CloseGoingAway {
		t.Fatalf("websocket closed with %d, want 1001", code)
	}
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

func TestStartRefusals(t *testing.T) {
	dir := t.TempDir()
	badKey := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(badKey, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	for variable, env := range map[string]map[string]string{
		"JWT_PUBLIC_KEY_FILE": {"JWT_PUBLIC_KEY_FILE": badKey},
		"ROOM_MAX_SIZE":       {"ROOM_MAX_SIZE": "many"},
		"CERT_FILE_PATH":      {"CERT_FILE_PATH": "c.pem", "KEY_FILE_PATH": "k.pem"},
	} {
		err := run(context.Background(), func(n string) (string, bool) { v, ok := env[n]; return v, ok }, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), variable) {
			t.Errorf("%s: err = %v", variable, err)
		}
	}
}

// TestStartFailureReleasesEverything: a start that fails late, here on ADMIN_ADDR after the media plane has opened
// its UDP socket and started its goroutines, returns the error with everything closed: the UDP port can be bound
// again and no goroutine is left.
func TestStartFailureReleasesEverything(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{})
	if err != nil {
		t.Fatal(err)
	}
	udpPort := udp.LocalAddr().(*net.UDPAddr).Port
	if err := udp.Close(); err != nil {
		t.Fatal(err)
	}
	http.DefaultClient.CloseIdleConnections()
	before := runtime.NumGoroutine()
	env := map[string]string{"PORT_NUMBER": "0", "ADMIN_ADDR": taken.Addr().String(), "MEDIA_MODE": "mcu",
		"UDP_PORT": strconv.Itoa(udpPort), "PUBLIC_IPV4": "127.0.0.1"}
	err = run(context.Background(), func(n string) (string, bool) { v, ok := env[n]; return v, ok }, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "ADMIN_ADDR") {
		t.Fatalf("run = %v, want the ADMIN_ADDR listen error", err)
	}
	again, err := net.ListenUDP("udp4", &net.UDPAddr{Port: udpPort})
	if err != nil {
		t.Fatalf("UDP port %d still taken after run returned: %v", udpPort, err)
	}
	_ = again.Close()
	testkit.WaitGoroutines(t, before, "a failed start")
}
