package webrtc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
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

// TestLogsCarryCallerFields: every line of a session's life (ICE, DTLS, connected, closed), the DTLS endpoint's
// included, carries the fields of SessionParams.Logger and the session's id.
func TestLogsCarryCallerFields(t *testing.T) {
	var logs lockedBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})).
		With("socketId", "sock1", "roomId", "room1", "userId", "alice")
	e := newTestEngine(t, nil)
	rec := newRecorder()
	s, err := e.NewSessionWith(SessionParams{Handler: rec, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	p := newTestPeer(t, s, s.Local().Addrs[0])
	if err := s.SetRemote(p.transport()); err != nil {
		t.Fatal(err)
	}
	p.connect(rec)
	s.Close()
	waitDone(t, s)

	logs.mu.Lock()
	defer logs.mu.Unlock()
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(logs.buf.Bytes()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		msg, _ := line["msg"].(string)
		seen[msg] = true
		if line["socketId"] != "sock1" || line["roomId"] != "room1" || line["userId"] != "alice" ||
			line["session"] != s.ID() {
			t.Errorf("line %q lacks the caller's fields or the session: %v", msg, line)
		}
	}
	for _, msg := range []string{"webrtc session checking", "webrtc session connected", "dtls handshake complete",
		"webrtc session closed"} {
		if !seen[msg] {
			t.Errorf("no %q line among %v", msg, seen)
		}
	}
}
