package webrtc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/dtls"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
)

// TestCloseOrder: what was written before Close goes out, then close_notify; the Handler hears the end once.
func TestCloseOrder(t *testing.T) {
	e := newTestEngine(t, nil)
	s, rec := newTestSession(t, e, nil)
	p := newTestPeer(t, s, s.Local().Addrs[0])
	if err := s.SetRemote(p.transport()); err != nil {
		t.Fatal(err)
	}
	p.connect(rec)
	for seq := range uint16(10) {
		if err := s.WriteRTP(rtpPacket(seq, 9, []byte("last media"))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.WriteRTCP(rtcpBye(9)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close() // idempotent
	if err := s.WriteRTCP(rtcpBye(9)); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after Close: %v", err)
	}
	var kinds []transport.Kind
	for {
		b, ok := p.read(waitTimeout)
		if !ok {
			t.Fatalf("no close_notify; got %v", kinds)
		}
		kind := transport.Classify(b)
		kinds = append(kinds, kind)
		if kind != transport.KindDTLS {
			continue
		}
		res, err := p.dtls.HandleDatagram(b)
		if !errors.Is(err, dtls.ErrPeerClosed) {
			t.Fatalf("DTLS datagram after the media: %+v, %v", res, err)
		}
		break
	}
	want := append(bytes.Repeat([]byte{byte(transport.KindRTP)}, 10), byte(transport.KindRTCP), byte(transport.KindDTLS))
	got := make([]byte, len(kinds))
	for i, k := range kinds {
		got[i] = byte(k)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("datagrams in order %v, want 10 RTP, the RTCP BYE, then close_notify", kinds)
	}
	if ev := rec.waitState(t, StateClosed); ev.reason != ReasonClosed {
		t.Fatalf("reason %s", ev.reason)
	}
	waitDone(t, s)
	select {
	case ev := <-rec.states:
		t.Fatalf("OnState called again after the end: %+v", ev)
	default:
	}
}

// TestCloseFromHandler: Close inside a Handler callback does not deadlock.
func TestCloseFromHandler(t *testing.T) {
	e := newTestEngine(t, nil)
	s, rec := newTestSession(t, e, nil)
	rec.mu.Lock()
	rec.hook = func(s *Session, _ []byte, _ time.Time) {
		s.Close()
		s.Close()
	}
	rec.mu.Unlock()
	p := newTestPeer(t, s, s.Local().Addrs[0])
	if err := s.SetRemote(p.transport()); err != nil {
		t.Fatal(err)
	}
	p.connect(rec)
	p.sendRTP(rtpPacket(1, 1, []byte("close, please")))
	waitDone(t, s)
	if s.State() != StateClosed || s.Reason() != ReasonClosed {
		t.Fatalf("%s %s", s.State(), s.Reason())
	}
}

// TestHandlerPanic: a panicking Handler fails its session (internal-error), not the process.
func TestHandlerPanic(t *testing.T) {
	e := newTestEngine(t, nil)
	s, rec := newTestSession(t, e, nil)
	rec.mu.Lock()
	rec.hook = func(*Session, []byte, time.Time) { panic("media bug") }
	rec.mu.Unlock()
	p := newTestPeer(t, s, s.Local().Addrs[0])
	if err := s.SetRemote(p.transport()); err != nil {
		t.Fatal(err)
	}
	p.connect(rec)
	p.sendRTP(rtpPacket(1, 1, []byte("boom")))
	if ev := rec.waitState(t, StateFailed); ev.reason != ReasonInternal {
		t.Fatalf("reason %s", ev.reason)
	}
	waitDone(t, s)
}

// TestEngineClose ends every session with engine-closed and refuses new ones.
func TestEngineClose(t *testing.T) {
	e := newTestEngine(t, nil)
	s, rec := newTestSession(t, e, nil)
	p := newTestPeer(t, s, s.Local().Addrs[0])
	if err := s.SetRemote(p.transport()); err != nil {
		t.Fatal(err)
	}
	p.connect(rec)
	idle, idleRec := newTestSession(t, e, nil)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*recorder{rec, idleRec} {
		if ev := r.waitState(t, StateClosed); ev.reason != ReasonEngineClosed {
			t.Fatalf("reason %s", ev.reason)
		}
	}
	waitDone(t, idle)
	if _, err := e.NewSessionWith(SessionParams{Handler: newRecorder()}); !errors.Is(err, ErrEngineClosed) {
		t.Fatalf("NewSessionWith after Close: %v", err)
	}
	st := e.Stats()
	if st.SessionsClosed != 2 || st.Ended[ReasonEngineClosed] != 2 || st.SessionsNew+st.SessionsChecking+st.SessionsConnected != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestCloseReleasesEverything: goroutines and file descriptors return to their baseline after sessions of every
// kind (connected, checking, new, failed) and the Engine are closed, and no C object is left to the garbage
// collector.
func TestCloseReleasesEverything(t *testing.T) {
	leaks := captureLeakLogs(t)
	runtime.GC()
	goroutines, fds := runtime.NumGoroutine(), openFDs(t)

	cfg := testConfig()
	cfg.ICETimeout = 100 * time.Millisecond
	cfg.Logger = nil // the default, which counts leak reports
	e, err := NewEngineWith(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		s, err := e.NewSessionWith(SessionParams{Handler: newRecorder()})
		if err != nil {
			t.Fatal(err)
		}
		rec := s.handler.(*recorder)
		p := newTestPeer(t, s, s.Local().Addrs[0])
		if err := s.SetRemote(p.transport()); err != nil {
			t.Fatal(err)
		}
		switch i % 4 {
		case 0: // connected, with media both ways, closed by the server
			p.connect(rec)
			p.sendRTP(rtpPacket(1, 1, []byte("x")))
			if err := s.WriteRTP(rtpPacket(1, 2, []byte("y"))); err != nil {
				t.Fatal(err)
			}
			s.Close()
		case 1: // connected, closed by the peer
			p.connect(rec)
			send, err := p.dtls.Close()
			if err != nil {
				t.Fatal(err)
			}
			p.dtls = nil
			p.sendAll(send)
		case 2: // checking, left to the Engine's Close
			p.mustCheck(true)
		case 3: // never checked: ice-timeout
		}
		if i%4 != 2 {
			waitDone(t, s)
		}
		p.close()
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	testkit.WaitGoroutines(t, goroutines, "the sessions")
	if got := openFDs(t); got > fds {
		t.Fatalf("file descriptors %d -> %d", fds, got)
	}
	for range 3 {
		runtime.GC()
		runtime.Gosched()
	}
	if n := leaks(); n != 0 {
		t.Fatalf("%d C objects were freed by the garbage collector instead of Close", n)
	}
}

// openFDs counts the process's open file descriptors.
func openFDs(tb testing.TB) int {
	tb.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Skipf("no /proc: %v", err)
	}
	return len(entries)
}

// leakCounter is a slog.Handler that counts the reports of cgo/dtls and cgo/srtp about C objects freed by the
// garbage collector instead of Close, and passes every record on.
type leakCounter struct {
	slog.Handler
	n *atomic.Int64
}

func (h leakCounter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return leakCounter{h.Handler.WithAttrs(attrs), h.n}
}

func (h leakCounter) WithGroup(name string) slog.Handler {
	return leakCounter{h.Handler.WithGroup(name), h.n}
}

func (h leakCounter) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "garbage") {
		h.n.Add(1)
	}
	return h.Handler.Handle(ctx, r)
}

// captureLeakLogs sends the default logger to a leakCounter for the test and returns the count.
func captureLeakLogs(tb testing.TB) func() int64 {
	var n atomic.Int64
	old := slog.Default()
	slog.SetDefault(slog.New(leakCounter{testConfig().Logger.Handler(), &n}))
	tb.Cleanup(func() { slog.SetDefault(old) })
	return n.Load
}

// TestSessionCycles connects, uses and closes sessions one after the other: goroutines and file descriptors come
// back to their baseline, and the figures (RSS growth, time per cycle) are logged for docs/OPERATIONS.md.
func TestSessionCycles(t *testing.T) {
	if testing.Short() {
		t.Skip("100 sessions")
	}
	const cycles = 100
	e := newTestEngine(t, nil)
	cycle := func() {
		s, err := e.NewSessionWith(SessionParams{Handler: newRecorder()})
		if err != nil {
			t.Fatal(err)
		}
		rec := s.handler.(*recorder)
		p := makeTestPeer(t, s, s.Local().Addrs[0])
		defer p.close()
		if err := s.SetRemote(p.transport()); err != nil {
			t.Fatal(err)
		}
		p.connect(rec)
		p.sendRTP(rtpPacket(1, 1, make([]byte, 1000)))
		<-rec.rtp
		if err := s.WriteRTP(rtpPacket(1, 2, make([]byte, 1000))); err != nil {
			t.Fatal(err)
		}
		if _, ok := p.readMedia(false, waitTimeout); !ok {
			t.Fatal("no media from the session")
		}
		s.Close()
		waitDone(t, s)
	}
	cycle() // warm the pools and the engine
	runtime.GC()
	goroutines, fds, rss := runtime.NumGoroutine(), openFDs(t), residentKiB(t)
	start := time.Now()
	for range cycles {
		cycle()
	}
	elapsed := time.Since(start)
	testkit.WaitGoroutines(t, goroutines, "the sessions")
	if got := openFDs(t); got > fds {
		t.Fatalf("file descriptors %d -> %d after %d sessions", fds, got, cycles)
	}
	runtime.GC()
	t.Logf("%d sessions connected, used and closed in %v (%v each); RSS %d KiB -> %d KiB; live sessions in stats: %d",
		cycles, elapsed.Round(time.Millisecond), (elapsed / cycles).Round(time.Microsecond), rss, residentKiB(t),
		e.Stats().SessionsConnected)
	if st := e.Stats(); st.SessionsNew+st.SessionsChecking+st.SessionsConnected != 0 || st.SessionsClosed != cycles+1 {
		t.Fatalf("stats %+v", st)
	}
}

// residentKiB reads the process's resident set size.
func residentKiB(tb testing.TB) int {
	tb.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kib int
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kib); err != nil {
				tb.Fatal(err)
			}
			return kib
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}
