package signaling

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/heytribe/live-webrtcsignaling/src/auth"
	"github.com/heytribe/live-webrtcsignaling/src/bus"
)

// FuzzHandle feeds one arbitrary frame to a joined connection of a two-member room (and the same frame to a fresh
// connection), then checks that nothing panicked, every queued message is valid JSON, and the room is consistent.
func FuzzHandle(f *testing.F) {
	for _, seed := range []string{
		`{"a":"sendMessage","d":{"to":"PEER","message":{"x":1}}}`,
		`{"a":"exchangeSdp","d":{"to":"PEER","sdp":{"type":"offer","sdp":"v=0"}}}`,
		`{"a":"exchangeCandidate","d":{"to":"PEER","candidate":{"completed":true}}}`,
		`{"a":"orientationChange","d":{"orientation":90,"camera":"back"}}`,
		`{"a":"eventCpu","d":{"cpuUsed":12}}`,
		`{"a":"eventNetworkChange","d":{"networkType":"wifi"}}`,
		`{"a":"eventFreeze"}`,
		`{"a":"leave"}`,
		`{"a":"reconnect","d":{"socketId":"PEER"}}`,
		`{"a":"join","d":{"roomId":"r","bearer":"a.b.c","orientation":1e400}}`,
		`{"a":"\u0000\"<>","d":[]}`,
		`{"a":null}`,
		`nul`,
	} {
		f.Add([]byte(seed))
	}
	verifier, err := auth.NewHMACVerifier(testSecret)
	if err != nil {
		f.Fatal(err)
	}
	token, err := auth.SignHS256(testSecret, "u", "", time.Now(), 24*time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	join := []byte(`{"a":"join","d":{"roomId":"r","bearer":"` + token + `"}}`)
	f.Fuzz(func(t *testing.T, frame []byte) {
		srv, err := NewServerWith(testOptions(), verifier, bus.Discard{}, nil, logger)
		if err != nil {
			t.Fatal(err)
		}
		a, b, fresh := newConn(srv, nil, "127.0.0.1", func() {}), newConn(srv, nil, "127.0.0.1", func() {}), newConn(srv, nil, "127.0.0.1", func() {})
		a.handleSafely(context.Background(), join)
		b.handleSafely(context.Background(), join)
		if a.p == nil || b.p == nil {
			t.Fatal("setup joins failed")
		}
		// "PEER" stands for the other member's socketId, which the fuzzer cannot guess.
		frame = bytes.ReplaceAll(frame, []byte("PEER"), []byte(b.p.socketID))
		a.handleSafely(context.Background(), frame)
		fresh.handleSafely(context.Background(), frame)
		for _, c := range []*conn{a, b, fresh} {
			for _, m := range c.queue.take(nil) {
				data, err := m.bytes()
				if err != nil || !json.Valid(data) || !utf8.Valid(data) {
					t.Fatalf("queued message %q: %v", data, err)
				}
			}
		}
		st := srv.Snapshot()
		if st.Participants > 3 || len(srv.hub.sockets) != st.Participants {
			t.Fatalf("inconsistent state: %+v, %d sockets", st, len(srv.hub.sockets))
		}
	})
}
