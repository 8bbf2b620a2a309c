package main

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/cluster"
	"github.com/heytribe/live-webrtcsignaling/src/config"
	"github.com/heytribe/live-webrtcsignaling/src/metrics"
	"github.com/heytribe/live-webrtcsignaling/src/signaling"
)

// clusterNode is this process's node of the cluster (CLUSTER=on); nil for a single node.
type clusterNode struct {
	node *cluster.Node
	log  *slog.Logger
}

// newClusterNode builds the node with an AMQP connection of its own (a room's ownership dies with the connection
// that holds it; the bus's reconnects on its own schedule) and plugs it into srv. It connects in the background:
// the server serves at once, and joins wait for the broker through placement.
func newClusterNode(cfg *config.Config, srv *signaling.Server, mp *mediaPlane, draining func() bool,
	logger *slog.Logger) (*clusterNode, error) {
	if !cfg.Cluster {
		return nil, nil
	}
	c := cluster.DefaultConfig()
	c.URL = string(cfg.RabbitMQURL)
	tlsConfig, err := bus.NewTLSConfig(cfg.RabbitMQCAFile, cfg.RabbitMQCertFile, cfg.RabbitMQKeyFile)
	if err != nil {
		return nil, fmt.Errorf("RABBITMQ_CA_FILE/RABBITMQ_CERT_FILE/RABBITMQ_KEY_FILE: %w", err)
	}
	c.TLS = tlsConfig
	c.NodeID = cfg.NodeID
	c.Namespace = cfg.ClusterNamespace
	c.AnnounceInterval = cfg.ClusterAnnounceInterval
	c.DeadAfter = cfg.ClusterDeadAfter
	c.MaxMessageBytes = max(c.MaxMessageBytes, 2*cfg.WSMaxMessageBytes)
	c.Load = loadFunc(srv, mp, draining)
	c.Handler = srv.HandlePeer
	c.OnEvent = srv.ClusterEvent
	node, err := cluster.NewNodeWith(c, logger)
	if err != nil {
		return nil, fmt.Errorf("CLUSTER: %w", err)
	}
	srv.UseCluster(node, cfg.ClusterRoomReleaseAfter, failoverTime(cfg))
	logger.Info("cluster: node started", "node", cfg.NodeID, "broker", bus.BrokerName(c.URL),
		"namespace", c.Namespace)
	return &clusterNode{node: node, log: logger}, nil
}

// failoverTime is how long the cluster may take to move the rooms of a dead owner: the silence that declares it
// dead and two announcements more, and 3 s for placing the room (a chosen node that does not answer costs the
// placement timeout, 1 s) and entering its members on a busy machine. A reconnect looks for its participant that
// long (8 s at the default 1 s pace) before it answers that the socketId is unknown.
func failoverTime(cfg *config.Config) time.Duration {
	return time.Duration(cfg.ClusterDeadAfter+2)*cfg.ClusterAnnounceInterval + 3*time.Second
}

// leave is the first step of a drain: the others place no new room here and forget this node at once.
func (c *clusterNode) leave() {
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.node.Leave(ctx); err != nil {
		c.log.Warn("cluster: leave announcement not confirmed", "err", err)
	}
}

// connected reports whether the node is connected to the broker; a single node always is.
func (c *clusterNode) connected() bool {
	return c == nil || c.node.Stats().Connected
}

// closeWithin is close with a deadline, for the paths that end run before the drain.
func (c *clusterNode) closeWithin(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return c.close(ctx)
}

// close ends the node once the rooms have drained: its connection ends, and the rooms it still owns are free.
func (c *clusterNode) close(ctx context.Context) error {
	if c == nil {
		return nil
	}
	return c.node.Close(ctx)
}

// loadFunc is what the node announces every interval: rooms and participants of this node (the rooms it owns and
// runs), the encoders running, the process's CPU, and whether it drains.
func loadFunc(srv *signaling.Server, mp *mediaPlane, draining func() bool) func() cluster.Load {
	cpu := newCPUMeter()
	return func() cluster.Load {
		st := srv.Stats()
		l := cluster.Load{Rooms: st.Rooms, Participants: st.Participants, CPU: cpu.fraction(), Draining: draining()}
		if mp != nil && mp.transcoder != nil {
			for _, e := range mp.transcoder.stats().Encoders {
				l.Encoders += int(e.Count)
			}
		}
		return l
	}
}

// cpuMeter measures the fraction of the machine's processors this process used since its last reading.
type cpuMeter struct {
	mu       sync.Mutex
	lastCPU  time.Duration
	lastWall time.Time
}

func newCPUMeter() *cpuMeter {
	return &cpuMeter{lastCPU: processCPU(), lastWall: time.Now()}
}

