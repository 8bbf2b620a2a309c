package bus_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// rabbitmqServer is Debian's start script. The /usr/sbin wrappers switch to the rabbitmq user, which fails for a
// node started by root: the test calls the script directly.
const rabbitmqServer = "/usr/lib/rabbitmq/bin/rabbitmq-server"

const (
	// brokerStartTimeout bounds a start: 6-9 s on a quiet machine, several times that when the machine is busy.
	brokerStartTimeout = 60 * time.Second
	// brokerStopTimeout bounds a stop: about 1 s for a node this small.
	brokerStopTimeout = 30 * time.Second
)

// privateBroker is a RabbitMQ node that one test owns: its own AMQP, distribution and epmd ports, its own node name
// and its own state folder. Stopping it never disturbs the shared broker on 5672, nor another test's.
//
// Its epmd listens on a port of its own (ERL_EPMD_PORT) rather than the shared 4369: the node starts it, and the
// test stops it afterwards by the pid listening on that port, without any doubt about whose it is.
type privateBroker struct {
	t        testing.TB
	dir      string
	env      []string
	amqpAddr string
	epmdPort int
	// url is the guest account's URL; the guest account may connect from loopback only.
	url string

	// script is the running start script, nil while stopped. It forwards TERM to the node and waits for it.
	script *exec.Cmd
	// exited is closed when script has ended, with its result in waitErr.
	exited  chan struct{}
	waitErr error
	// node is the Erlang VM's pid, from the pid file; 0 when unknown or known to have ended.
	node int
	// starts counts the starts, to name each one's output file.
	starts int
}

// newPrivateBroker prepares a node in a fresh folder, ready to start. It fails the test when rabbitmq-server is
// missing: a broker test must never pass by not running. Cleanup stops the node and its epmd, killing by pid
// whatever a failed start or stop left running.
func newPrivateBroker(t testing.TB) *privateBroker {
	t.Helper()
	if _, err := os.Stat(rabbitmqServer); err != nil {
		t.Fatalf("rabbitmq-server is not installed (%v): run `make test-deps`", err)
	}
	dir := t.TempDir()
	ports := freePorts(t, 3)
	b := &privateBroker{
		t:        t,
		dir:      dir,
		amqpAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])),
		epmdPort: ports[2],
	}
	b.url = "amqp://guest:guest@" + b.amqpAddr + "/"
	// Every file the node reads or writes is in dir: the machine's /etc/rabbitmq (the shared broker's listener on
	// 5672, its node name) and /var/lib/rabbitmq are never used.
	files := map[string]string{
		"rabbitmq.conf":     "# A test node: its listener comes from RABBITMQ_NODE_IP_ADDRESS and RABBITMQ_NODE_PORT.\n",
		"rabbitmq-env.conf": "",
		"enabled_plugins":   "[].\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir, // the Erlang cookie
		fmt.Sprintf("RABBITMQ_NODENAME=lws-test-%d-%d@localhost", os.Getpid(), ports[0]),
		"RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
		"RABBITMQ_NODE_PORT=" + strconv.Itoa(ports[0]),
		"RABBITMQ_DIST_PORT=" + strconv.Itoa(ports[1]),
		"RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}",
		"ERL_EPMD_ADDRESS=127.0.0.1",
		"ERL_EPMD_PORT=" + strconv.Itoa(b.epmdPort),
		"RABBITMQ_MNESIA_BASE=" + filepath.Join(dir, "mnesia"),
		"RABBITMQ_LOG_BASE=" + filepath.Join(dir, "log"),
		"RABBITMQ_PID_FILE=" + filepath.Join(dir, "rabbit.pid"),
		"RABBITMQ_CONFIG_FILE=" + filepath.Join(dir, "rabbitmq.conf"),
		"RABBITMQ_ADVANCED_CONFIG_FILE=" + filepath.Join(dir, "advanced.config"),
		"RABBITMQ_CONF_ENV_FILE=" + filepath.Join(dir, "rabbitmq-env.conf"),
		"RABBITMQ_ENABLED_PLUGINS_FILE=" + filepath.Join(dir, "enabled_plugins"),
	}
	t.Cleanup(b.cleanup)
	return b
}

