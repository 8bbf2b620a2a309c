package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/auth"
	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// clusterSecret signs the bearers of every node of a test cluster: a dev mode token of one node would not be
// valid on another.
var clusterSecret = []byte("e2e-cluster-secret-e2e-cluster-secret")

// liveEvents is the exchange the servers publish room events to (docs/OPERATIONS.md, "Bus").
const liveEvents = "live_events"

// cluster is a RabbitMQ node of the test's own and the server nodes of the test: each a process of the built
// binary with CLUSTER=on, its NODE_ID, its own HTTP, admin and UDP ports on loopback, killed (kill -9) and started
// again as the test asks. Every incarnation's log is kept, and shown when the test fails.
type cluster struct {
	t      *testing.T
	Broker *brokertest.PrivateBroker
	Nodes  []*clusterNode
	// generation numbers the sets of nodes started on the broker: each set has ids of its own (A1, B1, then A2...),
	// so that nothing a set left on the broker reaches the next.
	generation int
}

// clusterNode is one server of a cluster, at fixed addresses across its restarts.
type clusterNode struct {
	t  *testing.T
	ID string
	// URL is the public listener (http://127.0.0.1:port), WS its websocket endpoint, Admin the admin listener.
	URL, WS, Admin string
	env            map[string]string
	logs           *syncBuffer
	// cmd is the running process, nil while the node is down; exited yields its Wait's result.
	cmd    *exec.Cmd
	exited chan error
	starts int
}

// newCluster starts a private broker; startNodes then starts the servers.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	b := brokertest.NewPrivateBroker(t)
	b.Start()
	return &cluster{t: t, Broker: b}
}

// startNodes starts n nodes (ids A1, B1, C1..., then A2... for the next set) with env added to the cluster settings, and waits until every one
// listens and sees the others alive. The end of the test stops them with SIGTERM.
func (c *cluster) startNodes(t *testing.T, n int, env map[string]string) []*clusterNode {
	t.Helper()
	c.Nodes = nil
	c.generation++
	for i := range n {
		ports := freeLoopbackPorts(t, 3)
		node := &clusterNode{
			t: t, ID: string(rune('A'+i)) + strconv.Itoa(c.generation),
			URL:   "http://127.0.0.1:" + strconv.Itoa(ports[0]),
			WS:    "ws://127.0.0.1:" + strconv.Itoa(ports[0]) + "/api",
			Admin: "http://127.0.0.1:" + strconv.Itoa(ports[1]),
			logs:  &syncBuffer{},
		}
		node.env = map[string]string{
			"CLUSTER": "on", "NODE_ID": node.ID, "RABBITMQ_URL": c.Broker.URL,
			"PORT_NUMBER": strconv.Itoa(ports[0]), "BIND_ADDRESS": "127.0.0.1",
			"ADMIN_ADDR": "127.0.0.1:" + strconv.Itoa(ports[1]), "UDP_PORT": strconv.Itoa(ports[2]),
			"PUBLIC_IPV4": "127.0.0.1", "JWT_SECRET": string(clusterSecret),
			"LOG_FORMAT": "json", "LOG_LEVEL": "debug", "DRAIN_TIMEOUT": "0s",
		}
		for k, v := range env {
			node.env[k] = v
		}
		c.Nodes = append(c.Nodes, node)
		t.Cleanup(node.stop)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, node := range c.Nodes {
				t.Logf("node %s log (%d starts):\n%s", node.ID, node.starts, node.logs.tail(48<<10))
			}
		}
	})
	for _, node := range c.Nodes {
		node.Start()
	}
	c.waitPeers(t, c.Nodes)
	return c.Nodes
}

// waitPeers waits until every node of nodes is connected to the broker.
func (c *cluster) waitPeers(t *testing.T, nodes []*clusterNode) {
	t.Helper()
	var ids []string
	for _, n := range nodes {
		ids = append(ids, n.ID)
	}
	var live []string
	var lastErr error
	if !testkit.Eventually(testkit.Patient, func() bool {
		live, lastErr = c.connectedNodes()
		for _, id := range ids {
			if !slices.Contains(live, id) {
				return false
			}
		}
		return lastErr == nil
	}) {
		t.Fatalf("nodes %v not all connected to the broker within %v: connected %v (last error: %v)", ids,
			testkit.Patient, live, lastErr)
	}
}

// node returns the node named id.
func (c *cluster) node(id string) *clusterNode {
	for _, n := range c.Nodes {
		if n.ID == id {
			return n
		}
	}
	c.t.Fatalf("no node %s", id)
	return nil
}

