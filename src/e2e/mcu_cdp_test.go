package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// drivenPage is a headless Chromium whose page the test drives over the DevTools protocol (JSON over a websocket,
// https://chromedevtools.github.io/devtools-protocol/): it can run a script in every document before the page's
// own (Page.addScriptToEvaluateOnNewDocument), navigate, and evaluate expressions. The MCU tests use it to press
// the client's buttons (leave, join) and to time the first decoded frame.
type drivenPage struct {
	t    testing.TB
	user string
	conn *websocket.Conn

	writeMu sync.Mutex
	mu      sync.Mutex
	nextID  int64
	waiting map[int64]chan cdpReply
	readErr error
	done    chan struct{}
}

// cdpReply is the answer to one command.
type cdpReply struct {
	ID     int64           `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// cdpWait bounds one DevTools command.
const cdpWait = 30 * time.Second

// startDrivenPage runs a headless Chromium (the harness's flags, a fresh profile, its own process group, killed at
// the end of the test) on about:blank with the DevTools protocol on a free loopback port, and connects to its page.
// user names it in failures.
func startDrivenPage(t testing.TB, user string) *drivenPage {
	t.Helper()
	dir := t.TempDir()
	profile := filepath.Join(dir, "profile")
	logPath := filepath.Join(dir, "chromium.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	args := append(append([]string(nil), chromiumFlags...), "--user-data-dir="+profile,
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank")
	cmd := exec.Command(chromium, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	p := &drivenPage{t: t, user: user, waiting: make(map[int64]chan cdpReply), done: make(chan struct{})}
	t.Cleanup(func() {
		if p.conn != nil {
			_ = p.conn.Close()
			<-p.done
		}
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
			t.Errorf("kill chromium of %s: %v", user, err)
		}
		select {
		case <-exited:
		case <-time.After(testkit.Patient):
			t.Errorf("chromium of %s still running %v after SIGKILL", testkit.Patient, user)
		}
		if err := logFile.Close(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			if out, err := os.ReadFile(logPath); err == nil {
				t.Logf("chromium output of %s:\n%s", user, tailOf(out, 16<<10))
			}
		}
	})
	port := devToolsPort(t, profile, exited)
	target := pageTarget(t, port)
	conn, resp, err := websocket.DefaultDialer.Dial(target, nil)
	if err != nil {
		t.Fatalf("DevTools of %s: %v", user, err)
	}
	_ = resp.Body.Close()
	p.conn = conn
	go p.readLoop()
	// Without the Page domain enabled, Chromium 156 ran no script added with addScript.
	p.call("Page.enable", map[string]any{})
	return p
}

// devToolsPort waits for Chromium to write the port it chose to DevToolsActivePort in its profile.
func devToolsPort(t testing.TB, profile string, exited <-chan error) int {
	t.Helper()
	deadline := time.After(firstMediaTimeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(filepath.Join(profile, "DevToolsActivePort")); err == nil {
			first, _, _ := strings.Cut(string(b), "\n")
			if port, err := strconv.Atoi(first); err == nil && port > 0 {
				return port
			}
		}
		select {
		case <-tick.C:
		case err := <-exited:
			t.Fatalf("chromium exited before opening DevTools: %v", err)
		case <-deadline:
			t.Fatalf("chromium wrote no DevToolsActivePort within %s", firstMediaTimeout)
		}
	}
}

// pageTarget returns the DevTools websocket of the browser's one page.
func pageTarget(t testing.TB, port int) string {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/json/list", port))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var targets []struct {
		Type                 string `json:"type"`
		WebSocketDebuggerURL string `json:"webSocketDebuggerUrl"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&targets); err != nil {
		t.Fatalf("DevTools /json/list: %v", err)
	}
	for _, target := range targets {
		if target.Type == "page" && target.WebSocketDebuggerURL != "" {
			return target.WebSocketDebuggerURL
		}
	}
	t.Fatalf("DevTools lists no page: %+v", targets)
	return ""
}

// readLoop hands each reply to its command; events are not used.
func (p *drivenPage) readLoop() {
	defer close(p.done)
	for {
		var r cdpReply
		if err := p.conn.ReadJSON(&r); err != nil {
			p.mu.Lock()
			p.readErr = err
			for id, ch := range p.waiting {
				close(ch)
				delete(p.waiting, id)
			}
			p.mu.Unlock()
			return
		}
		p.mu.Lock()
		ch := p.waiting[r.ID]
		delete(p.waiting, r.ID)
		p.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
}

// call sends a command and returns its result, failing the test on an error.
func (p *drivenPage) call(method string, params any) json.RawMessage {
	p.t.Helper()
	p.mu.Lock()
	if p.readErr != nil {
		p.mu.Unlock()
		p.t.Fatalf("DevTools of %s: %s: connection lost: %v", p.user, method, p.readErr)
	}
	p.nextID++
	id := p.nextID
	ch := make(chan cdpReply, 1)
	p.waiting[id] = ch
	p.mu.Unlock()
	p.writeMu.Lock()
	err := p.conn.WriteJSON(map[string]any{"id": id, "method": method, "params": params})
	p.writeMu.Unlock()
	if err != nil {
		p.t.Fatalf("DevTools of %s: %s: %v", p.user, method, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			p.t.Fatalf("DevTools of %s: %s: connection lost", p.user, method)
		}
		if r.Error != nil {
			p.t.Fatalf("DevTools of %s: %s: %d %s", p.user, method, r.Error.Code, r.Error.Message)
		}
		return r.Result
	case <-time.After(cdpWait):
		p.t.Fatalf("DevTools of %s: %s: no answer within %s", p.user, method, cdpWait)
		return nil
	}
}

// addScript runs source in every document the page loads from now on, before the document's own scripts.
func (p *drivenPage) addScript(source string) {
	p.t.Helper()
	p.call("Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": source})
}

// navigate loads url.
func (p *drivenPage) navigate(url string) {
	p.t.Helper()
	var res struct {
		ErrorText string `json:"errorText"`
	}
	if err := json.Unmarshal(p.call("Page.navigate", map[string]any{"url": url}), &res); err != nil ||
		res.ErrorText != "" {
		p.t.Fatalf("navigate %s to %s: %v %s", p.user, url, err, res.ErrorText)
	}
}

// eval evaluates expression in the page (awaiting a promise) and decodes its JSON value into out (nil: ignored).
func (p *drivenPage) eval(expression string, out any) {
	p.t.Helper()
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	raw := p.call("Runtime.evaluate", map[string]any{"expression": expression, "awaitPromise": true,
		"returnByValue": true})
	if err := json.Unmarshal(raw, &res); err != nil {
		p.t.Fatalf("evaluate in %s: %v", p.user, err)
	}
	if e := res.ExceptionDetails; e != nil {
		p.t.Fatalf("evaluate %q in %s: %s %s", expression, p.user, e.Text, e.Exception.Description)
	}
	if out != nil && len(bytes.TrimSpace(res.Result.Value)) > 0 {
		if err := json.Unmarshal(res.Result.Value, out); err != nil {
			p.t.Fatalf("evaluate %q in %s: result %s: %v", expression, p.user, res.Result.Value, err)
		}
	}
}
