package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime/trace"
	"strings"
	"sync"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

type fixture struct {
	url   string
	level *slog.LevelVar
	logs  *syncBuffer
}

// syncBuffer is a log sink safe for the handler goroutines.
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

func newFixture(t *testing.T, token string) fixture {
	t.Helper()
	f := fixture{level: new(slog.LevelVar), logs: &syncBuffer{}}
	state := map[string]any{"rooms": []string{"r1"}}
	h, err := NewHandlerWith(Options{State: func() any { return state }, Level: f.level, Token: []byte(token)},
		slog.New(slog.NewTextHandler(f.logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	h.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "m 1\n") }))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func do(t *testing.T, method, url, auth, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
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
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestEndpoints(t *testing.T) {
	f := newFixture(t, "")
	tests := []struct {
		path, contains string
		status         int
	}{
		{"/", "/debug/trace?seconds=N", http.StatusOK},
		{"/state", `"r1"`, http.StatusOK},
		{"/memstats", `"heapInuse"`, http.StatusOK},
		{"/loglevel", "info\n", http.StatusOK},
		{"/debug/pprof/", "goroutine", http.StatusOK},
		{"/debug/pprof/goroutine?debug=1", "goroutine profile", http.StatusOK},
		{"/metrics", "m 1", http.StatusOK},
		{"/debug/trace?seconds=0", "seconds must be", http.StatusBadRequest},
		{"/globals", "", http.StatusNotFound},
	}
	for _, tt := range tests {
		code, _, body := do(t, http.MethodGet, f.url+tt.path, "", "")
		if code != tt.status || !strings.Contains(body, tt.contains) {
			t.Errorf("%s: %d %.80q", tt.path, code, body)
		}
	}
	_, _, body := do(t, http.MethodGet, f.url+"/memstats", "", "")
	var m MemStats
	if err := json.Unmarshal([]byte(body), &m); err != nil || m.Goroutines == 0 || m.HeapInuse == 0 {
		t.Fatalf("memstats %+v, %v", m, err)
	}
}

func TestNewHandlerWithRefusesMissingParts(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	state := func() any { return nil }
	for name, opts := range map[string]Options{
		"no state": {Level: new(slog.LevelVar)},
		"no level": {State: state},
	} {
		if _, err := NewHandlerWith(opts, logger); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewHandlerWith(Options{State: state, Level: new(slog.LevelVar)}, nil); err == nil {
		t.Error("nil logger accepted")
	}
}

func TestTokenProtectsEveryEndpoint(t *testing.T) {
	const token = "0123456789abcdef-admin"
	f := newFixture(t, token)
	for _, path := range []string{"/", "/state", "/memstats", "/loglevel", "/debug/pprof/", "/debug/trace", "/metrics"} {
		for _, auth := range []string{"", "Bearer", "Bearer wrong-token-wrong-token", "Basic " + token, token,
			"Bearer " + token + "x", "Bearer " + token[:len(token)-1]} {
			code, header, body := do(t, http.MethodGet, f.url+path, auth, "")
			if code != http.StatusUnauthorized || header.Get("WWW-Authenticate") == "" || strings.Contains(body, token) {
				t.Errorf("%s with %q: %d %q", path, auth, code, body)
			}
		}
	}
	for _, auth := range []string{"Bearer " + token, "bearer " + token, "BEARER  " + token} {
		if code, _, body := do(t, http.MethodGet, f.url+"/metrics", auth, ""); code != http.StatusOK || body != "m 1\n" {
			t.Errorf("%q: %d %q", auth, code, body)
		}
	}
	if logs := f.logs.String(); !strings.Contains(logs, "without a valid token") || strings.Contains(logs, "wrong-token") ||
		strings.Contains(logs, token) {
		t.Fatalf("refusals logged as:\n%s", logs)
	}
}

func TestLogLevelChange(t *testing.T) {
	f := newFixture(t, "")
	tests := []struct {
		body   string
		status int
		want   slog.Level
	}{
		{"debug", http.StatusOK, slog.LevelDebug},
		{" WARN\n", http.StatusOK, slog.LevelWarn},
		{"error", http.StatusOK, slog.LevelError},
		{"info+2", http.StatusOK, slog.LevelInfo + 2},
		{"verbose", http.StatusBadRequest, slog.LevelInfo + 2},
		{"", http.StatusBadRequest, slog.LevelInfo + 2},
		{strings.Repeat("d", 100), http.StatusRequestEntityTooLarge, slog.LevelInfo + 2},
		{"info", http.StatusOK, slog.LevelInfo},
	}
	for _, tt := range tests {
		code, _, body := do(t, http.MethodPut, f.url+"/loglevel", "", tt.body)
		if code != tt.status || f.level.Level() != tt.want {
			t.Errorf("PUT %q: %d %q, level %v", tt.body, code, body, f.level.Level())
		}
	}
	if _, _, body := do(t, http.MethodGet, f.url+"/loglevel", "", ""); body != "info\n" {
		t.Errorf("GET /loglevel = %q", body)
	}
	if code, _, _ := do(t, http.MethodPost, f.url+"/loglevel", "", "debug"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /loglevel: %d", code)
	}
	if !strings.Contains(f.logs.String(), "from=debug to=warn") {
		t.Fatalf("change not logged:\n%s", f.logs.String())
	}
}

func TestTrace(t *testing.T) {
	f := newFixture(t, "")
	code, header, body := do(t, http.MethodGet, f.url+"/debug/trace?seconds=0.2", "", "")
	// A runtime trace begins with "go 1.NN trace\x00...".
	if code != http.StatusOK || header.Get("Content-Type") != "application/octet-stream" ||
		!strings.HasPrefix(body, "go 1.") || !strings.Contains(body[:16], " trace\x00") {
		t.Fatalf("trace: %d %s %.20q", code, header.Get("Content-Type"), body)
	}

	// A second trace while one runs is refused and the first goes on; a client that leaves ends its trace. The
	// first asks for the longest trace, so that however slow the machine it still runs when the second comes.
	ctx, leave := context.WithCancel(context.Background())
	defer leave()
	first := make(chan error, 1)
	go func() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url+"/debug/pprof/trace?seconds=60", nil)
		if err == nil {
			var resp *http.Response
			if resp, err = http.DefaultClient.Do(req); err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				err = errors.Join(err, resp.Body.Close())
			}
		}
		first <- err
	}()
	testkit.WaitFor(t, testkit.Patient, "the first trace to start", trace.IsEnabled)
	if code, _, body := do(t, http.MethodGet, f.url+"/debug/trace?seconds=0.1", "", ""); code != http.StatusConflict ||
		!strings.Contains(body, "already running") {
		t.Fatalf("concurrent trace: %d %.40q", code, body)
	}
	if !trace.IsEnabled() {
		t.Fatal("the refused request stopped the running trace")
	}
	leave()
	testkit.WaitFor(t, testkit.Patient, "the trace to end when its client left", func() bool { return !trace.IsEnabled() })
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("first trace: %v, want it cut by the client", err)
	}
}