// others returns the nodes other than those named.
func (c *cluster) others(ids ...string) []*clusterNode {
	var out []*clusterNode
	for _, n := range c.Nodes {
		if !slices.Contains(ids, n.ID) {
			out = append(out, n)
		}
	}
	return out
}

// Start starts the node's process and waits until it listens.
func (n *clusterNode) Start() {
	n.t.Helper()
	if n.cmd != nil {
		n.t.Fatalf("node %s is running", n.ID)
	}
	command := serverCommand(n.t)
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range n.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	n.starts++
	n.logs.write(fmt.Appendf(nil, "=== start %d of node %s\n", n.starts, n.ID))
	listening := make(chan string, 1)
	probe := &server{logs: n.logs}
	cmd.Stderr = &lineWriter{onLine: func(line []byte) { probe.logLine(line, listening) }}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	n.cmd, n.exited = cmd, exited
	select {
	case <-listening:
	case <-time.After(testkit.Patient):
		n.t.Fatalf("node %s did not listen within %v:\n%s", n.ID, testkit.Patient, n.logs.tail(16<<10))
	case err := <-exited:
		n.cmd = nil
		n.t.Fatalf("node %s stopped before listening: %v\n%s", n.ID, err, n.logs.tail(16<<10))
	}
}

// Kill kills the node with SIGKILL, as a crash or an OOM kill does, and waits until it is gone.
func (n *clusterNode) Kill() {
	n.t.Helper()
	if n.cmd == nil {
		n.t.Fatalf("node %s is not running", n.ID)
	}
	if err := n.cmd.Process.Kill(); err != nil {
		n.t.Fatal(err)
	}
	<-n.exited
	n.cmd = nil
	n.logs.write(fmt.Appendf(nil, "=== node %s killed (SIGKILL)\n", n.ID))
}

// Restart starts the killed node again on its addresses.
func (n *clusterNode) Restart() {
	n.t.Helper()
	if n.cmd != nil {
		n.Kill()
	}
	n.Start()
}

// Running reports whether the node's process runs.
func (n *clusterNode) Running() bool { return n.cmd != nil }

// stop stops a running node with SIGTERM at the end of the test; it must exit 0.
func (n *clusterNode) stop() {
	if n.cmd == nil {
		return
	}
	if err := stopProcess(n.cmd, n.exited, syscall.SIGTERM, testkit.Patient); err != nil {
		n.t.Errorf("node %s did not stop cleanly on SIGTERM: %v", n.ID, err)
	}
	n.cmd = nil
}

// freeLoopbackPorts returns n distinct ports that are free for TCP and UDP on 127.0.0.1 now. The nodes keep them
// across restarts, so that a restarted node is at its old address.
func freeLoopbackPorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var held []net.Listener
	defer func() {
		for _, l := range held {
			_ = l.Close()
		}
	}()
	for len(ports) < n {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, l)
		p := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		_ = u.Close()
		ports = append(ports, p)
	}
	return ports
}

