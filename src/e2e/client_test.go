package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// TestPageShowsRefusedJoin checks that a refusal reaches the person, not only the console: in a room of one, the
// second page shows "the room is full" and stays out.
func TestPageShowsRefusedJoin(t *testing.T) {
	srv := startServer(t, map[string]string{"MEDIA_MODE": "relay", "ROOM_MAX_SIZE": "1"})
	reps := newReports(t)
	startPage(t, srv.URL, page{Room: "small-room", User: "alice"}, reps)
	reps.waitFor(t, firstMediaTimeout, "alice joined", func(all map[string]report) bool { return all["alice"].Joined })
	startPage(t, srv.URL, page{Room: "small-room", User: "bob"}, reps)
	all := reps.waitFor(t, firstMediaTimeout, "bob shows the refusal", func(all map[string]report) bool {
		return slices.ContainsFunc(all["bob"].Errors, func(e string) bool { return strings.Contains(e, "room is full") })
	})
	if bob := all["bob"]; bob.Joined || bob.State != "idle" || bob.Publishing {
		t.Errorf("bob after the refusal: state %q, joined %v, publishing %v; want idle, camera closed", bob.State,
			bob.Joined, bob.Publishing)
	}
	// The refusal must not disturb alice; give her a report after bob's attempt.
	after := time.Now()
	all = reps.waitFor(t, testkit.Patient, "a report from alice", func(all map[string]report) bool {
		return all["alice"].at.After(after)
	})
	if alice := all["alice"]; !alice.Joined || len(alice.Errors) > 0 || len(alice.Peers) > 0 {
		t.Errorf("alice: joined %v, errors %q, peers %v", alice.Joined, alice.Errors, alice.Peers)
	}
}
