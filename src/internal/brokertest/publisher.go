package brokertest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// PublisherOptions are fast-retrying bus options for url and a fresh exchange.
func PublisherOptions(url string) bus.Options {
	o := bus.DefaultOptions()
	o.URL = url
	o.Exchange = UniqueName("live_events.test.")
	o.MinBackoff = 20 * time.Millisecond
	o.MaxBackoff = 200 * time.Millisecond
	o.DialTimeout = 5 * time.Second
	return o
}

// NewPublisher starts a publisher that logs nothing; the test's end shuts it down without waiting for what is left.
func NewPublisher(t testing.TB, opts bus.Options) *bus.AMQPPublisher {
	t.Helper()
	p, err := bus.NewAMQPPublisherWith(opts, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_ = p.Shutdown(ctx)
	})
	return p
}

// WaitStats waits until ok holds for p's counters and returns them, failing the test after testkit.Patient.
func WaitStats(t testing.TB, p *bus.AMQPPublisher, what string, ok func(bus.Stats) bool) bus.Stats {
	t.Helper()
	var st bus.Stats
	if !testkit.Eventually(testkit.Patient, func() bool { st = p.Stats(); return ok(st) }) {
		t.Fatalf("timed out waiting for %s: %+v", what, st)
	}
	return st
}

// RoomSequences groups messages by roomId, as "key payload-without-eventId-and-ts" lines in order.
func RoomSequences(t testing.TB, msgs []Message) map[string][]string {
	t.Helper()
	out := make(map[string][]string)
	for _, m := range msgs {
		fields := make(map[string]any, len(m.Fields))
		for k, v := range m.Fields {
			if k != "eventId" && k != "ts" {
				fields[k] = v
			}
		}
		canon, err := json.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		room := m.Str("roomId")
		out[room] = append(out[room], m.Key+" "+string(canon))
	}
	return out
}

// EventSequences is RoomSequences for events as published.
func EventSequences(t testing.TB, events []bus.Event) map[string][]string {
	t.Helper()
	out := make(map[string][]string)
	for _, e := range events {
		raw, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var fields map[string]any
		if err := json.Unmarshal(raw, &fields); err != nil {
			t.Fatal(err)
		}
		canon, err := json.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		out[e.Room()] = append(out[e.Room()], e.RoutingKey()+" "+string(canon))
	}
	return out
}

// SameSequences fails the test when the rooms' sequences differ, naming the first difference.
func SameSequences(t testing.TB, got, want map[string][]string) {
	t.Helper()
	for room, w := range want {
		g := got[room]
		for i := range max(len(g), len(w)) {
			var gi, wi string
			if i < len(g) {
				gi = g[i]
			}
			if i < len(w) {
				wi = w[i]
			}
			if gi != wi {
				t.Fatalf("room %q, event %d of %d:\n got %s\nwant %s", room, i, len(w), gi, wi)
			}
		}
	}
	for room := range got {
		if _, ok := want[room]; !ok {
			t.Fatalf("unexpected room %q: %s", room, strings.Join(got[room], "\n"))
		}
	}
}
