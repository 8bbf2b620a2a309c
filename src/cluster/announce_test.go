package cluster

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func validAnnouncement() announcement {
	return announcement{Version: announcementVersion, Node: "a", Incarnation: "0123abcd", Seq: 1, IntervalMs: 1000,
		Load: Load{Rooms: 2, Participants: 5, Encoders: 1, CPU: 0.25}}
}

func TestAnnouncementRoundTrip(t *testing.T) {
	a := validAnnouncement()
	a.Leaving = true
	a.Load.Draining = true
	body, err := encodeAnnouncement(a)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeAnnouncement(body)
	if err != nil {
		t.Fatal(err)
	}
	if got != a {
		t.Fatalf("decoded %+v, want %+v", got, a)
	}
}

func TestAnnouncementRefused(t *testing.T) {
	for name, change := range map[string]func(*announcement){
		"other version":      func(a *announcement) { a.Version = 2 },
		"bad node id":        func(a *announcement) { a.Node = "a b" },
		"empty node id":      func(a *announcement) { a.Node = "" },
		"empty incarnation":  func(a *announcement) { a.Incarnation = "" },
		"seq 0":              func(a *announcement) { a.Seq = 0 },
		"interval too short": func(a *announcement) { a.IntervalMs = 9 },
		"interval too long":  func(a *announcement) { a.IntervalMs = 60_001 },
		"negative rooms":     func(a *announcement) { a.Load.Rooms = -1 },
		"huge participants":  func(a *announcement) { a.Load.Participants = maxCount + 1 },
		"negative encoders":  func(a *announcement) { a.Load.Encoders = -1 },
		"cpu above 1":        func(a *announcement) { a.Load.CPU = 1.5 },
		"negative cpu":       func(a *announcement) { a.Load.CPU = -0.1 },
	} {
		t.Run(name, func(t *testing.T) {
			a := validAnnouncement()
			change(&a)
			body, err := json.Marshal(a)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := decodeAnnouncement(body); err == nil {
				t.Fatalf("%s accepted", body)
			}
		})
	}
	for name, body := range map[string]string{
		"not JSON":   "announcement",
		"array":      "[1,2]",
		"wrong type": `{"v":1,"node":"a","inc":"x","seq":"1","intervalMs":1000}`,
		"too large":  `{"v":1,"node":"a","inc":"x","seq":1,"intervalMs":1000,"pad":"` + strings.Repeat("x", 5000) + `"}`,
	} {
		if _, err := decodeAnnouncement([]byte(body)); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestLoadSanitized(t *testing.T) {
	got := Load{Rooms: -3, Participants: math.MaxInt, Encoders: 2, CPU: math.NaN()}.sanitized()
	if got != (Load{Rooms: 0, Participants: maxCount, Encoders: 2, CPU: 0}) || !got.valid() {
		t.Fatalf("sanitized: %+v", got)
	}
	if got := (Load{CPU: 7}).sanitized(); got.CPU != 1 {
		t.Fatalf("CPU 7 sanitized to %v", got.CPU)
	}
}

func FuzzDecodeAnnouncement(f *testing.F) {
	good, _ := encodeAnnouncement(validAnnouncement())
	f.Add(good)
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte(`{"v":1,"node":"a","inc":"x","seq":18446744073709551615,"intervalMs":10,"load":{"cpu":1e308}}`))
	f.Add([]byte("null"))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := decodeAnnouncement(body)
		if err != nil {
			return
		}
		if !ValidNodeID(a.Node) || a.Seq == 0 || !a.Load.valid() || a.interval() < minAnnounceInterval ||
			a.interval() > maxAnnounceInterval {
			t.Fatalf("accepted an invalid announcement: %+v", a)
		}
		again, err := encodeAnnouncement(a)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := decodeAnnouncement(again); err != nil || b != a {
			t.Fatalf("re-encoded %+v decodes to %+v, %v", a, b, err)
		}
	})
}
