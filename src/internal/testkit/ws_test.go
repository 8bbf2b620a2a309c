package testkit

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// scriptedServer answers every frame with the frames of script, in order, then closes with a close frame after the
// frame "bye".
func scriptedServer(t *testing.T, script ...string) string {
	t.Helper()
	up := websocket.Upgrader{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			if string(data) == "bye" {
				_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4000, "bye"),
					time.Now().Add(time.Second))
				return
			}
			for _, frame := range script {
				if err := conn.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
					return
				}
			}
		}
	}))
	t.Cleanup(hs.Close)
	return "ws" + strings.TrimPrefix(hs.URL, "http")
}

func TestClientKeepsWhatItSkips(t *testing.T) {
	c := DialT(t, scriptedServer(t, `{"a":"eventJoin"}`, `{"a":"joinR","s":true,"d":{"x":1}}`,
		`{"a":"leaveR","s":false,"e":7}`), nil)
	if err := c.Send("join", map[string]any{"roomId": "r"}); err != nil {
		t.Fatal(err)
	}
	if m, err := c.OKReply("join", Patient); err != nil || string(m.D) != `{"x":1}` {
		t.Fatalf("joinR %+v, %v", m, err)
	}
	if _, err := c.OKReply("leave", Patient); err == nil || !strings.Contains(err.Error(), "error 7") {
		t.Fatalf("an error reply passed OKReply: %v", err)
	}
	if m, err := c.Next(Patient); err != nil || m.A != "eventJoin" {
		t.Fatalf("the skipped event: %+v, %v", m, err)
	}
	if _, err := c.Next(10 * time.Millisecond); err == nil {
		t.Fatal("a message out of nothing")
	}
}

func TestClientReportsTheCloseFrame(t *testing.T) {
	c := DialT(t, scriptedServer(t, `{"a":"eventJoin"}`), nil)
	if err := c.Send("ping", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.SendRaw([]byte("bye")); err != nil {
		t.Fatal(err)
	}
	ce, err := c.Closed(Patient)
	if err != nil || ce.Code != 4000 {
		t.Fatalf("close frame %v, %v", ce, err)
	}
	if _, err := c.Next(Patient); !errors.Is(err, ErrClosed) {
		t.Fatalf("a wait after the end: %v", err)
	}
}

func TestClientTellsADropFromAClose(t *testing.T) {
	url := scriptedServer(t, `not json`)
	c := DialT(t, url, nil)
	if err := c.Send("ping", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Closed(Patient); err == nil || !strings.Contains(err.Error(), "without a close frame") {
		t.Fatalf("a frame that is not JSON: %v", err)
	}
}
