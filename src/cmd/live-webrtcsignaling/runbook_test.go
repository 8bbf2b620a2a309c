package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// runbookMarker precedes, in docs/OPERATIONS.md, every shell block this test runs.
const runbookMarker = "<!-- runbook-test"

// runbookBlocks returns the marked ```sh blocks of docs/OPERATIONS.md.
func runbookBlocks(t *testing.T) []string {
	t.Helper()
	doc, err := os.ReadFile("../../../docs/OPERATIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	lines := strings.Split(string(doc), "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], runbookMarker) {
			continue
		}
		if i+1 >= len(lines) || lines[i+1] != "```sh" {
			t.Fatalf("line %d: the runbook-test marker must be followed by a ```sh block", i+1)
		}
		var block []string
		for i += 2; i < len(lines) && lines[i] != "```"; i++ {
			block = append(block, lines[i])
		}
		blocks = append(blocks, strings.Join(block, "\n"))
	}
	return blocks
}

// serverProcess is the built binary running with its JSON log in a file.
type serverProcess struct {
	cmd           *exec.Cmd
	log           string
	public, admin string
	exited        chan error
}

// startBinary builds the server and runs it with env; the test's end stops it.
func startBinary(t *testing.T, env []string) *serverProcess {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "live-webrtcsignaling")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	s := &serverProcess{cmd: exec.Command(bin), log: logFile.Name(), exited: make(chan error, 1)}
	s.cmd.Env = env
	s.cmd.Stderr = logFile
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.exited <- s.cmd.Wait()
		_ = logFile.Close()
	}()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
	if !testkit.Eventually(testkit.Patient, func() bool { s.readAddresses(t); return s.public != "" }) {
		t.Fatalf("no start line in the log:\n%s", s.logText(t))
	}
	return s
}

func (s *serverProcess) logText(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(s.log)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// readAddresses takes the listeners' addresses from the start line, once it is written.
func (s *serverProcess) readAddresses(t *testing.T) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(s.logText(t)))
	for sc.Scan() {
		var line struct{ Msg, Listen, Admin string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "live-webrtcsignaling started" {
			s.public, s.admin = line.Listen, line.Admin
		}
	}
}

// TestRunbookCommands runs the commands docs/OPERATIONS.md gives the on-call engineer against the real binary, in
// MCU mode with a broker and an admin token, while two participants are in a call: every marked block must succeed.
// journalctl is replaced by the server's own log. Then SIGTERM drains the server.
func TestRunbookCommands(t *testing.T) {
	for _, tool := range []string{"curl", "bash", "grep"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the runbook needs %s on PATH: %v", tool, err)
		}
	}
	blocks := runbookBlocks(t)
	if len(blocks) < 5 {
		t.Fatalf("only %d runbook blocks marked in docs/OPERATIONS.md", len(blocks))
	}
	const token = "runbook-admin-token-0123456789"
	s := startBinary(t, append(os.Environ(), "PORT_NUMBER=0", "ADMIN_ADDR=127.0.0.1:0", "UDP_PORT=0",
		"ADMIN_TOKEN="+token, "RABBITMQ_URL="+brokertest.URL(t), "LOG_FORMAT=json", "DRAIN_TIMEOUT=30s"))

	// A call, and a refused join, for the commands to find.
	alice, bob := dialWS(t, s.public), dialWS(t, s.public)
	alice.join(t, s.public, "runbook-room", "alice")
	bob.join(t, s.public, "runbook-room", "bob")
	intruder := dialWS(t, s.public)
	intruder.send(t, "join", map[string]any{"roomId": "runbook-room", "bearer": "not.a.jwt"})
	if r := intruder.reply(t, "join"); r.E != 1286 {
		t.Fatalf("bad bearer: %v", r)
	}

	// journalctl, as the runbook uses it, reads the server's log here.
	bin := t.TempDir()
	shim := fmt.Sprintf("#!/bin/sh\nexec cat %q\n", s.log)
	if err := os.WriteFile(filepath.Join(bin, "journalctl"), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"ADMIN=http://"+s.admin, "PUBLIC=http://"+s.public, "ADMIN_TOKEN="+token,
		"AUTH=Authorization: Bearer "+token, "USER_ID=alice")
	work := t.TempDir()
	for i, block := range blocks {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", block)
		cmd.Dir, cmd.Env = work, env
		out, err := cmd.CombinedOutput()
		cancel()
		t.Logf("block %d:\n%s", i+1, out)
		if err != nil || len(out) == 0 {
			t.Errorf("runbook block %d failed (%v):\n%s\n--- output:\n%s", i+1, err, block, out)
		}
	}
	log := s.logText(t)
	for _, want := range []string{`"msg":"admin: log level changed","from":"info","to":"debug"`,
		`"msg":"admin: runtime trace started"`, `"msg":"bearer refused"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the server's log lacks %s", want)
		}
	}

	// SIGTERM: /healthz says draining while the call goes on; the call ends, the server exits 0.
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, testkit.Patient, "/healthz to say draining", func() bool {
		resp, err := http.Get("http://" + s.public + "/healthz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	alice.send(t, "leave", nil)
	alice.reply(t, "leave")
	bob.send(t, "leave", nil)
	select {
	case err := <-s.exited:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, s.logText(t))
		}
	case <-time.After(testkit.Patient):
		t.Fatal("the server did not stop after the last leave")
	}
	if log := s.logText(t); !strings.Contains(log, `"msg":"drain: every call has ended"`) ||
		!strings.Contains(log, `"msg":"bus: publisher stopped"`) {
		t.Errorf("drain lines missing:\n%s", log)
	}
}
