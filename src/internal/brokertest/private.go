package brokertest

import (
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

	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

// rabbitmqServer is Debian's start script. The /usr/sbin wrappers switch to the rabbitmq user, which fails for a
// node started by root: the test calls the script directly.
const rabbitmqServer = "/usr/lib/rabbitmq/bin/rabbitmq-server"

// rabbitmqctl is Debian's control tool, called directly for the same reason.
const rabbitmqctl = "/usr/lib/rabbitmq/bin/rabbitmqctl"

// brokerTimeout bounds a start or a stop: a start takes 6-9 s on a quiet machine, several times that on a busy one;
// a stop about 1 s.
const brokerTimeout = 90 * time.Second

// PrivateBroker is a RabbitMQ node that one test owns: its own AMQP, distribution and epmd ports, node name and
// state folder, so that stopping it never disturbs the shared broker on 5672, nor another test's. The start script
// runs in a process group of its own; the node's epmd listens on a port of its own (ERL_EPMD_PORT), so that the
// test's end stops it by the pid listening there, without any doubt about whose it is.
type PrivateBroker struct {
	// URL is the guest account's URL; the guest account may connect from loopback only.
	URL string

	t        testing.TB
	dir      string
	env      []string
	addr     string
	epmdPort int
	// script is the running start script, nil while stopped; exited is closed when it has ended.
	script *exec.Cmd
	exited chan struct{}
	// starts counts the starts, to name each one's output file.
	starts int
}

// NewPrivateBroker prepares a node in a fresh folder, ready to Start. It fails the test when rabbitmq-server is
// missing: a broker test must never pass by not running. The test's end stops the node and its epmd.
func NewPrivateBroker(t testing.TB) *PrivateBroker {
	t.Helper()
	if _, err := os.Stat(rabbitmqServer); err != nil {
		t.Fatalf("rabbitmq-server is not installed (%v): run `make test-deps`", err)
	}
	dir := t.TempDir()
	ports := freePorts(t, 3)
	b := &PrivateBroker{t: t, dir: dir, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])), epmdPort: ports[2]}
	b.URL = "amqp://guest:guest@" + b.addr + "/"
	// Every file the node reads or writes is in dir: the machine's /etc/rabbitmq (the shared broker's listener on
	// 5672, its node name) and /var/lib/rabbitmq are never used.
	for name, content := range map[string]string{"rabbitmq.conf": "", "rabbitmq-env.conf": "", "enabled_plugins": "[].\n"} {
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

// Start starts the node on its folder (the state of an earlier run included) and waits until it accepts AMQP.
func (b *PrivateBroker) Start() {
	b.t.Helper()
	if b.script != nil {
		b.t.Fatal("private broker: already running")
	}
	b.starts++
	out, err := os.Create(filepath.Join(b.dir, fmt.Sprintf("server-%d.out", b.starts)))
	if err != nil {
		b.t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(rabbitmqServer)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = b.dir, b.env, out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		b.t.Fatalf("start %s: %v", rabbitmqServer, err)
	}
	exited := make(chan struct{})
	b.script, b.exited = cmd, exited
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	var ended bool
	ready := testkit.Eventually(brokerTimeout, func() bool {
		select {
		case <-exited:
			ended = true
			return true
		default:
		}
		conn, err := amqp.Dial(b.URL)
		if err == nil {
			_ = conn.Close()
		}
		return err == nil
	})
	switch {
	case ended:
		b.script = nil
		b.t.Fatalf("private broker ended while starting:\n%s", tail(out.Name()))
	case !ready:
		b.t.Fatalf("private broker: no AMQP on %s within %v:\n%s", b.addr, brokerTimeout, tail(out.Name()))
	}
}

// Ctl runs rabbitmqctl with args against the node (its name, its cookie) and returns its standard output: what
// the broker itself says of its queues, connections and counters, for tests that check a cluster's state there.
func (b *PrivateBroker) Ctl(args ...string) (string, error) {
	cmd := exec.Command(rabbitmqctl, append([]string{"-q"}, args...)...)
	cmd.Dir, cmd.Env = b.dir, b.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("rabbitmqctl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// Stop stops the node gracefully: TERM to the start script, which stops the node and waits for it; then it waits
// until no process of the script's group is left.
func (b *PrivateBroker) Stop() {
	b.t.Helper()
	if err := b.stop(); err != nil {
		b.t.Fatal(err)
	}
}

func (b *PrivateBroker) stop() error {
	if b.script == nil {
		return errors.New("private broker: not running")
	}
	pgid := b.script.Process.Pid
	if err := b.script.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("private broker: TERM pid %d: %w", pgid, err)
	}
	select {
	case <-b.exited:
	case <-time.After(brokerTimeout):
		return fmt.Errorf("private broker: pid %d still running %v after TERM", pgid, brokerTimeout)
	}
	b.script = nil
	if !testkit.Eventually(brokerTimeout, func() bool { return syscall.Kill(-pgid, 0) != nil }) {
		return fmt.Errorf("private broker: processes of group %d outlived the start script", pgid)
	}
	return nil
}

// cleanup stops the node if it runs, kills what a failed start or stop left of its process group, then stops the
// epmd listening on the node's epmd port: the port was free before the node started, so that epmd is the node's.
func (b *PrivateBroker) cleanup() {
	if b.script != nil {
		pgid := b.script.Process.Pid
		if err := b.stop(); err != nil {
			b.t.Error(err)
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-b.exited
			b.script = nil
		}
	}
	pids, err := listeningPids(b.epmdPort)
	if err != nil {
		b.t.Errorf("private broker: find its epmd: %v", err)
	}
	for _, pid := range pids {
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || strings.TrimSpace(string(comm)) != "epmd" {
			b.t.Errorf("private broker: pid %d listens on the epmd port %d but is not epmd (%q)", pid, b.epmdPort, comm)
			continue
		}
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			b.t.Errorf("private broker: TERM epmd pid %d: %v", pid, err)
		}
	}
}

// freePorts returns n distinct TCP ports free on loopback, chosen below the kernel's ephemeral range: no outgoing
// connection can take one while the broker is stopped, and a dial to a closed one can never connect to itself.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	lowest, highest := 10_000, ephemeralStart()-1
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
	t.Fatalf("no %d free loopback ports in %d-%d", n, lowest, highest)
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

// ephemeralStart is the first port the kernel picks for outgoing connections (32768 when unknown or too low to
// leave room for test ports below it).
func ephemeralStart() int {
	raw, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if f := strings.Fields(string(raw)); err == nil && len(f) == 2 {
		if p, err := strconv.Atoi(f[0]); err == nil && p > 11_000 {
			return p
		}
	}
	return 32768
}

// listeningPids returns the pids holding a socket that listens on TCP port (IPv4 or IPv6).
func listeningPids(port int) ([]int, error) {
	inodes := map[string]bool{}
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
			_, hexPort, _ := strings.Cut(f[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil && int(p) == port {
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
		if target, err := os.Readlink(fd); err == nil && inodes[target] {
			if pid, err := strconv.Atoi(strings.Split(fd, "/")[2]); err == nil && !slices.Contains(pids, pid) {
				pids = append(pids, pid)
			}
		}
	}
	return pids, nil
}

// tail returns the end of a file, for failure messages.
func tail(path string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return string(raw[max(0, len(raw)-3000):])
}
