package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// fakeMedia records the calls of the server and answers offers with a fixed SDP.
type fakeMedia struct {
	mu      sync.Mutex
	calls   []string
	failure error
}

func (m *fakeMedia) record(format string, args ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, fmt.Sprintf(format, args...))
}

func (m *fakeMedia) log() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.calls...)
}

func (m *fakeMedia) Publish(_ context.Context, roomID, socketID, offer string) (string, error) {
	m.record("publish %s %s %s", roomID, socketID[:4], offer)
	if m.failure != nil {
		return "", m.failure
	}
	return "v=0 answer", nil
}

func (m *fakeMedia) Answer(_ context.Context, roomID, socketID, publisher, answer string) error {
	m.record("answer %s %s %s %s", roomID, socketID[:4], publisher[:4], answer)
	return m.failure
}

func (m *fakeMedia) Candidate(_ context.Context, roomID, socketID, to string, candidate json.RawMessage) error {
	m.record("candidate %s %s %s %s", roomID, socketID[:4], to, candidate)
	return m.failure
}

func (m *fakeMedia) Joined(roomID, socketID string) { m.record("joined %s %s", roomID, socketID[:4]) }
func (m *fakeMedia) Left(roomID, socketID string)   { m.record("left %s %s", roomID, socketID[:4]) }

type codedError int

func (e codedError) Error() string { return "coded" }
func (e codedError) APICode() int  { return int(e) }

func mcu(o *Options) { o.Mode = protocol.ModeMCU }

func TestMCUWithoutMediaPlane(t *testing.T) {
	h := newHarness(t, mcu)
	a, b := h.dial(), h.dial()
	ja := a.joinAs(h, "r", "a")
	if ja.Mode != protocol.ModeMCU {
		t.Fatalf("mode %q", ja.Mode)
	}
	jb := b.joinAs(h, "r", "b")
	offer := map[string]any{"type": "offer", "sdp": "v=0"}
	b.send("exchangeSdp", map[string]any{"to": protocol.PublisherSocketID, "sdp": offer})
	b.expectError("exchangeSdp", protocol.CodeMediaUnavailable)
	b.send("exchangeSdp", map[string]any{"to": ja.SocketID, "sdp": map[string]any{"type": "answer", "sdp": "v=0"}})
	b.expectError("exchangeSdp", protocol.CodeMediaUnavailable)
	// Candidates are accepted and ignored, as the original did; completed gets no reply.
	b.send("exchangeCandidate", map[string]any{"to": protocol.PublisherSocketID, "candidate": map[string]any{"candidate": "c"}})
	b.expectOK("exchangeCandidate")
	b.send("exchangeCandidate", map[string]any{"to": protocol.PublisherSocketID, "candidate": map[string]any{"completed": true}})
	b.barrier()
	a.flush()
	_ = jb
}

func TestMCUWithMediaPlane(t *testing.T) {
	media := &fakeMedia{}
	h := newHarnessWithMedia(t, mcu, media)
	a, b := h.dial(), h.dial()
	ja := a.joinAs(h, "r", "a")
	jb := b.joinAs(h, "r", "b")
	a.flush()

	a.send("exchangeSdp", map[string]any{"to": protocol.PublisherSocketID, "sdp": map[string]any{"type": "offer", "sdp": "v=0 offer"}})
	se := decode[protocol.ExchangeSdpEvent](t, a.expect(protocol.EventExchangeSdp).D)
	if se.From != (protocol.From{SocketID: protocol.PublisherSocketID}) ||
		se.SDP != (protocol.SessionDescription{Type: "answer", SDP: "v=0 answer"}) {
		t.Fatalf("publisher answer = %+v %s", se.From, se.SDP)
	}
	a.expectOK("exchangeSdp")

	// The media plane reaches b by socketId, and b answers the offer from a.
	down := protocol.ExchangeSdpEvent{From: protocol.From{SocketID: ja.SocketID, UserID: "a"},
		SDP: protocol.SessionDescription{Type: "offer", SDP: "v=0 down"}}
	if !h.srv.Send(jb.SocketID, protocol.EventExchangeSdp, down) {
		t.Fatal("Send to a participant failed")
	}
	if h.srv.Send("nobody", protocol.EventWebrtcUp, nil) {
		t.Fatal("Send to nobody succeeded")
	}
	b.expect(protocol.EventExchangeSdp)
	b.send("exchangeSdp", map[string]any{"to": ja.SocketID, "sdp": map[string]any{"type": "answer", "sdp": "v=0 ans"}})
	b.expectOK("exchangeSdp")
	b.send("exchangeCandidate", map[string]any{"to": ja.SocketID, "candidate": map[string]any{"candidate": "c1"}})
	b.expectOK("exchangeCandidate")

	// Refusals: wrong type, unknown peer, and the media plane's own codes.
	b.send("exchangeSdp", map[string]any{"to": protocol.PublisherSocketID, "sdp": map[string]any{"type": "answer", "sdp": "v=0"}})
	b.expectError("exchangeSdp", protocol.CodeFieldInvalid)
	b.send("exchangeSdp", map[string]any{"to": "nobody", "sdp": map[string]any{"type": "answer", "sdp": "v=0"}})
	b.expectError("exchangeSdp", protocol.CodeSocketIDDoesNotExist)
	media.mu.Lock()
	media.failure = codedError(protocol.CodeSDPAlreadyNegotiated)
	media.mu.Unlock()
	b.send("exchangeSdp", map[string]any{"to": protocol.PublisherSocketID, "sdp": map[string]any{"type": "offer", "sdp": "v=0"}})
	b.expectError("exchangeSdp", protocol.CodeSDPAlreadyNegotiated)
	media.mu.Lock()
	media.failure = errors.New("boom")
	media.mu.Unlock()
	b.send("exchangeCandidate", map[string]any{"to": protocol.PublisherSocketID, "candidate": map[string]any{"candidate": "c"}})
	b.expectError("exchangeCandidate", protocol.CodeSystem)

	// A drop is not a leave for the media plane; the end of the grace period or a leave is.
	b.drop()
	h.awayIn(jb.SocketID)
	a.send("leave", nil)
	a.expectOK("leave")
	want := []string{
		"joined r " + ja.SocketID[:4],
		"joined r " + jb.SocketID[:4],
		"publish r " + ja.SocketID[:4] + " v=0 offer",
		"answer r " + jb.SocketID[:4] + " " + ja.SocketID[:4] + " v=0 ans",
		`candidate r ` + jb.SocketID[:4] + " " + ja.SocketID + ` {"candidate":"c1"}`,
		"publish r " + jb.SocketID[:4] + " v=0",
		`candidate r ` + jb.SocketID[:4] + ` publisher {"candidate":"c"}`,
		"left r " + ja.SocketID[:4],
	}
	got := media.log()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("media calls:\n%q\nwant\n%q", got, want)
	}
}

