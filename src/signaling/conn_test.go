package signaling

import (
	"strings"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// Messages are written as frames laid out by the server itself: every length encoding of RFC 6455 (7 bits, 16 bits,
// 64 bits) must read back whole and in order, including several messages written together.
func TestFramesOfEveryLength(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.MaxMessageBytes = 200 << 10 })
	a, peer := h.dial(), h.dial()
	a.joinAs(h, "frames", "a")
	jp := peer.joinAs(h, "frames", "p")
	a.flush()
	peer.flush()
	// The event adds the envelope and the sender to the message: the sizes below put it on both sides of each
	// boundary (125/126 and 65,535/65,536 bytes).
	sizes := []int{0, 1, 20, 30, 40, 120, 1000, 65400, 65430, 65470, 65500, 70000, 150000}
	for _, n := range sizes {
		a.send("sendMessage", map[string]any{"to": jp.SocketID, "message": strings.Repeat("x", n)})
	}
	for _, n := range sizes {
		m := peer.expect(protocol.EventMessage)
		ev := decode[protocol.MessageEvent](t, m.D)
		if got := decode[string](t, ev.Message); len(got) != n || strings.Trim(got, "x") != "" {
			t.Fatalf("message of %d bytes arrived as %d bytes", n, len(got))
		}
	}
	for range sizes {
		a.expectOK("sendMessage")
	}
}

func TestAppendTextFrameHeaders(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want []byte
	}{
		{0, []byte{0x81, 0}},
		{125, []byte{0x81, 125}},
		{126, []byte{0x81, 126, 0, 126}},
		{65535, []byte{0x81, 126, 0xff, 0xff}},
		{65536, []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
	} {
		got := appendTextFrame([]byte("prev"), make([]byte, tc.n))
		if string(got[:4]) != "prev" || string(got[4:4+len(tc.want)]) != string(tc.want) ||
			len(got) != 4+len(tc.want)+tc.n {
			t.Errorf("appendTextFrame of %d bytes: header % x, length %d", tc.n, got[4:4+len(tc.want)], len(got))
		}
	}
}
