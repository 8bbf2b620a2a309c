package e2e

import (
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// vethLink is a veth pair from the test's namespace to a network namespace of its own, held by a sleeping process
// the test starts: Dev is the near end, Peer the far end, in the far namespace. The caller gives both ends their
// addresses (198.18.0.0/15 or 2001:2::/48, no route beyond), then calls Up. At the end of the test the pair and the
// far namespace are deleted, and the test fails if the interface remains. The reach tests (a LAN interface) and
// the shaped links (a participant's own path) are built on it.
type vethLink struct {
	t         *testing.T
	Dev, Peer string
	pid       string
}

// newVethLink makes the far namespace and the pair dev-peer, peer moved into it.
func newVethLink(t *testing.T, dev, peer string) *vethLink {
	t.Helper()
	v := &vethLink{t: t, Dev: dev, Peer: peer}
	holder := exec.Command("unshare", "--net", "sleep", "infinity")
	holder.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := holder.Start(); err != nil {
		t.Fatalf("start the namespace of %s: %v", dev, err)
	}
	t.Cleanup(func() {
		if _, err := net.InterfaceByName(dev); err == nil {
			run(t, "ip", "link", "del", dev)
		}
		if err := holder.Process.Kill(); err != nil {
			t.Errorf("kill the holder of %s's namespace: %v", dev, err)
		}
		_ = holder.Wait() // killed: its exit status says nothing
		if _, err := net.InterfaceByName(dev); err == nil {
			t.Errorf("%s still exists after the test", dev)
		}
	})
	v.pid = strconv.Itoa(holder.Process.Pid)
	// unshare makes the namespace, then runs sleep: wait until the process's namespace is no longer ours.
	testkit.WaitFor(t, testkit.Patient, "the namespace of "+dev+" exists", func() bool {
		own, err1 := exec.Command("readlink", "/proc/self/ns/net").Output()
		far, err2 := exec.Command("readlink", "/proc/"+v.pid+"/ns/net").Output()
		return err1 == nil && err2 == nil && string(own) != string(far)
	})
	run(t, "ip", "link", "add", dev, "type", "veth", "peer", "name", peer)
	run(t, "ip", "link", "set", peer, "netns", v.pid)
	return v
}

// Up sets both ends (and the far namespace's loopback) up and waits until the near end runs.
func (v *vethLink) Up() {
	v.t.Helper()
	v.far("ip", "link", "set", "lo", "up")
	v.far("ip", "link", "set", v.Peer, "up")
	run(v.t, "ip", "link", "set", v.Dev, "up")
	testkit.WaitFor(v.t, testkit.Patient, v.Dev+" running", func() bool {
		iface, err := net.InterfaceByName(v.Dev)
		return err == nil && iface.Flags&net.FlagRunning != 0
	})
}

// far runs a command in the far namespace and fails the test if it fails.
func (v *vethLink) far(name string, args ...string) {
	v.t.Helper()
	run(v.t, "nsenter", append([]string{"-t", v.pid, "-n", name}, args...)...)
}

// Command is a command that runs in the far namespace, behind the link.
func (v *vethLink) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("nsenter", append([]string{"-t", v.pid, "-n", name}, args...)...)
}
