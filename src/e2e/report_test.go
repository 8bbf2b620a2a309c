package e2e

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// report is what the reference client posts every second with its report= hook (Call.snapshot in
// src/web/static/call.js).
type report struct {
	State      string       `json:"state"`
	Joined     bool         `json:"joined"`
	SocketID   string       `json:"socketId"`
	UserID     string       `json:"userId"`
	RoomID     string       `json:"roomId"`
	Mode       string       `json:"mode"`
	Publishing bool         `json:"publishing"`
	Reconnects int          `json:"reconnects"`
	Rejoins    int          `json:"rejoins"`
	Upstream   *rtcStats    `json:"upstream"`
	Peers      []peerReport `json:"peers"`
	Errors     []string     `json:"errors"`
	Events     []struct {
		A    string `json:"a"`
		From string `json:"from"`
	} `json:"events"`
	EventCount int `json:"eventCount"`
	// at is when the report arrived.
	at time.Time
}

// rtcStats sums a connection's getStats (src/web/static/stats.js).
type rtcStats struct {
	Up                   bool   `json:"up"`
	ConnectionState      string `json:"connectionState"`
	FramesDecoded        int64  `json:"framesDecoded"`
	FrameWidth           int    `json:"frameWidth"`
	FrameHeight          int    `json:"frameHeight"`
	Codec                string `json:"codec"`
	PacketsReceivedAudio int64  `json:"packetsReceivedAudio"`
	PacketsReceivedVideo int64  `json:"packetsReceivedVideo"`
	BytesReceivedVideo   int64  `json:"bytesReceivedVideo"`
	BytesSentVideo       int64  `json:"bytesSentVideo"`
	// SendWidth is the width the encoder sends, QualityLimitationReason what limits it (cpu, bandwidth, none).
	SendWidth               int    `json:"sendWidth"`
	QualityLimitationReason string `json:"qualityLimitationReason"`
	// AvailableOutgoingBitrate is the sender's estimate of its uplink (the selected candidate pair's).
	AvailableOutgoingBitrate float64 `json:"availableOutgoingBitrate"`
	NackCount                int64   `json:"nackCount"`
	FramesEncoded            int64   `json:"framesEncoded"`
	PacketsSent              int64   `json:"packetsSent"`
	SendCodec                string  `json:"sendCodec"`
	StatsError               string  `json:"statsError"`
	Path                     *path   `json:"path"`
}

// peerReport is the connection that receives one remote participant.
type peerReport struct {
	SocketID string `json:"socketId"`
	UserID   string `json:"userId"`
	rtcStats
}

// peer returns the report's connection from userID.
func (r report) peer(userID string) (peerReport, bool) {
	for _, p := range r.Peers {
		if p.UserID == userID {
			return p, true
		}
	}
	return peerReport{}, false
}

// received reports whether an event named name came in.
func (r report) received(name string) bool {
	for _, e := range r.Events {
		if e.A == name {
			return true
		}
	}
	return false
}

// receivedFrom reports whether an event named name came in from userID.
func (r report) receivedFrom(name, userID string) bool {
	for _, e := range r.Events {
		if e.A == name && e.From == userID {
			return true
		}
	}
	return false
}

// maxReportBytes bounds a posted report.
const maxReportBytes = 1 << 20

// reports receives the pages' reports, keeping the latest of each page.
type reports struct {
	base    string
	mu      sync.Mutex
	latest  map[string]report
	bad     []string
	changed chan struct{}
}

// newReports starts the HTTP server pages post to, closed at the end of the test.
func newReports(t testing.TB) *reports {
	t.Helper()
	// Every address of the test's namespace (loopback, and the shaped links' near ends for pages behind them).
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	r := &reports{base: "http://127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), latest: make(map[string]report), changed: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/report/{page}", r.serve)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("report server shutdown: %v", err)
		}
	})
	return r
}

// url is where page posts its reports.
func (r *reports) url(page string) string {
	return r.base + "/report/" + page
}

// serve takes a report. Pages come from the server's origin, another port: CORS must allow them.
func (r *reports) serve(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	switch req.Method {
	case http.MethodOptions:
		w.Header().Set("Access-Control-Allow-Methods", "POST")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPost:
	default:
		http.Error(w, "POST a report", http.StatusMethodNotAllowed)
		return
	}
	var rep report
	if err := json.NewDecoder(http.MaxBytesReader(w, req.Body, maxReportBytes)).Decode(&rep); err != nil {
		r.mu.Lock()
		r.bad = append(r.bad, req.PathValue("page")+": "+err.Error())
		r.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rep.at = time.Now()
	r.mu.Lock()
	r.latest[req.PathValue("page")] = rep
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// waitFor returns the reports once cond holds for them, checking on every new report. After timeout it fails the
// test with what and the latest reports.
//
// Pages report once a second each, at their own pace: when one page's report shows the other's media, the other's
// latest report may be up to a second older and not show yet what caused it (its camera open, its upstream up).
// Whatever will become true goes in cond, read from the page's own report; the checks made on the returned
// reports are for what must hold in every report (no errors, nothing received from a receive-only page).
func (r *reports) waitFor(t testing.TB, timeout time.Duration, what string,
	cond func(map[string]report) bool) map[string]report {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		snapshot := make(map[string]report, len(r.latest))
		for k, v := range r.latest {
			snapshot[k] = v
		}
		bad := strings.Join(r.bad, "\n")
		changed := r.changed
		r.mu.Unlock()
		if bad != "" {
			t.Fatalf("unreadable reports:\n%s", bad)
		}
		if cond(snapshot) {
			return snapshot
		}
		select {
		case <-changed:
		case <-deadline.C:
			dump, _ := json.MarshalIndent(snapshot, "", "  ")
			t.Fatalf("%s: not within %s; latest reports:\n%s", what, timeout, dump)
		}
	}
}

// decoding holds when every page of users decodes video (frames and a size) from every other, more than min
// frames (per receiver, then sender).
func decoding(users []string, min map[string]map[string]int64) func(map[string]report) bool {
	return func(all map[string]report) bool {
		for _, to := range users {
			rep, ok := all[to]
			if !ok || !rep.Joined {
				return false
			}
			for _, from := range users {
				if from == to {
					continue
				}
				p, ok := rep.peer(from)
				if !ok || p.FramesDecoded <= min[to][from] || p.FrameWidth == 0 {
					return false
				}
			}
		}
		return true
	}
}

// allOf holds when every one of conds holds.
func allOf(conds ...func(map[string]report) bool) func(map[string]report) bool {
	return func(all map[string]report) bool {
		for _, cond := range conds {
			if !cond(all) {
				return false
			}
		}
		return true
	}
}
