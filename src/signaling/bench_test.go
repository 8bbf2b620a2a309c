package signaling

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// BenchmarkJoin measures one client's websocket dial, join and joinR, then its close (the others in the room get
// the events). One op = one join.
func BenchmarkJoin(b *testing.B) {
	h := newHarness(b, nil)
	token := h.token("bench", "")
	join := []byte(`{"a":"join","d":{"roomId":"ROOM","bearer":"` + token + `"}}`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		ws, resp, err := websocket.DefaultDialer.Dial(h.url(), nil)
		if err != nil {
			b.Fatal(err)
		}
		_ = resp.Body.Close()
		frame := strings.Replace(string(join), "ROOM", fmt.Sprintf("room%d", i%1000), 1)
		if err := ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
			b.Fatal(err)
		}
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				b.Fatal(err)
			}
			if strings.HasPrefix(string(data), `{"a":"joinR"`) {
				break
			}
		}
		_ = ws.Close()
	}
}

// BenchmarkRelay measures a sendMessage from one client until the peer has received the eventMessage
// (both ends in this process). One op = one relayed message of about 300 bytes.
func BenchmarkRelay(b *testing.B) {
	h := newHarness(b, func(o *Options) { o.RateLimit = 1e9; o.RateBurst = 1e9 })
	a, peer := h.dial(), h.dial()
	a.joinAs(h, "r", "a")
	jp := peer.joinAs(h, "r", "p")
	a.flush()
	frame := []byte(`{"a":"sendMessage","d":{"to":"` + jp.SocketID + `","message":{"candidate":"` +
		strings.Repeat("c", 200) + `","sdpMid":"0","sdpMLineIndex":0}}}`)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := a.ws.WriteMessage(websocket.TextMessage, frame); err != nil {
			b.Fatal(err)
		}
		if m := peer.next(); m.A != protocol.EventMessage {
			b.Fatalf("peer got %s", m.A)
		}
		if m := a.next(); m.A != "sendMessageR" {
			b.Fatalf("sender got %s", m.A)
		}
	}
}

// BenchmarkHandleRelay measures the server's own work for one relayed sendMessage, without the network: decoding
// the frame, the room lookup and enqueueing, and encoding the event and the reply.
func BenchmarkHandleRelay(b *testing.B) {
	h := newHarness(b, nil)
	token := h.token("u", "")
	a, peer := newConn(h.srv, nil, "127.0.0.1", func() {}), newConn(h.srv, nil, "127.0.0.1", func() {})
	join := []byte(`{"a":"join","d":{"roomId":"r","bearer":"` + token + `"}}`)
	a.handleSafely(context.Background(), join)
	peer.handleSafely(context.Background(), join)
	a.queue.take(nil)
	peer.queue.take(nil)
	frame := []byte(`{"a":"sendMessage","d":{"to":"` + peer.p.socketID + `","message":{"candidate":"` +
		strings.Repeat("c", 200) + `","sdpMid":"0","sdpMLineIndex":0}}}`)
	var batch []*outMsg
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		a.handleSafely(context.Background(), frame)
		for _, c := range []*conn{a, peer} {
			batch = c.queue.take(batch)
			for _, m := range batch {
				if _, err := m.bytes(); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}