// start starts the node on its folder (the state of an earlier run included) and waits until it accepts AMQP.
func (b *privateBroker) start() {
	b.t.Helper()
	if b.script != nil {
		b.t.Fatal("private broker: already running")
	}
	b.starts++
	// The node writes its pid file once started: a stale one would name a process that is not ours.
	pidFile := filepath.Join(b.dir, "rabbit.pid")
	if err := os.Remove(pidFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		b.t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(b.dir, fmt.Sprintf("server-%d.out", b.starts)))
	if err != nil {
		b.t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(rabbitmqServer)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = b.dir, b.env, out, out
	if err := cmd.Start(); err != nil {
		b.t.Fatalf("start %s: %v", rabbitmqServer, err)
	}
	b.script, b.exited = cmd, make(chan struct{})
	go func() {
		b.waitErr = cmd.Wait()
		close(b.exited)
	}()
	b.waitReady(out.Name())
	pid, err := readPidFile(pidFile)
	if err != nil {
		b.t.Fatalf("private broker: %v", err)
	}
	b.node = pid
}

// waitReady dials until the node completes an AMQP handshake, failing the test when the deadline passes or the
// node ends first.
func (b *privateBroker) waitReady(outFile string) {
	b.t.Helper()
	deadline := time.Now().Add(brokerStartTimeout)
	for {
		select {
		case <-b.exited:
			b.script = nil
			b.t.Fatalf("private broker ended while starting (%v):\n%s", b.waitErr, tail(outFile))
		default:
		}
		if c, err := net.DialTimeout("tcp", b.amqpAddr, time.Second); err == nil {
			_ = c.Close()
			conn, err := amqp.Dial(b.url)
			if err == nil {
				_ = conn.Close()
				return
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("private broker: no AMQP on %s within %v:\n%s", b.amqpAddr, brokerStartTimeout, tail(outFile))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends TERM to the start script, which stops the node gracefully and waits for it, and waits for both to end.
// When they do not end in time, it kills them before failing the test.
func (b *privateBroker) stop() {
	b.t.Helper()
	if err := b.stopWithin(brokerStopTimeout); err != nil {
		b.kill()
		b.t.Fatal(err)
	}
}

// stopWithin is stop without the kill: on an error, the script or the node may still run.
func (b *privateBroker) stopWithin(timeout time.Duration) error {
	if b.script == nil {
		return errors.New("private broker: not running")
	}
	if err := b.script.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("private broker: TERM pid %d: %w", b.script.Process.Pid, err)
	}
	select {
	case <-b.exited:
	case <-time.After(timeout):
		return fmt.Errorf("private broker: pid %d still running %v after TERM", b.script.Process.Pid, timeout)
	}
	b.script = nil
	if b.node > 0 {
		if err := waitProcessEnd(b.node, timeout); err != nil {
			return fmt.Errorf("private broker: the node outlived its start script: %w", err)
		}
		b.node = 0
	}
	return nil
}

// cleanup stops the node if it runs, kills by pid what a failed start or stop left running (the script, the node),
// then stops the epmd the node started.
func (b *privateBroker) cleanup() {
	if b.script != nil {
		if err := b.stopWithin(brokerStopTimeout); err != nil {
			b.t.Error(err)
		}
	}
	b.kill()
	b.stopEpmd()
}

// kill sends KILL, by pid, to the script, its children and the node when they still run; it does nothing after a
// clean stop.
func (b *privateBroker) kill() {
	var pids []int
	if b.script != nil {
		// The script's child is the node (a subshell that execs erl, then beam.smp), even before the node writes
		// its pid file; or, early in a start, a short-lived helper of the script.
		children, err := childPids(b.script.Process.Pid)
		if err != nil {
			b.t.Errorf("private broker: children of the start script: %v", err)
		}
		pids = children
		_ = b.script.Process.Kill()
		<-b.exited
		b.script = nil
	}
	if b.node > 0 && !slices.Contains(pids, b.node) {
		pids = append(pids, b.node)
	}
	b.node = 0
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			b.t.Errorf("private broker: KILL pid %d: %v", pid, err)
			continue
		}
		if err := waitProcessEnd(pid, brokerStopTimeout); err != nil {
			b.t.Errorf("private broker: %v", err)
		}
	}
}

// stopEpmd stops the epmd listening on the node's private epmd port. The port was free before the node started,
// so whatever epmd listens there now is the one the node started.
func (b *privateBroker) stopEpmd() {
	pids, err := listeningPids(b.epmdPort)
	if err != nil {
		b.t.Errorf("private broker: find its epmd: %v", err)
		return
	}
	for _, pid := range pids {
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || strings.TrimSpace(string(comm)) != "epmd" {
			b.t.Errorf("private broker: pid %d listens on the epmd port %d but is not epmd (%q)", pid, b.epmdPort, comm)
			continue
		}
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
			b.t.Errorf("private broker: TERM epmd pid %d: %v", pid, err)
			continue
		}
		if err := waitProcessEnd(pid, brokerStopTimeout); err != nil {
			b.t.Errorf("private broker: epmd: %v", err)
		}
	}
}

// freePorts returns n distinct TCP ports free on loopback, chosen below the kernel's ephemeral range: no outgoing
// connection can take one while the broker is stopped, and a dial to a closed one can never connect to itself.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	const lowest = 10_000
	highest := ephemeralPortStart() - 1
	if highest-lowest < 1000 {
		t.Fatalf("the ephemeral port range starts at %d: no room for test ports below it", highest+1)
	}
	var ports []int
	for range 1000 {
		if len(ports) == n {
			return ports
		}
		p := lowest + rand.IntN(highest-lowest+1)
		if !slices.Contains(ports, p) && portFree(p) {
			ports = append(ports, p)
		}
	}
	t.Fatalf("no %d free loopback ports found in %d-%d", n, lowest, highest)
	return nil
}