// blockingMedia's Publish waits for the end of its context and reports why it ended.
type blockingMedia struct {
	fakeMedia
	entered chan struct{}
	ended   chan error
}

func newBlockingMedia() *blockingMedia {
	return &blockingMedia{entered: make(chan struct{}, 1), ended: make(chan error, 1)}
}

func (m *blockingMedia) Publish(ctx context.Context, _, _, _ string) (string, error) {
	m.entered <- struct{}{}
	<-ctx.Done()
	m.ended <- ctx.Err()
	return "", ctx.Err()
}

// TestMediaCallContext: a call to the media plane runs with the connection's context, bounded by MediaTimeout, and
// Shutdown cancels the calls it stops waiting for.
func TestMediaCallContext(t *testing.T) {
	offer := map[string]any{"to": protocol.PublisherSocketID, "sdp": map[string]any{"type": "offer", "sdp": "v=0"}}
	t.Run("MediaTimeout", func(t *testing.T) {
		media := newBlockingMedia()
		h := newHarnessWithMedia(t, func(o *Options) {
			o.Mode = protocol.ModeMCU
			o.MediaTimeout = 50 * time.Millisecond
		}, media)
		a := h.dial()
		a.joinAs(h, "r", "a")
		a.send("exchangeSdp", offer)
		a.expectError("exchangeSdp", protocol.CodeSystem)
		if err := <-media.ended; !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("the call ended with %v, want its deadline", err)
		}
	})
	t.Run("Shutdown", func(t *testing.T) {
		media := newBlockingMedia()
		h := newHarnessWithMedia(t, func(o *Options) {
			o.Mode = protocol.ModeMCU
			o.MediaTimeout = time.Hour
		}, media)
		a := h.dial()
		a.joinAs(h, "r", "a")
		a.send("exchangeSdp", offer)
		select {
		case <-media.entered:
		case <-time.After(waitFor):
			t.Fatal("the offer did not reach the media plane")
		}
		expired, cancel := context.WithCancel(context.Background())
		cancel()
		if err := h.srv.Shutdown(expired); !errors.Is(err, context.Canceled) {
			t.Fatalf("Shutdown = %v, want it to give up at once", err)
		}
		select {
		case err := <-media.ended:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("the call ended with %v, want it cancelled", err)
			}
		case <-time.After(waitFor):
			t.Fatal("Shutdown did not cancel the call in progress")
		}
	})
}

// TestMCUCamerasKeepTheirSize: in MCU mode the room's size does not shrink the cameras (each publisher sends one
// stream, which the server adapts per receiver): the fourth joiner and those before it get the configuration of a
// participant alone, where relay mode's would be 320 wide at most.
func TestMCUCamerasKeepTheirSize(t *testing.T) {
	h := newHarnessWithMedia(t, mcu, &fakeMedia{})
	var clients []*client
	for _, user := range []string{"a", "b", "c"} {
		c := h.dial()
		c.joinAs(h, "r", user)
		clients = append(clients, c)
	}
	for _, c := range clients {
		c.flush()
	}
	d := h.dial()
	jd := d.joinAs(h, "r", "d")
	if jd.UserMediaConfiguration != mediaConfigurationFor(0) || mediaConfigurationFor(3) == mediaConfigurationFor(0) {
		t.Errorf("the fourth joiner's configuration %+v, want %+v", jd.UserMediaConfiguration, mediaConfigurationFor(0))
	}
	d.send("leave", nil)
	d.expectOK("leave")
	for i, c := range clients {
		for _, when := range []string{"join", "leave"} {
			if when == "leave" {
				c.expect(protocol.EventLeave)
			}
			umc := decode[protocol.UserMediaConfiguration](t, c.expect(protocol.EventUserMediaConfiguration).D)
			if umc != mediaConfigurationFor(0) {
				t.Errorf("participant %d got %+v on the %s, want %+v", i, umc, when, mediaConfigurationFor(0))
			}
			if when == "join" {
				c.expect(protocol.EventOrientationChange)
			}
		}
	}
}
