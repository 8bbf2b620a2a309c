package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/heytribe/live-webrtcsignaling/src/auth"
	"github.com/heytribe/live-webrtcsignaling/src/internal/loadtool"
)

const (
	bearerTTL = time.Hour
	// drainWait bounds the wait for relayed messages still in flight, and for the close handshakes at the end.
	drainWait = 5 * time.Second
)

// loadTest is one run: its clients, its measurements and its error counts.
type loadTest struct {
	cfg    config
	log    *slog.Logger
	epoch  time.Time
	runID  string
	dialer *websocket.Dialer
	httpc  *http.Client

	joins                      sync.WaitGroup
	dialLat, joinLat, relayLat *latencies
	received, replies          atomic.Int64

	errMu sync.Mutex
	errs  map[string]int
}

func newLoadTestWith(cfg config, logger *slog.Logger) *loadTest {
	return &loadTest{
		cfg:   cfg,
		log:   logger,
		epoch: time.Now(),
		// Rooms and users of this run never meet those of an earlier run against the same server.
		runID: strings.ToLower(rand.Text()[:8]),
		dialer: &websocket.Dialer{HandshakeTimeout: cfg.joinTimeout, ReadBufferSize: 1024, WriteBufferSize: 1024,
			WriteBufferPool: &sync.Pool{}},
		httpc:    &http.Client{Timeout: cfg.joinTimeout},
		dialLat:  newLatencies(cfg.conns),
		joinLat:  newLatencies(cfg.conns),
		relayLat: newLatencies(int(cfg.msgRate * cfg.duration.Seconds())),
		errs:     make(map[string]int),
	}
}

// count adds one to the error (or event) named what.
func (lt *loadTest) count(what string) {
	lt.errMu.Lock()
	defer lt.errMu.Unlock()
	lt.errs[what]++
}