// bearer signs a token of user for any room with the cluster's secret.
func bearer(t testing.TB, user string) string {
	t.Helper()
	tok, err := auth.SignHS256(clusterSecret, user, "", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// connection is what the broker says of one client connection: its process id and the name the client gave it.
type connection struct {
	PID        string          `json:"pid"`
	Properties json.RawMessage `json:"client_properties"`
}

// queueOwner is what the broker says of one queue: its name and the process id of its exclusive owner's
// connection, if any.
type queueOwner struct {
	Name  string `json:"name"`
	Owner string `json:"owner_pid"`
}

// nodeOfConnection finds the node id in a cluster connection's client properties: its connection_name is
// "live-webrtcsignaling cluster <id>".
var nodeOfConnection = regexp.MustCompile(`"live-webrtcsignaling cluster ([A-Za-z0-9._:-]+)"`)

// roomOwners asks the broker itself which node's connection holds each room's exclusive queue (live.room.<room>):
// the ownership primitive of the cluster, independent of what the nodes say. A room without owner is absent.
func (c *cluster) roomOwners() (map[string]string, error) {
	var conns []connection
	if err := c.ctlJSON(&conns, "list_connections", "pid", "client_properties"); err != nil {
		return nil, err
	}
	nodeOf := make(map[string]string, len(conns))
	for _, conn := range conns {
		if m := nodeOfConnection.FindSubmatch(conn.Properties); m != nil {
			nodeOf[conn.PID] = string(m[1])
		}
	}
	var queues []queueOwner
	if err := c.ctlJSON(&queues, "list_queues", "name", "owner_pid"); err != nil {
		return nil, err
	}
	owners := make(map[string]string)
	for _, q := range queues {
		room, ok := strings.CutPrefix(q.Name, "live.room.")
		if !ok {
			continue
		}
		owner, ok := nodeOf[q.Owner]
		if !ok {
			return nil, fmt.Errorf("queue %s is held by %q, not by a node's connection (%v)", q.Name, q.Owner, conns)
		}
		owners[room] = owner
	}
	return owners, nil
}

// ownerOf waits until room has an owner and returns it.
func (c *cluster) ownerOf(t testing.TB, room string) string {
	t.Helper()
	var owner string
	var lastErr error
	if !testkit.Eventually(testkit.Patient, func() bool {
		owners, err := c.roomOwners()
		lastErr = err
		owner = owners[room]
		return owner != ""
	}) {
		t.Fatalf("room %s has no owner on the broker after %v (last error: %v)", room, testkit.Patient, lastErr)
	}
	return owner
}

// connectedNodes returns the nodes whose cluster connection to the broker is open.
func (c *cluster) connectedNodes() ([]string, error) {
	var conns []connection
	if err := c.ctlJSON(&conns, "list_connections", "pid", "client_properties"); err != nil {
		return nil, err
	}
	var ids []string
	for _, conn := range conns {
		if m := nodeOfConnection.FindSubmatch(conn.Properties); m != nil {
			ids = append(ids, string(m[1]))
		}
	}
	return ids, nil
}

// participantState is what a node's /state says of a participant of a room it owns.
type participantState struct {
	SocketID  string `json:"socketId"`
	Connected bool   `json:"connected"`
}

// nodeState is the part of a node's /state (admin listener) the tests read: the rooms it runs.
type nodeState struct {
	Rooms []struct {
		RoomID       string             `json:"roomId"`
		Participants []participantState `json:"participants"`
	} `json:"rooms"`
}

// state reads the node's /state.
func (n *clusterNode) state() (nodeState, error) {
	var st nodeState
	resp, err := http.Get(n.Admin + "/state")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("GET %s/state: %s", n.Admin, resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// awayOn waits until the owner shows socketID as away (waiting for a reconnect): what is sent to it from then on
// is kept for its reconnect.
func (n *clusterNode) awayOn(t testing.TB, socketID string) {
	t.Helper()
	testkit.WaitFor(t, testkit.Patient, "participant "+socketID+" away on node "+n.ID, func() bool {
		st, err := n.state()
		if err != nil {
			return false
		}
		for _, r := range st.Rooms {
			for _, p := range r.Participants {
				if p.SocketID == socketID {
					return !p.Connected
				}
			}
		}
		return false
	})
}

// claimedAt returns when the node's log last said it claimed room ("cluster: room claimed"), or the zero time.
func (n *clusterNode) claimedAt(room string) time.Time {
	var at time.Time
	for _, line := range strings.Split(n.logs.tail(1<<30), "\n") {
		var entry struct {
			Time   time.Time `json:"time"`
			Msg    string    `json:"msg"`
			RoomID string    `json:"roomId"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "cluster: room claimed" && entry.RoomID == room {
			at = entry.Time
		}
	}
	return at
}

// newOwnerAfterKill waits until the broker shows an owner of room other than dead, killed at killed, and returns
// it with the time from the kill to its claim, from the claiming node's log (the broker's tool is too slow a clock:
// about 1.5 s a call). The test fails when that is over 10 s, the bound.
func (c *cluster) newOwnerAfterKill(t testing.TB, room, dead string, killed time.Time) (string, time.Duration) {
	t.Helper()
	var owner string
	testkit.WaitFor(t, testkit.Patient, "a new owner of "+room+" on the broker", func() bool {
		owners, err := c.roomOwners()
		owner = owners[room]
		return err == nil && owner != "" && owner != dead
	})
	at := c.node(owner).claimedAt(room)
	if at.Before(killed) {
		t.Fatalf("node %s owns %s on the broker but its log has no claim of it since the kill", owner, room)
	}
	took := at.Sub(killed)
	if took > 10*time.Second {
		t.Errorf("node %s claimed %s %v after its owner %s was killed, want within 10 s", owner, room, took, dead)
	}
	return owner, took
}

// ctlJSON runs rabbitmqctl with args and the JSON formatter, and decodes its output into v.
func (c *cluster) ctlJSON(v any, args ...string) error {
	out, err := c.Broker.Ctl(append(args, "--formatter", "json")...)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		return fmt.Errorf("rabbitmqctl %s: %w: %.300s", strings.Join(args, " "), err, out)
	}
	return nil
}
