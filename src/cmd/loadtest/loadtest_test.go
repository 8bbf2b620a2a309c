package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/auth"
	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
	"github.com/heytribe/live-webrtcsignaling/src/signaling"
)

const testSecret = "loadtest-secret-loadtest-secret"

// startSignaling serves the signaling API in mode on /api, and /dev/token like a dev mode server.
func startSignaling(t *testing.T, mode string) string {
	t.Helper()
	opts := signaling.DefaultOptions()
	opts.Mode = mode
	verifier, err := auth.NewHMACVerifier([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := signaling.NewServerWith(opts, verifier, bus.Discard{}, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api", srv)
	mux.HandleFunc("GET /dev/token", func(w http.ResponseWriter, r *http.Request) {
		bearer, err := auth.SignHS256([]byte(testSecret), r.URL.Query().Get("userId"), r.URL.Query().Get("roomId"),
			time.Now(), time.Hour)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := json.NewEncoder(w).Encode(map[string]string{"bearer": bearer}); err != nil {
			t.Error(err)
		}
	})
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		hs.Close()
	})
	return "ws" + strings.TrimPrefix(hs.URL, "http") + "/api"
}

func TestRunAgainstServer(t *testing.T) {
	tests := []struct {
		name, mode, secret, wantVia string
	}{
		{"relay mode relays candidates, signed bearers", protocol.ModeRelay, testSecret, viaCandidate},
		{"mcu mode relays messages, dev tokens", protocol.ModeMCU, "", viaMessage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseFlags([]string{"-url", startSignaling(t, tc.mode), "-conns", "30", "-join-rate", "300",
				"-msg-rate", "200", "-duration", "1s", "-settle", "0s", "-pid", "0", "-seed", "7"},
				func(string) string { return tc.secret }, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			cfg.pid = os.Getpid() // the server runs in this process
			res, err := newLoadTestWith(cfg, slog.New(slog.DiscardHandler)).run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if res.joined != 30 || res.join.N != 30 || res.dial.N != 30 || res.mode != tc.mode || res.via != tc.wantVia {
				t.Errorf("joined %d (%d join, %d dial samples), mode %q via %q; want 30, %s via %s", res.joined,
					res.join.N, res.dial.N, res.mode, res.via, tc.mode, tc.wantVia)
			}
			if res.sent != 200 || res.received != 200 || res.replies != 200 || res.relay.N != 200 {
				t.Errorf("sent %d, received %d, replies %d, %d latency samples; want 200 each", res.sent, res.received,
					res.replies, res.relay.N)
			}
			if len(res.errors) != 0 {
				t.Errorf("errors: %v", res.errors)
			}
			if res.rssBefore <= 0 || res.rssJoined <= 0 || res.rssAfter <= 0 {
				t.Errorf("RSS %d, %d, %d: want positive figures", res.rssBefore, res.rssJoined, res.rssAfter)
			}
			var out strings.Builder
			if err := res.print(&out); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"30 of 30", "200 sent, 200 received, 0 lost", "via " + tc.wantVia,
				"server RSS per joined idle connection", "errors", "none"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("summary lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

func TestRunCountsRefusedJoins(t *testing.T) {
	cfg, err := parseFlags([]string{"-url", startSignaling(t, protocol.ModeRelay), "-conns", "4", "-msg-rate", "0",
		"-settle", "0s", "-secret", "not-the-server-secret"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	res, err := newLoadTestWith(cfg, slog.New(slog.DiscardHandler)).run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.joined != 0 || res.errors["join failed: joinR error 1286"] != 4 {
		t.Errorf("joined %d, errors %v; want 0 joined and 4 refused with 1286", res.joined, res.errors)
	}
}

func TestParseFlags(t *testing.T) {
	env := func(string) string { return "from-env" }
	cfg, err := parseFlags(nil, env, io.Discard)
	if err != nil || cfg.secret != "from-env" || cfg.conns != 1000 || cfg.via != viaAuto {
		t.Errorf("defaults: %+v, %v", cfg, err)
	}
	for _, args := range [][]string{
		{"-conns", "1"}, {"-room-min", "1"}, {"-room-min", "5", "-room-max", "4"}, {"-join-rate", "0"},
		{"-msg-rate", "-1"}, {"-via", "carrier-pigeon"}, {"-join-timeout", "0s"}, {"stray"}, {"-no-such-flag"},
	} {
		if _, err := parseFlags(args, env, io.Discard); err == nil {
			t.Errorf("parseFlags(%q): no error", args)
		}
	}
}