func (m *cpuMeter) fraction() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	now, used := time.Now(), processCPU()
	wall := now.Sub(m.lastWall)
	f := 0.0
	if wall > 0 {
		f = float64(used-m.lastCPU) / float64(wall) / float64(runtime.NumCPU())
	}
	m.lastCPU, m.lastWall = used, now
	return min(max(f, 0), 1)
}

// processCPU is the user and system time of the process so far (0 if the kernel does not say).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clusterState is the cluster part of /state: this node, the live nodes with their load, the rooms it owns.
type clusterState struct {
	Node       string            `json:"node"`
	Connected  bool              `json:"connected"`
	Nodes      []clusterNodeInfo `json:"nodes"`
	RoomsOwned []string          `json:"roomsOwned"`
}

type clusterNodeInfo struct {
	ID       string       `json:"id"`
	Self     bool         `json:"self,omitempty"`
	LastSeen time.Time    `json:"lastSeen"`
	Load     cluster.Load `json:"load"`
}

// state is /state's cluster part; nil for a single node.
func (c *clusterNode) state() *clusterState {
	if c == nil {
		return nil
	}
	st := &clusterState{Node: c.node.ID(), Connected: c.node.Stats().Connected, RoomsOwned: c.node.Rooms()}
	slices.Sort(st.RoomsOwned)
	for _, n := range c.node.Nodes() {
		st.Nodes = append(st.Nodes, clusterNodeInfo{ID: n.ID, Self: n.Self, LastSeen: n.LastSeen, Load: n.Load})
	}
	return st
}

// clusterCollector exposes the node's view of the cluster and its traffic (docs/OPERATIONS.md, "Cluster").
func clusterCollector(node *cluster.Node, srv *signaling.Server) metrics.Collector {
	return metrics.CollectorFunc(func(e *metrics.Emitter) {
		st := node.Stats()
		e.Gauge(metricPrefix+"cluster_connected", "1 while the node is connected to the broker, its rooms claimed.",
			boolGauge(st.Connected))
		e.Gauge(metricPrefix+"cluster_live_nodes", "Live nodes of the cluster, this one included.",
			float64(st.LiveNodes))
		e.Gauge(metricPrefix+"cluster_rooms_owned", "Rooms this node owns and runs.", float64(st.RoomsOwned))
		counters := []struct {
			name, help string
			n          uint64
		}{
			{"cluster_connects_total", "Connections to the broker established (reconnections: this less 1).", st.Connects},
			{"cluster_connection_errors_total", "Failed connection attempts and lost connections.", st.ConnectionErrors},
			{"cluster_claims_won_total", "Rooms this node claimed.", st.ClaimsWon},
			{"cluster_claims_lost_total", "Claims another node had already won.", st.ClaimsLost},
			{"cluster_rooms_released_total", "Empty rooms given up.", st.RoomsReleased},
			{"cluster_rooms_lost_total", "Rooms lost to another node while owned.", st.RoomsLost},
			{"cluster_placements_total", "Rooms placed by this node.", st.Placements},
			{"cluster_placed_remotely_total", "Rooms placed on another node.", st.PlacedRemotely},
			{"cluster_placement_fallbacks_total", "Rooms claimed here because the chosen node did not take them.",
				st.PlacementFallbacks},
			{"cluster_messages_sent_total", "Messages published to other nodes and rooms.", st.MessagesSent},
			{"cluster_messages_received_total", "Valid messages received.", st.MessagesReceived},
			{"cluster_messages_returned_total", "Messages the broker returned: no owner, or node gone.",
				st.MessagesReturned},
			{"cluster_messages_dropped_total", "Messages received and dropped: malformed, late replies.",
				st.MessagesDropped},
			{"cluster_requests_total", "Requests sent.", st.Requests},
			{"cluster_request_timeouts_total", "Requests without a reply in time.", st.RequestTimeouts},
			{"cluster_handler_panics_total", "Panics recovered from the message handler.", st.HandlerPanics},
		}
		for _, c := range counters {
			e.Counter(metricPrefix+c.name, c.help, float64(c.n))
		}
		ss := srv.Stats()
		e.Gauge(metricPrefix+"cluster_remote_participants", "Participants of this node's rooms whose websocket is on "+
			"another node.", float64(ss.RemoteParticipants))
		e.Gauge(metricPrefix+"cluster_forwarded_websockets", "Websockets of this node whose participant is in a room "+
			"of another node.", float64(ss.ForwardedWebsockets))
		e.Counter(metricPrefix+"cluster_stale_frames_total", "Frames from other nodes for a participant no longer "+
			"theirs, dropped.", float64(ss.StaleFrames))
		e.Counter(metricPrefix+"cluster_failovers_total", "Participants of this node moved to a new owner after "+
			"theirs died.", float64(ss.Failovers))
		e.Counter(metricPrefix+"cluster_ghosts_total", "Members of rooms moved here that no node held (their websocket "+
			"died with the old owner, or they were away), entered away to wait for their reconnect.", float64(ss.Ghosts))
	})
}
