package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

func TestDispatcherDeliversInOrderAndSurvivesPanics(t *testing.T) {
	var got []string
	d := newDispatcher(func(e Event) {
		if e.Room == "boom" {
			panic("callback bug")
		}
		got = append(got, e.Room)
	}, quietLogger())
	go d.run()
	for _, r := range []string{"1", "boom", "2", "3"} {
		d.emit(Event{Kind: RoomClaimed, Room: r})
	}
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
	defer cancel()
	if err := d.stop(ctx); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != "1" || got[1] != "2" || got[2] != "3" {
		t.Fatalf("delivered %q", got)
	}
	d.emit(Event{Kind: RoomClaimed, Room: "after"})
	if len(got) != 3 {
		t.Fatal("an event after stop was delivered")
	}
}

func TestDispatcherStopGivesUpOnABlockedCallback(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	d := newDispatcher(func(Event) { <-release }, quietLogger())
	go d.run()
	d.emit(Event{Kind: NodeUp})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := d.stop(ctx); err == nil {
		t.Fatal("stop returned nil while the callback is blocked")
	}
}