// guard reports a panic of a goroutine instead of letting it end the process.
func (lt *loadTest) guard(name string) {
	if v := recover(); v != nil {
		lt.log.Error("panic", "goroutine", name, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		lt.count("panic in " + name)
	}
}

// bearer signs a token for userID bound to roomID, or asks the server's dev mode for one.
func (lt *loadTest) bearer(ctx context.Context, userID, roomID string) (string, error) {
	if lt.cfg.secret != "" {
		return auth.SignHS256([]byte(lt.cfg.secret), userID, roomID, time.Now(), bearerTTL)
	}
	u, err := url.Parse(lt.cfg.url)
	if err != nil {
		return "", err
	}
	if u.Scheme == "wss" {
		u.Scheme = "https"
	} else {
		u.Scheme = "http"
	}
	u.Path, u.RawQuery = "/dev/token", url.Values{"userId": {userID}, "roomId": {roomID}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	res, err := lt.httpc.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = res.Body.Close() }()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET /dev/token: HTTP %d (not a dev mode server: give -secret)", res.StatusCode)
	}
	var body struct {
		Bearer string `json:"bearer"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 16<<10)).Decode(&body); err != nil || body.Bearer == "" {
		return "", fmt.Errorf("GET /dev/token: no bearer in the answer (%v)", err)
	}
	return body.Bearer, nil
}

// phase is what the server and the tool spent during one part of the run.
type phase struct {
	name         string
	ops          int64
	opName       string
	wall         time.Duration
	server, tool loadtool.CPUTime
	hasServer    bool
}

// cpuMark is the CPU time of both processes at one moment.
type cpuMark struct {
	at           time.Time
	server, tool loadtool.CPUTime
}

func (lt *loadTest) markCPU() (cpuMark, error) {
	m := cpuMark{at: time.Now()}
	var err error
	if lt.cfg.pid != 0 {
		if m.server, err = loadtool.ReadCPU(lt.cfg.pid); err != nil {
			return m, err
		}
	}
	m.tool, err = loadtool.ReadCPU(0)
	return m, err
}

// phaseSince closes the phase that began at from.
func (lt *loadTest) phaseSince(from cpuMark, name string, ops int64, opName string) (phase, error) {
	now, err := lt.markCPU()
	if err != nil {
		return phase{}, err
	}
	return phase{name: name, ops: ops, opName: opName, wall: now.at.Sub(from.at), server: now.server.Sub(from.server),
		tool: now.tool.Sub(from.tool), hasServer: lt.cfg.pid != 0}, nil
}

// rss reads the server's RSS, or returns -1 without a pid.
func (lt *loadTest) rss() (int64, error) {
	if lt.cfg.pid == 0 {
		return -1, nil
	}
	return readRSS(lt.cfg.pid)
}

// run joins every connection, lets them rest, relays, and closes them.
func (lt *loadTest) run(ctx context.Context) (*result, error) {
	cfg := lt.cfg
	rng := mrand.New(mrand.NewPCG(cfg.seed, 0x10ad7e57))
	sizes, err := planRooms(cfg.conns, cfg.roomMin, cfg.roomMax, rng)
	if err != nil {
		return nil, err
	}
	res := &result{cfg: cfg, rooms: len(sizes)}
	if res.rssBefore, err = lt.rss(); err != nil {
		return nil, err
	}
	var clients []*client
	var rooms [][]*client
	for r, size := range sizes {
		roomID := fmt.Sprintf("lt-%s-%d", lt.runID, r)
		var members []*client
		for range size {
			c := newClient(lt, fmt.Sprintf("lt-%s-u%d", lt.runID, len(clients)), roomID)
			members = append(members, c)
			clients = append(clients, c)
		}
		rooms = append(rooms, members)
	}

	mark, err := lt.markCPU()
	if err != nil {
		return nil, err
	}
	lt.log.Info("joining", "conns", len(clients), "rooms", len(rooms), "rate", cfg.joinRate)
	var readers sync.WaitGroup
	lt.joins.Add(len(clients))
	_, res.joinPhase = pace(ctx, cfg.joinRate, len(clients), func(i int) {
		readers.Add(1)
		go func() {
			defer readers.Done()
			defer lt.guard("client")
			clients[i].run(ctx)
		}()
	})
	if !waitTimeout(&lt.joins, cfg.joinTimeout) {
		lt.count("joins still pending after -join-timeout")
	}
	for _, c := range clients {
		if c.isJoined() {
			res.joined++
			res.mode = c.mode
		}
	}
	joining, err := lt.phaseSince(mark, "joining", int64(res.joined), "join")
	if err != nil {
		return nil, err
	}
	lt.log.Info("joined; resting before reading the server's RSS", "joined", res.joined, "settle", cfg.settle)
	if mark, err = lt.markCPU(); err != nil {
		return nil, err
	}
	if !sleepCtx(ctx, cfg.settle) {
		return nil, ctx.Err()
	}
	idle, err := lt.phaseSince(mark, "idle, joined", 0, "")
	if err != nil {
		return nil, err
	}
	if res.rssJoined, err = lt.rss(); err != nil {
		return nil, err
	}

	res.via = cfg.via
	if res.via == viaAuto {
		res.via = map[bool]string{true: viaCandidate, false: viaMessage}[res.mode == "relay"]
	}
	lt.log.Info("relaying", "rate", cfg.msgRate, "duration", cfg.duration, "via", res.via)
	if mark, err = lt.markCPU(); err != nil {
		return nil, err
	}
	res.sent, res.relayPhase = lt.relay(ctx, rooms, rng, res.via == viaCandidate)
	lt.awaitReceived(ctx, res.sent)
	res.received, res.replies = lt.received.Load(), lt.replies.Load()
	relaying, err := lt.phaseSince(mark, "relaying", res.sent, "message")
	if err != nil {
		return nil, err
	}
	res.phases = []phase{joining, idle, relaying}
	if res.rssAfter, err = lt.rss(); err != nil {
		return nil, err
	}

	lt.log.Info("closing")
	for _, c := range clients {
		c.close()
	}
	if !waitTimeout(&readers, drainWait) {
		lt.count("connections still open after the close handshake")
	}
	res.dial, res.join, res.relay = lt.dialLat.distribution(), lt.joinLat.distribution(), lt.relayLat.distribution()
	lt.errMu.Lock()
	defer lt.errMu.Unlock()
	res.errors = make(map[string]int, len(lt.errs))
	for k, v := range lt.errs {
		res.errors[k] = v
	}
	return res, nil
}

// relay sends msgRate stamped messages per second for the duration, each from a random joined connection to another
// joined member of its room. It returns how many were sent.
func (lt *loadTest) relay(ctx context.Context, rooms [][]*client, rng *mrand.Rand,
	viaCandidate bool) (int64, time.Duration) {
	var joinedRooms [][]*client
	var senders []int // index in joinedRooms, once per joined member: every connection sends alike
	for _, members := range rooms {
		var joined []*client
		for _, c := range members {
			if c.isJoined() {
				joined = append(joined, c)
			}
		}
		if len(joined) < 2 {
			continue
		}
		for range joined {
			senders = append(senders, len(joinedRooms))
		}
		joinedRooms = append(joinedRooms, joined)
	}
	total := int(lt.cfg.msgRate * lt.cfg.duration.Seconds())
	if len(senders) == 0 || total == 0 {
		return 0, 0
	}
	var sent int64
	var frame []byte
	_, took := pace(ctx, lt.cfg.msgRate, total, func(int) {
		room := joinedRooms[senders[rng.IntN(len(senders))]]
		from := rng.IntN(len(room))
		to := (from + 1 + rng.IntN(len(room)-1)) % len(room)
		var err error
		if frame, err = room[from].relayTo(room[to], viaCandidate, frame); err != nil {
			lt.count("relay send: " + err.Error())
			return
		}
		sent++
	})
	return sent, took
}

// awaitReceived waits, at most drainWait, for the messages still in flight.
func (lt *loadTest) awaitReceived(ctx context.Context, sent int64) {
	deadline := time.Now().Add(drainWait)
	for lt.received.Load() < sent && time.Now().Before(deadline) {
		if !sleepCtx(ctx, 10*time.Millisecond) {
			return
		}
	}
}

// pace calls fn(0..n-1) at rate calls per second, in order, from this goroutine, and returns how many it made and
// how long that took.
func pace(ctx context.Context, rate float64, n int, fn func(i int)) (int, time.Duration) {
	start := time.Now()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	done := 0
	for {
		due := min(n, int(time.Since(start).Seconds()*rate)+1)
		for ; done < due; done++ {
			fn(done)
		}
		if done == n {
			return done, time.Since(start)
		}
		select {
		case <-ctx.Done():
			return done, time.Since(start)
		case <-tick.C:
		}
	}
}

// waitTimeout waits for wg at most d and reports whether it finished.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// sleepCtx sleeps d unless ctx ends first, which it reports as false.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
