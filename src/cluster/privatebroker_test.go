package cluster

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

	amqp "github.com/rabbitmq/amqp091-go"
)

// rabbitmqServer is Debian's start script; the /usr/sbin wrapper switches to the rabbitmq user, which fails for a
// node started by root.
const rabbitmqServer = "/usr/lib/rabbitmq/bin/rabbitmq-server"

// brokerStartTimeout bounds a start: 6-9 s on a quiet machine, several times that on a busy one.
const brokerStartTimeout = 90 * time.Second

// privateBroker is a RabbitMQ node of one test: its own ports (AMQP, distribution, epmd), node name and state
// folder, so that stopping it never disturbs the shared broker on 5672. The start script runs in a process group
// of its own, and the test ends the node, the script and the node's epmd by their pids.
type privateBroker struct {
	t        testing.TB
	dir      string
	env      []string
	url      string
	addr     string
	epmdPort int
	script   *exec.Cmd
	exited   chan struct{}
	starts   int
}

func newPrivateBroker(t testing.TB) *privateBroker {
	t.Helper()
	if _, err := os.Stat(rabbitmqServer); err != nil {
		t.Fatalf("rabbitmq-server is not installed (%v): run `make test-deps`", err)
	}
	dir := t.TempDir()
	ports := freePorts(t, 3)
	b := &privateBroker{t: t, dir: dir, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])), epmdPort: ports[2]}
	b.url = "amqp://guest:guest@" + b.addr + "/"
	for name, content := range map[string]string{"rabbitmq.conf": "", "rabbitmq-env.conf": "", "enabled_plugins": "[].\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		fmt.Sprintf("RABBITMQ_NODENAME=lws-cluster-%d-%d@localhost", os.Getpid(), ports[0]),
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

// start starts the node and waits until it accepts AMQP.
func (b *privateBroker) start() {
	b.t.Helper()
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
	b.script, b.exited = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(b.exited)
	}()
	deadline := time.Now().Add(brokerStartTimeout)
	for {
		if conn, err := amqp.Dial(b.url); err == nil {
			_ = conn.Close()
			return
		}
		select {
		case <-b.exited:
			b.t.Fatalf("private broker ended while starting:\n%s", tailOf(out.Name()))
		default:
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("private broker: no AMQP on %s within %v:\n%s", b.addr, brokerStartTimeout, tailOf(out.Name()))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop stops the node gracefully (TERM to the start script, which stops the node and waits for it).
func (b *privateBroker) stop() {
	b.t.Helper()
	if err := b.script.Process.Signal(syscall.SIGTERM); err != nil {
		b.t.Fatalf("TERM the private broker: %v", err)
	}
	select {
	case <-b.exited:
	case <-time.After(brokerStartTimeout):
		b.t.Fatal("private broker still running after TERM")
	}
	b.waitGroupGone(b.script.Process.Pid)
	b.script = nil
}

// waitGroupGone waits until no process of the group pgid is left (the node runs in the script's group).
func (b *privateBroker) waitGroupGone(pgid int) {
	b.t.Helper()
	deadline := time.Now().Add(brokerStartTimeout)
	for syscall.Kill(-pgid, 0) == nil {
		if time.Now().After(deadline) {
			b.t.Fatalf("processes of group %d still running", pgid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cleanup kills what is left of the node's process group, then the epmd listening on the node's epmd port.
func (b *privateBroker) cleanup() {
	if b.script != nil {
		pgid := b.script.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-b.exited
		b.script = nil
	}
	pids, err := listeningPids(b.epmdPort)
	if err != nil {
		b.t.Errorf("find the private epmd: %v", err)
	}
	for _, pid := range pids {
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || strings.TrimSpace(string(comm)) != "epmd" {
			b.t.Errorf("pid %d listens on the private epmd port %d but is not epmd (%q)", pid, b.epmdPort, comm)
			continue
		}
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			b.t.Errorf("TERM epmd %d: %v", pid, err)
		}
	}
}

// freePorts returns n distinct free loopback ports below the kernel's ephemeral range, so that no outgoing
// connection takes one while the broker is stopped.
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
	t.Fatalf("no %d free ports in %d-%d", n, lowest, highest)
	return nil
}

// portFree reports whether p is free on 127.0.0.1 and, where IPv6 exists, ::1 (epmd listens on both).
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

func ephemeralStart() int {
	raw, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if f := strings.Fields(string(raw)); err == nil && len(f) == 2 {
		if p, err := strconv.Atoi(f[0]); err == nil && p > 11_000 {
			return p
		}
	}
	return 32768
}

// listeningPids returns the pids holding a socket that listens on TCP port.
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

func tailOf(path string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return string(raw[max(0, len(raw)-3000):])
}
