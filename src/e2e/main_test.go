package e2e

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// envInside marks the copy of the test binary that runs inside the loopback-only namespace.
const envInside = "LIVE_WEBRTCSIGNALING_E2E_NETNS"

// workDir holds what the tests share: the server binary.
var workDir string

func TestMain(m *testing.M) {
	if os.Getenv(envInside) != "1" {
		os.Exit(reexecIsolated())
	}
	if err := checkLoopbackOnly(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	workDir = dir
	code := m.Run()
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
	}
	os.Exit(code)
}

// reexecIsolated runs this test binary again, with the same arguments, inside a new network namespace holding only
// an up loopback, and a new PID namespace so that everything the tests start dies with it. It returns the exit code.
func reexecIsolated() int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: FAIL:", err)
		return 1
	}
	namespace := []string{"--net", "--pid", "--fork", "--mount-proc", "--kill-child"}
	if os.Geteuid() != 0 {
		// Without root, a user namespace (where we are root) lets us make the others.
		namespace = append(namespace, "--map-root-user")
	}
	if out, err := exec.Command("unshare", append(namespace, "true")...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: FAIL: cannot make a loopback-only network namespace (unshare %s true: %v: %s).\n"+
			"The browser tests run only isolated: run them as root or where unprivileged user namespaces are allowed.\n",
			strings.Join(namespace, " "), err, strings.TrimSpace(string(out)))
		return 1
	}
	args := append(namespace, "sh", "-c", `ip link set lo up && exec "$@"`, "sh", self)
	cmd := exec.Command("unshare", append(args, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), envInside+"=1")
	// If go test kills us (timeout), unshare dies too, and --kill-child takes the namespace down with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() >= 0 {
		return exit.ExitCode()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: FAIL: isolated run:", err)
		return 1
	}
	return 0
}

// checkLoopbackOnly makes sure the marker did not lie: the tests may only see a loopback interface.
func checkLoopbackOnly() error {
	ifaces, err := net.Interfaces()
	if err != nil {
		return err
	}
	for _, iface := range ifaces {
		if iface.Flags&net.FlagLoopback == 0 {
			return fmt.Errorf("%s=1 but interface %s is not loopback: refusing to run browser tests outside an isolated "+
				"namespace", envInside, iface.Name)
		}
		if iface.Flags&net.FlagUp == 0 {
			return fmt.Errorf("loopback interface %s is down", iface.Name)
		}
	}
	return nil
}
