package e2e

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// clusterRestWindow is how long the broker's counters are read at rest, without and with participants.
const clusterRestWindow = time.Minute

// brokerCounters are the broker's own message counters (rabbit_global_counters, AMQP 0-9-1): messages published
// to it and messages it delivered to consumers, whoever sent them.
type brokerCounters struct{ Published, Delivered int64 }

var (
	publishedCounter = regexp.MustCompile(`messages_received_total => (\d+)`)
	deliveredCounter = regexp.MustCompile(`messages_delivered_total => (\d+)`)
)

// counters reads the broker's global counters.
func (c *cluster) counters(t testing.TB) brokerCounters {
	t.Helper()
	out, err := c.Broker.Ctl("eval", "rabbit_global_counters:overview().")
	if err != nil {
		t.Fatal(err)
	}
	// The first map is the protocol's (publishes); the delivered count is the classic queues' (every queue of the
	// cluster and the bus is classic).
	p, d := publishedCounter.FindStringSubmatch(out), deliveredCounter.FindStringSubmatch(out)
	if p == nil || d == nil {
		t.Fatalf("no message counters in the broker's overview: %.500s", out)
	}
	published, _ := strconv.ParseInt(p[1], 10, 64)
	delivered, _ := strconv.ParseInt(d[1], 10, 64)
	return brokerCounters{Published: published, Delivered: delivered}
}

func (b brokerCounters) minus(o brokerCounters) brokerCounters {
	return brokerCounters{Published: b.Published - o.Published, Delivered: b.Delivered - o.Delivered}
}

// quantiles returns the p50 and p99 of samples.
func quantiles(samples []time.Duration) (p50, p99 time.Duration) {
	s := slices.Clone(samples)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return at(0.50), at(0.99)
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }

