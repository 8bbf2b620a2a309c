package bus

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Short names for the tests' events: the room names the event, so the outbox's order can be read back.
func join(room string) Event  { return RoomJoin{RoomID: room} }
func leave(room string) Event { return RoomLeave{RoomID: room} }
func live(room string) Event  { return RoomLive{RoomID: room} }
func cpu(room string) Event   { return WebrtcCPU{RoomID: room} }

// drain pops everything and writes "key:room" in order.
func drain(o *outbox) string {
	var out []string
	for e := o.pop(); e != nil; e = o.pop() {
		out = append(out, e.key+":"+e.event.Room())
	}
	return strings.Join(out, " ")
}

func TestOutboxDropPolicy(t *testing.T) {
	tests := []struct {
		name   string
		events []Event
		want   string
		// snapshots, telemetry, lost: the drop counters afterwards.
		snapshots, telemetry, lost uint64
	}{
		{"under the limit nothing is dropped",
			[]Event{live("a"), cpu("b"), join("c")},
			"room.live:a webrtc.cpu:b room.join:c", 0, 0, 0},
		{"a join drops the oldest snapshot first",
			[]Event{cpu("a"), live("b"), live("c"), join("d")},
			"webrtc.cpu:a room.live:c room.join:d", 1, 0, 0},
		{"then the oldest report",
			[]Event{cpu("a"), join("b"), cpu("c"), leave("d")},
			"room.join:b webrtc.cpu:c room.leave:d", 0, 1, 0},
		{"a snapshot never displaces a report: it is dropped itself",
			[]Event{cpu("a"), join("b"), cpu("c"), live("d")},
			"webrtc.cpu:a room.join:b webrtc.cpu:c", 1, 0, 0},
		{"a snapshot displaces an older snapshot",
			[]Event{live("a"), join("b"), join("c"), live("d")},
			"room.join:b room.join:c room.live:d", 1, 0, 0},
		{"a report displaces a snapshot before a report",
			[]Event{cpu("a"), live("b"), cpu("c"), cpu("d")},
			"webrtc.cpu:a webrtc.cpu:c webrtc.cpu:d", 1, 0, 0},
		{"a report is dropped when only membership is queued",
			[]Event{join("a"), join("b"), leave("a"), cpu("c")},
			"room.join:a room.join:b room.leave:a", 0, 1, 0},
		{"membership goes past the limit up to the hard limit, then is lost",
			[]Event{join("a"), join("b"), join("c"), join("d"), join("e"), leave("a"), live("f")},
			"room.join:a room.join:b room.join:c room.join:d room.join:e", 1, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &metrics{}
			o := newOutbox(3, 5, m)
			for _, e := range tt.events {
				o.push(e, time.Now())
			}
			if got := drain(o); got != tt.want {
				t.Errorf("queued %q, want %q", got, tt.want)
			}
			st := m.stats(0)
			if st.DroppedSnapshots != tt.snapshots || st.DroppedTelemetry != tt.telemetry || st.Lost != tt.lost {
				t.Errorf("dropped snapshots %d telemetry %d lost %d, want %d %d %d", st.DroppedSnapshots,
					st.DroppedTelemetry, st.Lost, tt.snapshots, tt.telemetry, tt.lost)
			}
			var total uint64
			for _, n := range o.takeDrops().byKey {
				total += n
			}
			if total != tt.snapshots+tt.telemetry+tt.lost {
				t.Errorf("drop report counts %d, counters %d", total, tt.snapshots+tt.telemetry+tt.lost)
			}
		})
	}
}

func TestOutboxReportsLostEvents(t *testing.T) {
	o := newOutbox(1, 1, &metrics{})
	o.push(join("a"), time.Now())
	for i := range maxLostReported + 10 {
		o.push(leave(fmt.Sprint(i)), time.Now())
	}
	r := o.takeDrops()
	if len(r.lost) != maxLostReported || r.byKey[KeyRoomLeave] != maxLostReported+10 {
		t.Fatalf("lost %d reported, %d counted", len(r.lost), r.byKey[KeyRoomLeave])
	}
	if r.lost[0] != leave("0") {
		t.Fatalf("first lost event %v", r.lost[0])
	}
	if again := o.takeDrops(); len(again.lost) != 0 || len(again.byKey) != 0 {
		t.Fatalf("a report is taken once: %+v", again)
	}
}

func TestOutboxKeepsPublishOrderAcrossClasses(t *testing.T) {
	o := newOutbox(1000, 1000, &metrics{})
	var want []string
	for i := range 300 {
		room := fmt.Sprint(i % 7)
		e := []Event{join(room), live(room), cpu(room), leave(room)}[i%4]
		o.push(e, time.Now())
		want = append(want, e.RoutingKey()+":"+room)
	}
	if got := drain(o); got != strings.Join(want, " ") {
		t.Fatalf("order lost:\n got %s\nwant %s", got, strings.Join(want, " "))
	}
}

func TestOutboxReadySignalsAPush(t *testing.T) {
	o := newOutbox(10, 10, &metrics{})
	select {
	case <-o.ready:
		t.Fatal("ready before any push")
	default:
	}
	o.push(join("a"), time.Now())
	o.push(join("b"), time.Now())
	select {
	case <-o.ready:
	default:
		t.Fatal("no ready token after a push")
	}
}

func TestOutboxCloseAbandons(t *testing.T) {
	m := &metrics{}
	o := newOutbox(10, 10, m)
	o.push(join("a"), time.Now())
	o.push(live("a"), time.Now())
	if n := o.close(); n != 2 {
		t.Fatalf("close abandoned %d, want 2", n)
	}
	o.push(leave("a"), time.Now())
	if o.len() != 0 || o.pop() != nil || m.abandoned.Load() != 3 {
		t.Fatalf("after close: len %d, abandoned %d", o.len(), m.abandoned.Load())
	}
}

func TestFIFOCompactsAndReleases(t *testing.T) {
	var q fifo
	const n = 5 * compactAfter
	for i := range n {
		q.push(&entry{seq: uint64(i)})
	}
	for i := range n - 10 {
		if e := q.pop(); e == nil || e.seq != uint64(i) {
			t.Fatalf("pop %d: %+v", i, e)
		}
	}
	if q.head >= compactAfter || len(q.items) > n/2 {
		t.Fatalf("not compacted: head %d, len %d", q.head, len(q.items))
	}
	for i := n - 10; i < n; i++ {
		if e := q.pop(); e == nil || e.seq != uint64(i) {
			t.Fatalf("pop %d after compaction: %+v", i, e)
		}
	}
	if q.pop() != nil || q.front() != nil || q.items != nil {
		t.Fatalf("empty queue keeps %d slots", cap(q.items))
	}
}
