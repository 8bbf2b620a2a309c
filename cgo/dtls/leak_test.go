package dtls

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/cgo/cmalloc"
)

// leakCycles is the number of measured create/handshake/close cycles.
const leakCycles = 1000

// noTcache turns off glibc's per-thread cache of freed chunks, which malloc's statistics count as in use: with
// it, the C heap figure wanders by up to a few hundred KiB as cgo calls hop over threads.
const noTcache = "glibc.malloc.tcache_count=0"

// TestMemoryFlatOverHandshakeCycles runs create/handshake/close cycles and checks that neither the C heap
// (malloc's bytes in use, exact: a leak of 8 bytes per cycle fails), the process's resident memory nor the Go heap
// grows. RSS moves with allocator fragmentation and the race detector's shadow memory, hence its loose bound; a
// pair of endpoints never freed adds about 150 KiB per cycle, 150 MiB in all. The test runs itself again in a
// child process started with noTcache.
func TestMemoryFlatOverHandshakeCycles(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 handshakes: not in -short")
	}
	if os.Getenv("GLIBC_TUNABLES") != noTcache {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryFlatOverHandshakeCycles$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "GLIBC_TUNABLES="+noTcache)
		out, err := cmd.CombinedOutput()
		t.Logf("child process:\n%s", out)
		if err != nil || !strings.Contains(string(out), "--- PASS: TestMemoryFlatOverHandshakeCycles") {
			t.Fatalf("child process: %v", err)
		}
		return
	}
	// One OS thread for every OpenSSL call: OpenSSL allocates some state per thread (error queue, random
	// generators) once, which would look like growth each time Go moved the test to a new thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c := newTestContext(t, Config{})
	stranger := newTestContext(t, Config{}).Fingerprint()
	cycle := func(n int) {
		for i := range n {
			// Every fourth handshake fails on the fingerprint, so that error paths are measured too.
			var err error
			if i%4 == 3 {
				err = failedHandshakeCycle(c, stranger)
			} else {
				err = handshakeCycle(c)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	cycle(100) // warm up allocator arenas and OpenSSL's lazily built tables
	rss0, heap0 := memoryUse(t)
	c0 := cmalloc.InUse()
	cycle(leakCycles)
	rss1, heap1 := memoryUse(t)
	c1 := cmalloc.InUse()
	t.Logf("after %d cycles: C heap %d -> %d KiB (%+d B), RSS %d -> %d KiB (%+d KiB), Go heap %d -> %d KiB (%+d KiB)",
		leakCycles, c0>>10, c1>>10, c1-c0, rss0>>10, rss1>>10, (rss1-rss0)>>10, heap0>>10, heap1>>10, (heap1-heap0)>>10)
	if c1-c0 > 8<<10 {
		t.Errorf("C heap grew by %d bytes over %d cycles", c1-c0, leakCycles)
	}
	if rss1-rss0 > 32<<20 {
		t.Errorf("RSS grew by %d KiB over %d cycles", (rss1-rss0)>>10, leakCycles)
	}
	if heap1-heap0 > 1<<20 {
		t.Errorf("Go heap grew by %d KiB over %d cycles", (heap1-heap0)>>10, leakCycles)
	}
}

// handshakeCycle creates two endpoints, completes a handshake with keys and application data, and closes both.
func handshakeCycle(c *Context) error {
	client, err := c.NewEndpointWith(EndpointParams{Role: RoleClient, RemoteFingerprints: []Fingerprint{c.Fingerprint()}})
	if err != nil {
		return err
	}
	server, err := c.NewEndpointWith(EndpointParams{Role: RoleServer, RemoteFingerprints: []Fingerprint{c.Fingerprint()}})
	if err != nil {
		return err
	}
	err = handshakeInMemory(client, server, &link{mtu: DefaultMTU})
	if err == nil {
		_, err = client.SRTPKeys()
	}
	if err == nil {
		var send [][]byte
		if send, err = client.Write([]byte("ping")); err == nil {
			_, err = server.HandleDatagram(send[0])
		}
	}
	closeNotify, cErr := client.Close()
	if cErr == nil && len(closeNotify) > 0 {
		_, cErr = server.HandleDatagram(closeNotify[0])
		if errors.Is(cErr, ErrPeerClosed) {
			cErr = nil
		}
	}
	_, sErr := server.Close()
	if err != nil || cErr != nil || sErr != nil {
		return fmt.Errorf("cycle: %v; client close: %v; server close: %v", err, cErr, sErr)
	}
	return nil
}

// failedHandshakeCycle runs a handshake whose client expects another certificate, and closes both endpoints.
func failedHandshakeCycle(c *Context, wrong Fingerprint) error {
	client, err := c.NewEndpointWith(EndpointParams{Role: RoleClient, RemoteFingerprints: []Fingerprint{wrong}})
	if err != nil {
		return err
	}
	server, err := c.NewEndpointWith(EndpointParams{Role: RoleServer, RemoteFingerprints: []Fingerprint{c.Fingerprint()}})
	if err != nil {
		return err
	}
	err = handshakeInMemory(client, server, &link{mtu: DefaultMTU})
	_, cErr := client.Close()
	_, sErr := server.Close()
	if !errors.Is(err, ErrFingerprintMismatch) || cErr != nil || sErr != nil {
		return fmt.Errorf("failing cycle: %v; client close: %v; server close: %v", err, cErr, sErr)
	}
	return nil
}

// memoryUse returns the resident set size and the live Go heap, after a full collection.
func memoryUse(t *testing.T) (rss, heap int64) {
	t.Helper()
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	}()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kib << 10, int64(ms.HeapAlloc)
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0, 0
}
