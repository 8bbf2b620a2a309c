package bus

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var eventIDPattern = regexp.MustCompile(`^[0-9a-f]{16}-[0-9a-f]{16}$`)

func TestEncodePayloads(t *testing.T) {
	at := time.Date(2024, 5, 1, 14, 3, 4, 567_891_000, time.FixedZone("CEST", 2*3600))
	const ts = "2024-05-01T12:03:04.567Z"
	tests := []struct {
		event Event
		want  string
	}{
		{RoomJoin{RoomID: "r", RoomSize: 2, SocketID: "s", UserID: "u", Platform: "iOS", DeviceName: "d",
			NetworkType: "wifi", AppVersion: "1.2", Version: "17", IP: "203.0.113.7", Bitrate: 500000},
			`{"roomId":"r","roomSize":2,"socketId":"s","userId":"u","platform":"iOS","deviceName":"d",` +
				`"networkType":"wifi","appVersion":"1.2","version":"17","ip":"203.0.113.7","bitrate":500000,`},
		{RoomLeave{RoomID: "r", RoomSize: 1, SocketID: "s", UserID: "u"},
			`{"roomId":"r","roomSize":1,"socketId":"s","userId":"u",`},
		{RoomLive{RoomID: "r", RoomSize: 1, Sessions: []Session{{SocketID: "s", UserID: "u"}}},
			`{"roomId":"r","roomSize":1,"sessions":[{"socketId":"s","userId":"u"}],`},
		{WebrtcFreeze{RoomID: "r", SocketID: "s", UserID: "u"}, `{"roomId":"r","socketId":"s","userId":"u",`},
		{WebrtcCPU{RoomID: "r", SocketID: "s", UserID: "u", CPUUsed: 42},
			`{"roomId":"r","socketId":"s","userId":"u","cpuUsed":42,`},
		{WebrtcNetworkChange{RoomID: "r", SocketID: "s", UserID: "u", NetworkType: "4g"},
			`{"roomId":"r","socketId":"s","userId":"u","networkType":"4g",`},
	}
	for _, tt := range tests {
		t.Run(tt.event.RoutingKey(), func(t *testing.T) {
			e := &entry{seq: 0x2a, at: at, event: tt.event, id: eventID("0123456789abcdef", 0x2a)}
			body, err := encode(e)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want + `"eventId":"0123456789abcdef-000000000000002a","ts":"` + ts + `"}`
			if string(body) != want {
				t.Fatalf("\n got %s\nwant %s", body, want)
			}
		})
	}
}

// empty encodes to {}: eventId and ts must still make valid JSON.
type empty struct{}

func (empty) RoutingKey() string { return "test.empty" }
func (empty) Room() string       { return "" }

// notObject encodes to a JSON string.
type notObject string

func (notObject) RoutingKey() string { return "test.string" }
func (notObject) Room() string       { return "" }

// unencodable fails json.Marshal.
type unencodable struct{ C chan int }

func (unencodable) RoutingKey() string { return "test.chan" }
func (unencodable) Room() string       { return "" }

func TestEncodeEdgeCases(t *testing.T) {
	e := &entry{event: empty{}, id: eventID(newProcessID(), 1), at: time.Unix(0, 0)}
	body, err := encode(e)
	if err != nil || !json.Valid(body) || !strings.HasPrefix(string(body), `{"eventId":`) {
		t.Fatalf("empty event: %s %v", body, err)
	}
	if _, err := encode(&entry{event: notObject("x")}); !errors.Is(err, errNotObject) {
		t.Fatalf("string event: %v", err)
	}
	if _, err := encode(&entry{event: unencodable{}}); err == nil {
		t.Fatal("channel field encoded")
	}
}

func TestEventIDs(t *testing.T) {
	a, b := newProcessID(), newProcessID()
	if a == b {
		t.Fatal("process ids repeat")
	}
	for _, seq := range []uint64{0, 1, 1 << 40, ^uint64(0)} {
		if id := eventID(a, seq); !eventIDPattern.MatchString(id) {
			t.Fatalf("eventId %q", id)
		}
	}
	if eventID(a, 9) >= eventID(a, 10) {
		t.Fatal("eventIds of one process do not sort by sequence")
	}
}

// FuzzEncode: whatever the clients put in the fields, the body is valid UTF-8 JSON that decodes back to the event
// with its eventId and ts.
func FuzzEncode(f *testing.F) {
	f.Add("room1", "5f0cdeadbeef", "user-1", "iOS", "1.0", 3, int64(1714564984567))
	f.Add("r\"\\\n\u2028<>&", "\x00\xff", "ü", "", "", -1, int64(0))
	f.Add("", "", "", "Web", "\xed\xa0\x80", 0, int64(-62135596800000))
	f.Fuzz(func(t *testing.T, room, socket, user, platform, version string, size int, ms int64) {
		at := time.UnixMilli(ms)
		if at.Year() < 0 || at.Year() > 9999 {
			return // RFC 3339 has four-digit years.
		}
		ev := RoomJoin{RoomID: room, RoomSize: size, SocketID: socket, UserID: user, Platform: platform,
			Version: version}
		body, err := encode(&entry{event: ev, id: eventID("0123456789abcdef", 7), at: at})
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(body) || !json.Valid(body) {
			t.Fatalf("invalid JSON %q", body)
		}
		var got struct {
			RoomJoin
			EventID string `json:"eventId"`
			TS      string `json:"ts"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		if got.EventID != "0123456789abcdef-0000000000000007" || got.TS != at.UTC().Format(tsLayout) {
			t.Fatalf("eventId %q ts %q", got.EventID, got.TS)
		}
		if _, err := time.Parse(time.RFC3339Nano, got.TS); err != nil {
			t.Fatalf("ts %q is not RFC 3339: %v", got.TS, err)
		}
		// encoding/json replaces invalid UTF-8 with U+FFFD (checked above by utf8.Valid); valid text round-trips.
		if utf8.ValidString(room) && got.RoomID != room {
			t.Fatalf("roomId %q, want %q", got.RoomID, room)
		}
		if got.RoomSize != size {
			t.Fatalf("roomSize %d, want %d", got.RoomSize, size)
		}
	})
}
