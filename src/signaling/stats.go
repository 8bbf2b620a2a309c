package signaling

import (
	"sync/atomic"

	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// Stats are the server's gauges and counters (since start), read at scrape time for /metrics. Reading them locks
// the hub only, never a room.
type Stats struct {
	// Connections counts open websockets, joined or not; AcceptedTotal every websocket accepted since start.
	Connections   int
	AcceptedTotal uint64
	// Rooms and Participants count the live rooms and their members, connected or away (reconnect grace).
	Rooms        int
	Participants int
	// Reconnects counts successful reconnects.
	Reconnects uint64
	// RateLimited counts messages dropped by the rate limits, of the connection or of its user (they are not in
	// Messages); RateLimitCloses counts the connections closed for going on (close code 4429).
	RateLimited     uint64
	RateLimitCloses uint64
	// Unauthenticated counts open websockets without a participant; JoinTimeouts those closed for it (4408).
	Unauthenticated int
	JoinTimeouts    uint64
	// RefusedAddress and RefusedTotal count upgrades refused by UnauthPerAddress (429) and UnauthTotal (503);
	// RefusedUserSockets joins and reconnects refused by SocketsPerUser (1336).
	RefusedAddress     uint64
	RefusedTotal       uint64
	RefusedUserSockets uint64
	// QueuedBytes is what the send queues and replay lists hold (bounded by QueuedBytesTotal).
	QueuedBytes int64
	// SlowQueue and SlowBudget count connections dropped as slow readers: their queue was full
	// (SendQueueLimit, SendQueueBytes), or the process was over QueuedBytesTotal while they were behind.
	SlowQueue  uint64
	SlowBudget uint64
	// Cluster only: RemoteParticipants counts the connections of participants of this node's rooms whose websocket
	// is on another node; ForwardedWebsockets the websockets of this node whose participant is on another node;
	// StaleFrames the frames of other nodes for a participant no longer theirs (dropped); Failovers the
	// participants this node moved to a new owner after theirs died; Ghosts the members of moved rooms this node
	// entered away because no edge held them (their websocket died with the old owner, or they were away).
	RemoteParticipants  int
	ForwardedWebsockets int
	StaleFrames         uint64
	Failovers           uint64
	Ghosts              uint64
	// Messages counts the handled messages of every action, protocol.ActionGeneral for unknown or unreadable ones.
	Messages []MessageCount
	// Errors counts the error replies sent, by code; codes never sent are left out.
	Errors []ErrorCount
}

// MessageCount is the number of messages of one action, answered with success (OK) or an error (Failed). A
// message that needs no reply (a candidate {"completed":true}, telemetry) counts as OK.
type MessageCount struct {
	Action     string
	OK, Failed uint64
}

// ErrorCount is the number of error replies with one code.
type ErrorCount struct {
	Code  int
	Count uint64
}

// countedActions are the actions Stats reports, in this order; any other name counts as protocol.ActionGeneral.
var countedActions = []string{
	protocol.ActionJoin, protocol.ActionReconnect, protocol.ActionLeave, protocol.ActionExchangeSdp,
	protocol.ActionExchangeCandidate, protocol.ActionOrientationChange, protocol.ActionSendMessage,
	protocol.ActionEventFreeze, protocol.ActionEventCPU, protocol.ActionEventNetworkChange, protocol.ActionGeneral,
}

var actionIndex = func() map[string]int {
	m := make(map[string]int, len(countedActions))
	for i, a := range countedActions {
		m[a] = i
	}
	return m
}()

// Error codes are 0x500 + n: one counter per possible n, so counting needs no lock and no map write.
const (
	codeBase     = 0x500
	codeCounters = 0x100
)

// counters are updated atomically on the read goroutines.
type counters struct {
	ok, failed      []atomic.Uint64 // by index in countedActions
	codes           []atomic.Uint64 // by code - codeBase; codes outside the range count as protocol.CodeSystem
	reconnects      atomic.Uint64
	rateLimited     atomic.Uint64
	rateLimitCloses atomic.Uint64
	joinTimeouts    atomic.Uint64
	refusedAddress  atomic.Uint64
	refusedTotal    atomic.Uint64
	userSockets     atomic.Uint64
	slowQueue       atomic.Uint64
	slowBudget      atomic.Uint64
	peerStale       atomic.Uint64
	failovers       atomic.Uint64
	ghosts          atomic.Uint64
}

func newCounters() *counters {
	return &counters{
		ok:     make([]atomic.Uint64, len(countedActions)),
		failed: make([]atomic.Uint64, len(countedActions)),
		codes:  make([]atomic.Uint64, codeCounters),
	}
}

// message counts one handled message of action; code is the error it was answered with, 0 for success.
func (c *counters) message(action string, code int) {
	i, ok := actionIndex[action]
	if !ok {
		i = actionIndex[protocol.ActionGeneral]
	}
	if code == 0 {
		c.ok[i].Add(1)
	} else {
		c.failed[i].Add(1)
	}
}

// errorReply counts one error reply.
func (c *counters) errorReply(code int) {
	n := code - codeBase
	if n < 0 || n >= codeCounters {
		n = protocol.CodeSystem - codeBase
	}
	c.codes[n].Add(1)
}

// Stats returns the current counts.
func (s *Server) Stats() Stats {
	s.connsMu.Lock()
	st := Stats{Connections: len(s.conns) - s.remoteConns, AcceptedTotal: s.accepted.Load(),
		RemoteParticipants: s.remoteConns}
	s.connsMu.Unlock()
	if ps := s.peers.Load(); ps != nil {
		st.ForwardedWebsockets = len(ps.forwarding(""))
	}
	st.StaleFrames = s.counters.peerStale.Load()
	st.Failovers = s.counters.failovers.Load()
	st.Ghosts = s.counters.ghosts.Load()
	st.Rooms, st.Participants = s.hub.counts()
	st.Reconnects = s.counters.reconnects.Load()
	st.RateLimited = s.counters.rateLimited.Load()
	st.RateLimitCloses = s.counters.rateLimitCloses.Load()
	st.Unauthenticated = s.unauth.count()
	st.JoinTimeouts = s.counters.joinTimeouts.Load()
	st.RefusedAddress = s.counters.refusedAddress.Load()
	st.RefusedTotal = s.counters.refusedTotal.Load()
	st.RefusedUserSockets = s.counters.userSockets.Load()
	st.QueuedBytes = s.budget.load()
	st.SlowQueue = s.counters.slowQueue.Load()
	st.SlowBudget = s.counters.slowBudget.Load()
	st.Messages = make([]MessageCount, len(countedActions))
	for i, a := range countedActions {
		st.Messages[i] = MessageCount{Action: a, OK: s.counters.ok[i].Load(), Failed: s.counters.failed[i].Load()}
	}
	for n := range s.counters.codes {
		if v := s.counters.codes[n].Load(); v > 0 {
			st.Errors = append(st.Errors, ErrorCount{Code: codeBase + n, Count: v})
		}
	}
	return st
}
