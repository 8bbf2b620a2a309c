package srtp

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/cmalloc"
)

func TestNoAllocationPerPacket(t *testing.T) {
	for _, p := range testProfiles {
		t.Run(p.String(), func(t *testing.T) {
			out, in := pair(t, p)
			buf := make([]byte, 1200+MaxRTPOverhead)
			copy(buf, rtpPacket{ssrc: 1, extWords: -1, payload: 1188}.build())
			rtcp := make([]byte, 32+MaxRTCPOverhead)
			copy(rtcp, rtcpPacket(1))
			var seq uint16
			var failed error
			allocs := testing.AllocsPerRun(100, func() {
				seq++
				buf[2], buf[3] = byte(seq>>8), byte(seq)
				pkt, err := out.ProtectRTP(buf[:1200])
				if err == nil {
					_, err = in.UnprotectRTP(pkt)
				}
				if err == nil {
					_, err = in.UnprotectRTP(pkt) // a replay: its error must not allocate either
					if errors.Is(err, ErrReplay) {
						err = nil
					}
				}
				if err == nil {
					pkt, err = out.ProtectRTCP(rtcp[:32])
				}
				if err == nil {
					_, err = in.UnprotectRTCP(pkt)
				}
				failed = errors.Join(failed, err)
			})
			if failed != nil {
				t.Fatal(failed)
			}
			if allocs != 0 {
				t.Errorf("%v allocations per packet round, want 0", allocs)
			}
		})
	}
}

// TestConcurrentUseAndClose protects from several goroutines while the context is closed:
// every call either succeeds or reports ErrClosed (run with -race).
func TestConcurrentUseAndClose(t *testing.T) {
	key, salt := masterKey(t, ProfileAEADAES128GCM)
	out, err := NewOutbound(ProfileAEADAES128GCM, key, salt)
	if err != nil {
		t.Fatal(err)
	}
	const workers, packets = 4, 200
	var wg sync.WaitGroup
	errs := make(chan error, workers*packets)
	start := make(chan struct{})
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range packets {
				_, err := out.ProtectRTP(rtpPacket{ssrc: uint32(w), seq: uint16(i), extWords: -1, payload: 100}.build())
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	close(start)
	if err := out.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("concurrent ProtectRTP: %v, want nil or ErrClosed", err)
		}
	}
}

// TestGarbageCollectedContextIsFreed checks the safety net: a context dropped without Close
// is freed and counted once the garbage collector finds it.
func TestGarbageCollectedContextIsFreed(t *testing.T) {
	before := leakedContexts.Load()
	func() {
		key, salt := masterKey(t, ProfileAES128CMHMACSHA1_80)
		if _, err := NewInbound(ProfileAES128CMHMACSHA1_80, key, salt); err != nil {
			t.Fatal(err)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for leakedContexts.Load() == before {
		if time.Now().After(deadline) {
			t.Fatal("the dropped context was not freed by the garbage collector within 10s")
		}
		runtime.GC()
		runtime.Gosched()
	}
}

// residentBytes returns the process's resident set size, from /proc/self/statm, after handing
// the Go heap's free pages back to the system so that what remains is live Go and C memory.
func residentBytes(t *testing.T) int64 {
	t.Helper()
	debug.FreeOSMemory()
	statm, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skipf("no /proc/self/statm: %v", err)
	}
	fields := strings.Fields(string(statm))
	if len(fields) < 2 {
		t.Fatalf("unexpected /proc/self/statm: %q", statm)
	}
	pages, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return pages * int64(os.Getpagesize())
}

func heapBytes() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestCreateCloseKeepsMemoryFlat runs create/use/close cycles and checks that the C heap, the
// Go heap and the resident set do not grow with their number. A context holds 19 KiB (GCM) to
// 30 KiB (CM) of C memory, so leaking anything per cycle shows at once in the C heap. The
// resident set is only checked without the race detector, whose shadow memory grows with
// every Go allocation.
//
// The cycles run on one OS thread: libsrtp's crypto backend (NSS on Debian) keeps some state
// per thread that calls it, a bounded cost that would otherwise read as growth.
func TestCreateCloseKeepsMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("memory measurement skipped in -short mode")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const warmup, cycles = 200, 1000
	cycle := func() {
		for _, p := range testProfiles {
			key, salt := masterKey(t, p)
			out, err := NewOutbound(p, key, salt)
			if err != nil {
				t.Fatal(err)
			}
			in, err := NewInbound(p, key, salt)
			if err != nil {
				t.Fatal(err)
			}
			plain := rtpPacket{ssrc: 5, seq: 5, extWords: -1, payload: 100}.build()
			pkt, err := out.ProtectRTP(clone(plain))
			if err == nil {
				pkt, err = in.UnprotectRTP(pkt)
			}
			if err != nil || !bytes.Equal(pkt, plain) {
				t.Fatalf("round trip: %v", err)
			}
			if err := errors.Join(out.Close(), in.Close()); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range warmup {
		cycle()
	}
	rss, heap, cHeap := residentBytes(t), heapBytes(), cmalloc.InUse()
	for range cycles {
		cycle()
	}
	rssGrowth, heapGrowth, cHeapGrowth := residentBytes(t)-rss, heapBytes()-heap, cmalloc.InUse()-cHeap
	t.Logf("%d create/close cycles (4 contexts each): C heap in use %+d KiB, Go heap %+d KiB, RSS %+d KiB",
		cycles, cHeapGrowth/1024, heapGrowth/1024, rssGrowth/1024)
	if cHeapGrowth > 256<<10 {
		t.Errorf("C heap in use grew by %d KiB over %d cycles", cHeapGrowth/1024, cycles)
	}
	if rssGrowth > 2<<20 && !raceDetector {
		t.Errorf("RSS grew by %d KiB over %d cycles", rssGrowth/1024, cycles)
	}
	if heapGrowth > 256<<10 {
		t.Errorf("Go heap grew by %d KiB over %d cycles", heapGrowth/1024, cycles)
	}
}
