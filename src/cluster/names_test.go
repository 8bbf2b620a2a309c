package cluster

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRoomQueueNames(t *testing.T) {
	n := names{ns: "live"}
	hashed := func(room string) bool { return strings.HasPrefix(n.roomQueue(room), "live.room.~") }
	for _, tc := range []struct {
		room  string
		plain bool
	}{
		{"r1", true},
		{"team.standup:2024_01-02", true},
		{strings.Repeat("a", 128), true},
		{strings.Repeat("a", 129), false},
		{"", false},
		{"salle de réunion", false},
		{"room/1", false},
		{"room#1", false},
		{"~abc", false},
		{"\x00", false},
		{"\xff\xfe", false}, // not UTF-8: still a valid name once hashed
		{strings.Repeat("é", 64), false},
	} {
		name := n.roomQueue(tc.room)
		if tc.plain && name != "live.room."+tc.room {
			t.Errorf("room %q: queue %q, want it used as is", tc.room, name)
		}
		if !tc.plain && (!hashed(tc.room) || len(name) != len("live.room.~")+64) {
			t.Errorf("room %q: queue %q, want ~ and a SHA-256", tc.room, name)
		}
		if !validQueueName(name) {
			t.Errorf("room %q: queue %q is not a valid AMQP name", tc.room, name)
		}
	}
	// A room whose id looks like a hashed name gets hashed itself: the two forms never meet.
	h := strings.TrimPrefix(n.roomQueue("salle de réunion"), "live.room.")
	if n.roomQueue(h) == n.roomQueue("salle de réunion") {
		t.Errorf("room %q and room \"salle de réunion\" share a queue", h)
	}
	if n.roomQueue("a") == n.roomQueue("b") || n.roomQueue("é") == n.roomQueue("è") {
		t.Error("distinct rooms share a queue")
	}
}

func TestLongestNames(t *testing.T) {
	n := names{ns: strings.Repeat("n", MaxNamespaceBytes)}
	for _, name := range []string{
		n.exchange(),
		n.nodeQueue(strings.Repeat("x", MaxNodeIDBytes)),
		n.roomQueue(strings.Repeat("r", plainRoomBytes)),
		n.roomQueue(strings.Repeat("é", MaxFieldBytes/2)),
	} {
		if !validQueueName(name) {
			t.Errorf("%q (%d bytes) is not a valid AMQP name", name, len(name))
		}
	}
}

func TestValidNodeID(t *testing.T) {
	for id, want := range map[string]bool{
		"node-a":                true,
		"10.0.0.1:8080":         true,
		"n_1.eu-west":           true,
		strings.Repeat("x", 64): true,
		strings.Repeat("x", 65): false,
		"":                      false,
		"node a":                false,
		"nœud":                  false,
		"a/b":                   false,
		"a#b":                   false,
		"a*b":                   false,
		"\x00":                  false,
	} {
		if got := ValidNodeID(id); got != want {
			t.Errorf("ValidNodeID(%q) = %v, want %v", id, got, want)
		}
	}
}

// validQueueName is what the broker accepts for a name: a short string (at most 255 bytes) of UTF-8.
func validQueueName(s string) bool { return len(s) <= 255 && utf8.ValidString(s) && s != "" }

func FuzzRoomQueue(f *testing.F) {
	for _, seed := range []string{"r1", "", "salle de réunion", strings.Repeat("a", 128), strings.Repeat("a", 129),
		"\xff", "~0123"} {
		f.Add(seed)
	}
	n := names{ns: strings.Repeat("n", MaxNamespaceBytes)}
	f.Fuzz(func(t *testing.T, room string) {
		name := n.roomQueue(room)
		if !validQueueName(name) {
			t.Fatalf("room %q: queue %q is not a valid name", room, name)
		}
		if name != n.roomQueue(room) {
			t.Fatal("not deterministic")
		}
		suffix := strings.TrimPrefix(name, n.ns+".room.")
		if suffix != room && !(strings.HasPrefix(suffix, "~") && len(suffix) == 65) {
			t.Fatalf("room %q: queue %q is neither plain nor hashed", room, name)
		}
		for i := range len(suffix) {
			if !nameChar(suffix[i]) && !(i == 0 && suffix[i] == '~') {
				t.Fatalf("room %q: queue %q holds %q", room, name, suffix[i])
			}
		}
	})
}
