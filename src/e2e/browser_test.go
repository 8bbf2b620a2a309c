package e2e

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

const chromium = "/usr/bin/chromium"

// chromiumFlags are those of environment.md that make headless Chromium a WebRTC client with a fake camera and
// microphone on loopback; --user-data-dir and the URL are added per page.
var chromiumFlags = []string{
	"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
	"--autoplay-policy=no-user-gesture-required", allowLoopback,
}

// allowLoopback lets Chromium gather candidates on loopback, which no ordinary browser does.
const allowLoopback = "--allow-loopback-in-peer-connection"

// page describes one reference client page; the zero values are the client's defaults.
type page struct {
	Room, User string
	// Codec forces a video codec (VP8, VP9, H264, AV1).
	Codec string
	// RecvOnly opens neither camera nor microphone.
	RecvOnly bool
	// Bearer is given to the page (in the URL fragment) instead of the dev mode token.
	Bearer string
	// Ordinary runs the page as an ordinary browser does: without --allow-loopback-in-peer-connection, so that it
	// gathers candidates on real interfaces only.
	Ordinary bool
	// Camera is a y4m file the fake camera plays (looped) instead of Chromium's own picture.
	Camera string
	// NoRepair, with Codec, negotiates no repair codec (RTX, RED, FEC) either.
	NoRepair bool
	// Degradation is the published video's degradationPreference (maintain-resolution: Chromium keeps the size
	// when the machine is short of CPU).
	Degradation string
	// Link runs the browser behind a shaped link; the server and the reports are reached at its near address.
	Link *shapedLink
}

// flags are the Chromium flags of the page.
func (p page) flags() []string {
	flags := slices.Clone(chromiumFlags)
	if p.Ordinary {
		flags = slices.DeleteFunc(flags, func(f string) bool { return f == allowLoopback })
	}
	if p.Camera != "" {
		flags = append(flags, "--use-file-for-fake-video-capture="+p.Camera)
	}
	return flags
}

// clientURL is the address of the reference client on base (http://host:port) for p, joining at once and
// reporting to report.
func clientURL(base string, p page, report string) string {
	q := url.Values{"room": {p.Room}, "user": {p.User}, "autojoin": {"1"}, "report": {report}}
	if p.Codec != "" {
		q.Set("codec", p.Codec)
	}
	if p.RecvOnly {
		q.Set("recvonly", "1")
	}
	if p.Degradation != "" {
		q.Set("degradation", p.Degradation)
	}
	if p.NoRepair {
		q.Set("norepair", "1")
	}
	u := base + "/?" + q.Encode()
	if p.Bearer != "" {
		u += "#" + url.Values{"bearer": {p.Bearer}}.Encode()
	}
	return u
}

// startPage opens p from the server at base in its own headless Chromium, posting its reports to reports. The
// browser runs with a fresh profile in its own process group, killed at the end of the test; its output is shown
// when the test failed.
func startPage(t testing.TB, base string, p page, reports *reports) {
	t.Helper()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "chromium.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	reportURL := reports.url(p.User)
	if p.Link != nil {
		base, reportURL = p.Link.reach(base), p.Link.reach(reportURL)
	}
	args := append(append([]string(nil), p.flags()...), "--user-data-dir="+filepath.Join(dir, "profile"),
		clientURL(base, p, reportURL))
	cmd := exec.Command(chromium, args...)
	if p.Link != nil {
		// Behind the link the server is not at 127.0.0.1: the page is a secure context, with its camera, only so.
		args = append([]string{"--unsafely-treat-insecure-origin-as-secure=" + strings.TrimSuffix(base, "/")}, args...)
		cmd = p.Link.Command(chromium, args...)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// The whole group: Chromium's renderer, GPU and utility processes too.
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
			t.Errorf("kill chromium of %s: %v", p.User, err)
		}
		select {
		case <-exited:
		case <-time.After(testkit.Patient):
			t.Errorf("chromium of %s still running %v after SIGKILL", testkit.Patient, p.User)
		}
		if err := logFile.Close(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			if out, err := os.ReadFile(logPath); err == nil {
				t.Logf("chromium output of %s:\n%s", p.User, tailOf(out, 16<<10))
			}
		}
	})
}

func tailOf(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