// portFree reports whether p can be listened on at 127.0.0.1 and, where IPv6 exists, [::1] (epmd listens on both).
func portFree(p int) bool {
	l4, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		return false
	}
	defer l4.Close()
	l6, err := net.Listen("tcp6", net.JoinHostPort("::1", strconv.Itoa(p)))
	if err != nil {
		return !errors.Is(err, syscall.EADDRINUSE)
	}
	_ = l6.Close()
	return true
}

// ephemeralPortStart is the first port the kernel picks for outgoing connections (32768 when unknown).
func ephemeralPortStart() int {
	raw, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	fields := strings.Fields(string(raw))
	if len(fields) != 2 {
		return 32768
	}
	p, err := strconv.Atoi(fields[0])
	if err != nil {
		return 32768
	}
	return p
}

// listeningPids returns the pids holding a socket that listens on TCP port (IPv4 or IPv6).
func listeningPids(port int) ([]int, error) {
	inodes := make(map[string]bool)
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		raw, err := os.ReadFile(table)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(string(raw), "\n")[1:] {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, ok := strings.Cut(f[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); ok && err == nil && int(p) == port {
				inodes["socket:["+f[9]+"]"] = true
			}
		}
	}
	if len(inodes) == 0 {
		return nil, nil
	}
	fds, err := filepath.Glob("/proc/[0-9]*/fd/[0-9]*")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, fd := range fds {
		target, err := os.Readlink(fd)
		if err != nil || !inodes[target] {
			continue // also a process or fd gone meanwhile
		}
		pid, err := strconv.Atoi(strings.Split(fd, "/")[2])
		if err == nil && !slices.Contains(pids, pid) {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// childPids returns the pids whose parent is pid.
func childPids(pid int) ([]int, error) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return nil, err
	}
	var children []int
	for _, path := range stats {
		stat, err := os.ReadFile(path)
		if err != nil {
			continue // a process gone meanwhile
		}
		// After the command name, in parentheses: the state, then the parent's pid.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 2 || f[1] != strconv.Itoa(pid) {
			continue
		}
		if child, err := strconv.Atoi(strings.Split(path, "/")[2]); err == nil {
			children = append(children, child)
		}
	}
	return children, nil
}

// waitProcessEnd waits until pid has ended: gone, or a zombie that its parent has yet to reap.
func waitProcessEnd(pid int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return nil
		}
		// The state follows the command name, which is in parentheses and may itself hold any character.
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pid %d still running after %v", pid, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readPidFile(path string) (int, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pid file %s holds %q", path, raw)
	}
	return pid, nil
}

// tail returns the end of a file, for failure messages.
func tail(path string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	const keep = 3000
	if len(raw) > keep {
		raw = raw[len(raw)-keep:]
	}
	return string(raw)
}