// TestClusterFigures measures, on three nodes of one machine (docs/OPERATIONS.md, "Cluster", "Measured"): join
// latency and relay latency (sendMessage to eventMessage) through a non-owner node against the owner, p50/p99,
// interleaved in one run; the broker's messages per joined participant per minute at rest and per relayed
// signaling message, from the broker's own counters. E2E_FIGURES=<rounds> runs it (500 samples a path a round).
// The failover time to the first decoded frame is TestClusterBrowsers' FIGURE line.
func TestClusterFigures(t *testing.T) {
	rounds, err := strconv.Atoi(os.Getenv(figuresEnv))
	if os.Getenv(figuresEnv) == "" {
		t.Skipf("a measurement: run with %s=<rounds>", figuresEnv)
	}
	if err != nil || rounds < 1 {
		t.Fatalf("%s=%q: want a number of rounds", figuresEnv, os.Getenv(figuresEnv))
	}
	c := newCluster(t)
	// The bus's own messages (room.join, room.leave, room.live every 60 s a room) are counted apart.
	busMessages := brokertest.NewConsumer(t, c.Broker.URL, liveEvents)
	c.startNodes(t, 3, map[string]string{"MEDIA_MODE": "relay", "WS_RATE_LIMIT": "10000", "WS_RATE_BURST": "10000",
		"WS_USER_RATE_LIMIT": "10000", "WS_USER_RATE_BURST": "10000", "LOG_LEVEL": "info"})
	const room = "figures"
	owner, _, edge := ownedElsewhere(t, c, room, c.Nodes[0])
	ownerNode := c.node(owner)
	t.Logf("room %s owned by %s; the non-owner path through %s", room, owner, edge.ID)

	samples := 500 * rounds
	paths := []struct {
		name string
		node *clusterNode
	}{{"owner", ownerNode}, {"non-owner", edge}}

	// Join latency: a websocket of each path joins and leaves in turn, the room kept by its first member.
	joiners := make([]*wsClient, len(paths))
	for i, p := range paths {
		joiners[i] = dial(t, p.node, "joiner-"+p.name)
	}
	joins := make([][]time.Duration, len(paths))
	for range samples {
		for i, j := range joiners {
			start := time.Now()
			j.send("join", map[string]any{"roomId": room, "bearer": bearer(t, j.user)})
			j.ok("join")
			joins[i] = append(joins[i], time.Since(start))
			j.send("leave", nil)
			j.ok("leave")
		}
	}

	// Relay latency: a sender and a receiver on the same node; through the non-owner, the message goes to the
	// owner and back.
	type pair struct{ from, to *wsClient }
	pairs := make([]pair, len(paths))
	for i, p := range paths {
		pairs[i] = pair{from: dial(t, p.node, "from-"+p.name), to: dial(t, p.node, "to-"+p.name)}
		pairs[i].from.join(room)
		pairs[i].to.join(room)
	}
	for _, p := range pairs {
		p.from.barrier()
		p.to.barrier()
	}
	relays := make([][]time.Duration, len(paths))
	for range samples {
		for i, p := range pairs {
			start := time.Now()
			p.from.send("sendMessage", map[string]any{"to": p.to.socketID, "message": "x"})
			p.to.expect(protocol.EventMessage)
			relays[i] = append(relays[i], time.Since(start))
			p.from.ok("sendMessage")
		}
	}
	for i, p := range paths {
		j50, j99 := quantiles(joins[i])
		r50, r99 := quantiles(relays[i])
		t.Logf("FIGURE %s node: join p50 %v p99 %v; relay p50 %v p99 %v (%d samples each)", p.name, round(j50),
			round(j99), round(r50), round(r99), samples)
	}

	// Relayed messages: between two members on the non-owner node, then from it to a member on the owner.
	for _, p := range []pair{pairs[1], {from: pairs[1].from, to: pairs[0].to}} {
		p.to.barrier()
		const n = 1000
		before := c.counters(t)
		for range n {
			p.from.send("sendMessage", map[string]any{"to": p.to.socketID, "message": "x"})
			p.from.ok("sendMessage")
		}
		for range n {
			p.to.expect(protocol.EventMessage)
		}
		d := c.counters(t).minus(before)
		t.Logf("FIGURE broker per relayed message, %s -> %s: %.2f published, %.2f delivered (%d messages, "+
			"the announcements of these seconds included)", p.from.node, p.to.node, float64(d.Published)/n,
			float64(d.Delivered)/n, n)
	}

	// At rest: the members above, then 30 more participants in 10 rooms, joined through non-owner nodes where
	// placement allows.
	type restFigures struct {
		brokerCounters
		bus int64
	}
	rest := func() restFigures {
		before, busBefore := c.counters(t), len(busMessages.Messages())
		start := time.Now()
		// A measurement window, not a wait for a condition.
		<-time.After(clusterRestWindow)
		d := c.counters(t).minus(before)
		busIn := len(busMessages.Messages()) - busBefore
		scale := float64(time.Minute) / float64(time.Since(start))
		return restFigures{brokerCounters: brokerCounters{Published: int64(float64(d.Published) * scale),
			Delivered: int64(float64(d.Delivered) * scale)}, bus: int64(float64(busIn) * scale)}
	}
	idle := rest()
	const extra = 30
	for i := range extra {
		cl := dial(t, c.Nodes[i%len(c.Nodes)], "rest-"+strconv.Itoa(i))
		cl.join("rest-" + strconv.Itoa(i/3))
	}
	busy := rest()
	joined := float64(extra)
	t.Logf("FIGURE broker at rest, per minute: %d published / %d delivered (%d of them live_events, to the test's "+
		"consumer) with %d participants; %d / %d (%d live_events) with %d more in 10 more rooms: %.2f published and "+
		"%.2f delivered per joined participant per minute, live_events included; %.2f and %.2f without them",
		idle.Published, idle.Delivered, idle.bus, 1+2*len(pairs), busy.Published, busy.Delivered, busy.bus, extra,
		float64(busy.Published-idle.Published)/joined, float64(busy.Delivered-idle.Delivered)/joined,
		float64(busy.Published-busy.bus-idle.Published+idle.bus)/joined,
		float64(busy.Delivered-busy.bus-idle.Delivered+idle.bus)/joined)
}
