package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Load is what a node tells the others of its load, every announcement; placement reads it.
type Load struct {
	Rooms        int `json:"rooms"`
	Participants int `json:"participants"`
	// Encoders counts the video encoders running (the transcoded tiers): the main cost of an MCU.
	Encoders int `json:"encoders"`
	// CPU is the fraction of the machine's processors in use, from 0 to 1.
	CPU float64 `json:"cpu"`
	// Draining is true while the node takes no new rooms (it is shutting down).
	Draining bool `json:"draining,omitempty"`
}

// maxCount bounds the counts of a Load read from the network.
const maxCount = 1 << 30

func (l Load) valid() bool {
	return l.Rooms >= 0 && l.Rooms <= maxCount && l.Participants >= 0 && l.Participants <= maxCount &&
		l.Encoders >= 0 && l.Encoders <= maxCount && !math.IsNaN(l.CPU) && l.CPU >= 0 && l.CPU <= 1
}

// sanitized is l with counts and CPU brought into their ranges, for a Load from the caller's func.
func (l Load) sanitized() Load {
	clamp := func(n int) int { return min(max(n, 0), maxCount) }
	l.Rooms, l.Participants, l.Encoders = clamp(l.Rooms), clamp(l.Participants), clamp(l.Encoders)
	if math.IsNaN(l.CPU) || l.CPU < 0 {
		l.CPU = 0
	}
	l.CPU = min(l.CPU, 1)
	return l
}

// announcementVersion is the format of announcements; a node drops announcements of another version.
const announcementVersion = 1

// Bounds of an announced interval: a node's announcements say how often it announces, so that the others judge
// its silence by its own pace.
const (
	minAnnounceInterval = 10 * time.Millisecond
	maxAnnounceInterval = time.Minute
)

// maxAnnouncementBytes bounds an announcement's body: a well-formed one is about 200 bytes.
const maxAnnouncementBytes = 4096

// announcement is one node's "I am alive" message on the cluster's exchange, JSON-encoded.
type announcement struct {
	Version int    `json:"v"`
	Node    string `json:"node"`
	// Incarnation is random per process start: a new one means the node restarted and lost its rooms.
	Incarnation string `json:"inc"`
	// Seq counts the incarnation's announcements from 1.
	Seq        uint64 `json:"seq"`
	IntervalMs int64  `json:"intervalMs"`
	// Leaving is set by the last announcement of a node that shuts down.
	Leaving bool `json:"leaving,omitempty"`
	Load    Load `json:"load"`
}

func (a announcement) interval() time.Duration { return time.Duration(a.IntervalMs) * time.Millisecond }

func encodeAnnouncement(a announcement) ([]byte, error) { return json.Marshal(a) }

// decodeAnnouncement parses and checks an announcement from the network.
func decodeAnnouncement(body []byte) (announcement, error) {
	var a announcement
	if len(body) > maxAnnouncementBytes {
		return a, fmt.Errorf("announcement of %d bytes", len(body))
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return a, fmt.Errorf("announcement: %w", err)
	}
	switch {
	case a.Version != announcementVersion:
		return a, fmt.Errorf("announcement version %d, want %d", a.Version, announcementVersion)
	case !ValidNodeID(a.Node):
		return a, errBadNodeID
	case !plainName(a.Incarnation, 64):
		return a, errors.New("announcement: invalid incarnation")
	case a.Seq == 0:
		return a, errors.New("announcement: sequence number 0")
	case a.interval() < minAnnounceInterval || a.interval() > maxAnnounceInterval:
		return a, fmt.Errorf("announcement: interval %d ms out of range", a.IntervalMs)
	case !a.Load.valid():
		return a, errors.New("announcement: load out of range")
	}
	return a, nil
}
