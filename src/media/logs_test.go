package media

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/protocol"
	"github.com/heytribe/live-webrtcsignaling/src/webrtc"
)

// lockedBuffer is a bytes.Buffer for loggers of several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, line)
	}
	return out
}

// TestLogsCarryParticipantFields goes through a participant's life (publishing before the worker has learnt its
// userId, listening, a failure and a new offer, a trickled candidate, leaving): every line carries socketId,
// roomId and userId, and every line about a session its id. The loggers given to the webrtc sessions carry the
// participant's fields and leave "session" to package webrtc.
func TestLogsCarryParticipantFields(t *testing.T) {
	var logs lockedBuffer
	tp := newTestPlane(t, Config{ReofferDelay: time.Millisecond, MaxReoffers: 1,
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	release := make(chan struct{})
	tp.post(func() { <-release }) // the worker learns userIds only after A has published
	tp.Joined(room, "A")
	tp.Joined(room, "B")
	u, _ := tp.publish(t, "A")
	close(release)
	send(u, u.audio, 1, 0, opus, time.Second)
	_, lSess := tp.listen(t, "B", "A", 1)
	send(u, u.audio, 2, 960, opus, time.Second+20*time.Millisecond)
	tp.waitEvents(t, "B", protocol.EventWebrtcUp, 1)
	lSess.end(webrtc.StateFailed, webrtc.ReasonConsentExpired)
	tp.waitEvents(t, "B", protocol.EventExchangeSdp, 2)
	candidate := `{"candidate":"candidate:1 1 udp 2122260223 192.0.2.7 50000 typ host","sdpMid":"0","sdpMLineIndex":0}`
	if err := tp.Candidate(context.Background(), room, "B", "A", []byte(candidate)); err != nil {
		t.Fatal(err)
	}
	tp.Left(room, "A")
	tp.sync()
	tp.factory.logger(0).Info("webrtc line")

	seen := map[string]bool{}
	for _, line := range logs.lines(t) {
		msg, _ := line["msg"].(string)
		seen[msg] = true
		for _, key := range []string{"socketId", "roomId", "userId"} {
			if v, _ := line[key].(string); v == "" {
				t.Errorf("line %q has no %s: %v", msg, key, line)
			}
		}
		_, hasSession := line["session"]
		switch {
		case msg == "webrtc line":
			if hasSession || line["socketId"] != "A" || line["userId"] != "alice" || line["role"] != "upstream" {
				t.Errorf("logger given to the webrtc session: %v", line)
			}
		case msg == "no listener session" || msg == "candidate accepted":
		case !hasSession:
			t.Errorf("line %q about a session has no session: %v", msg, line)
		}
	}
	for _, msg := range []string{"publishing", "upstream flowing", "stream offered", "listener flowing",
		"listener ended", "candidate accepted", "upstream closed"} {
		if !seen[msg] {
			t.Errorf("no %q line among %v", msg, seen)
		}
	}
}
