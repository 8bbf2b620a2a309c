package signaling

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/heytribe/live-webrtcsignaling/src/auth"
	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/cluster"
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

// loneCluster is a Cluster of one node without a broker: every room is its own, every message to another node goes
// nowhere.
type loneCluster struct{}

func (loneCluster) ID() string                                         { return "self" }
func (loneCluster) Place(context.Context, string) (string, error)      { return "self", nil }
func (loneCluster) Claim(context.Context, string) (string, error)      { return "self", nil }
func (loneCluster) Owns(string) bool                                   { return true }
func (loneCluster) Rooms() []string                                    { return nil }
func (loneCluster) Release(context.Context, string, func() bool) error { return nil }
func (loneCluster) Send(context.Context, cluster.Address, cluster.Message) error {
	return cluster.ErrNoRoute
}
func (loneCluster) SendAsync(cluster.Address, cluster.Message) (*cluster.Receipt, error) {
	return nil, cluster.ErrNoRoute
}
func (loneCluster) Request(context.Context, cluster.Address, cluster.Message) (cluster.Message, error) {
	return cluster.Message{}, cluster.ErrNoRoute
}
func (loneCluster) Nodes() []cluster.NodeInfo { return []cluster.NodeInfo{{ID: "self", Self: true}} }
func (loneCluster) Alive(string) bool         { return true }

// FuzzHandlePeer hands arbitrary messages of other nodes (any kind, socket and body; "PEER" stands for a member's
// socketId) to a cluster node with a room of two members: nothing panics, and the room stays as it was.
func FuzzHandlePeer(f *testing.F) {
	for _, seed := range []struct{ kind, socket, body string }{
		{kindFrame, "PEER", "link\n" + `{"a":"leave"}`},
		{kindLeave, "PEER", "link"},
		{kindEnd, "PEER", "link\n1"},
		{kindOut, "link", `{"a":"eventMessage"}`},
		{kindClose, "link", `{"code":1008,"text":"x"}`},
		{kindClose, "link", `{"code":-1}`},
		{kindWhere, "PEER", ""},
		{kindJoin, "link", `{"link":"l","ip":"1.2.3.4","frame":{"a":"join"}}`},
		{kindRejoin, "link", `{"link":"l","socketId":"PEER","frame":null}`},
		{kindRejoin, "link", `{"link":"l","socketId":"PEER","frame":{"a":"join"},"roster":{"seq":2,"members":[` +
			`{"socketId":"PEER","userId":"u"},{"socketId":"0123456789abcdef0123456789abcdef","userId":"v"}]}}`},
		{kindRoster, "", `{"seq":1,"members":[{"socketId":"PEER","userId":"u"}]}`},
		{kindRoster, "", `{"seq":2,"members":[]}`},
		{kindAdopt, "", `{"seq":1,"members":[{"socketId":"PEER","userId":"u"}]}`},
		{"signal.unknown", "", "\xff"},
	} {
		f.Add(seed.kind, seed.socket, []byte(seed.body))
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
	f.Fuzz(func(t *testing.T, kind, socket string, body []byte) {
		srv, err := NewServerWith(testOptions(), verifier, bus.Discard{}, nil, logger)
		if err != nil {
			t.Fatal(err)
		}
		srv.UseCluster(loneCluster{}, time.Hour, 0)
		a, b := newConn(srv, nil, "127.0.0.1", func() {}), newConn(srv, nil, "127.0.0.1", func() {})
		a.handleSafely(context.Background(), join)
		b.handleSafely(context.Background(), join)
		if a.p == nil || b.p == nil {
			t.Fatal("setup joins failed")
		}
		socket = strings.ReplaceAll(socket, "PEER", b.p.socketID)
		body = bytes.ReplaceAll(body, []byte("PEER"), []byte(b.p.socketID))
		srv.HandlePeer(context.Background(), &cluster.Delivery{
			Message: cluster.Message{Kind: kind, Room: "r", Socket: socket, Body: body}, From: "edge"})
		if st := srv.Snapshot(); st.Participants != 2 || len(srv.hub.sockets) != 2 {
			t.Fatalf("the room changed: %+v", st)
		}
	})
}
