package bus_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// TestShutdownLeavesNoGoroutine starts and stops publishers, connected and not: the goroutines of the publisher
// and of the AMQP client all end.
func TestShutdownLeavesNoGoroutine(t *testing.T) {
	url := brokertest.URL(t)
	px := brokertest.NewProxy(t, url)
	px.Cut()
	before := runtime.NumGoroutine()
	for _, target := range []string{url, px.URL(url)} {
		for range 5 {
			p, err := bus.NewAMQPPublisherWith(brokertest.PublisherOptions(target), quietLogger())
			if err != nil {
				t.Fatal(err)
			}
			publishAll(p, script(20, 2))
			if target == url {
				brokertest.WaitStats(t, p, "delivery", func(s bus.Stats) bool { return s.Published == 20 })
			}
			_ = shutdown(t, p, 100*time.Millisecond)
		}
	}
	testkit.WaitGoroutines(t, before, "the publishers' start and shutdown")
}

// logBuffer collects JSON log lines from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the log lines whose msg is msg, decoded.
func (b *logBuffer) lines(msg string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(b.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// TestDropsAreCountedAndLogged overfills the outbox while the broker refuses connections: every dropped event is
// in a counter and in the log, lost joins and leaves one by one.
func TestDropsAreCountedAndLogged(t *testing.T) {
	url := brokertest.URL(t)
	px := brokertest.NewProxy(t, url)
	px.Cut()
	opts := brokertest.PublisherOptions(px.URL(url))
	opts.OutboxLimit, opts.OutboxHardLimit = 4, 6
	logs := &logBuffer{}
	p, err := bus.NewAMQPPublisherWith(opts, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shutdown(t, p, 0) })
	for i := range 3 {
		p.Publish(bus.RoomLive{RoomID: "r"})
		p.Publish(bus.WebrtcCPU{RoomID: "r", CPUUsed: i})
	}
	for i := range 8 {
		p.Publish(bus.RoomJoin{RoomID: "r", RoomSize: i + 1})
	}
	// 6 queued at most: 3 snapshots and 3 reports make room for joins, then 2 joins are lost.
	st := p.Stats()
	if st.Outbox != 6 || st.DroppedSnapshots != 3 || st.DroppedTelemetry != 3 || st.Lost != 2 {
		t.Fatalf("stats %+v", st)
	}
	const droppedMsg, lostMsg = "bus: events dropped: outbox full", "bus: room event lost: outbox past its hard limit"
	if !testkit.Eventually(testkit.Patient, func() bool {
		return len(logs.lines(droppedMsg)) > 0 && len(logs.lines(lostMsg)) >= 2
	}) {
		t.Fatalf("drops not logged: %s", logs.String())
	}
	dropped := map[string]float64{}
	for _, line := range logs.lines(droppedMsg) {
		for k, v := range line["dropped"].(map[string]any) {
			dropped[k] += v.(float64)
		}
	}
	if dropped[bus.KeyRoomLive] != 3 || dropped[bus.KeyWebrtcCPU] != 3 || dropped[bus.KeyRoomJoin] != 2 {
		t.Fatalf("logged drops %v", dropped)
	}
	for i, line := range logs.lines(lostMsg) {
		ev := line["event"].(map[string]any)
		if line["key"] != bus.KeyRoomJoin || line["level"] != "ERROR" || ev["roomSize"] != float64(7+i) {
			t.Fatalf("lost event line %v", line)
		}
	}
}
