package srtp

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/srtp/internal/cbench"
)

const benchPacketLen = 1200

// rusageThread is Linux's RUSAGE_THREAD, which package syscall does not name.
const rusageThread = 1

// threadCPU returns the CPU time (user and system) the calling OS thread has used.
func threadCPU(b *testing.B) time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &usage); err != nil {
		b.Fatal(err)
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

// BenchmarkProtectUnprotectRTP protects then unprotects 1,200-byte RTP packets through this
// package ("go") and through a plain C loop calling libsrtp directly ("c", the limit), for
// each profile. Both run on one locked OS thread, interleaved in chunks so that they share the
// machine's conditions, and each is charged the CPU time its chunks used: on a shared machine
// wall time also counts the time other processes held the core. One op is one round trip of
// each; the metrics are go and c round trips per CPU second and go as a percentage of c.
func BenchmarkProtectUnprotectRTP(b *testing.B) {
	const chunk = 1000
	for _, p := range testProfiles {
		b.Run(p.String(), func(b *testing.B) {
			out, in := pair(b, p)
			buf := make([]byte, benchPacketLen+MaxRTPOverhead)
			copy(buf, rtpPacket{ssrc: 1, extWords: -1, payload: benchPacketLen - rtpHeaderLen}.build())
			loop, err := cbench.NewLoop(uint16(p), benchPacketLen)
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				if err := loop.Close(); err != nil {
					b.Error(err)
				}
			}()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.SetBytes(2 * benchPacketLen)
			b.ReportAllocs()
			b.ResetTimer()
			var goCPU, cCPU time.Duration
			var seq uint16
			for done := 0; done < b.N; done += chunk {
				n := min(chunk, b.N-done)
				start := threadCPU(b)
				for range n {
					seq++
					buf[2], buf[3] = byte(seq>>8), byte(seq)
					pkt, err := out.ProtectRTP(buf[:benchPacketLen])
					if err != nil {
						b.Fatal(err)
					}
					if _, err := in.UnprotectRTP(pkt); err != nil {
						b.Fatal(err)
					}
				}
				middle := threadCPU(b)
				if err := loop.Run(n); err != nil {
					b.Fatal(err)
				}
				goCPU, cCPU = goCPU+middle-start, cCPU+threadCPU(b)-middle
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/goCPU.Seconds(), "go-pkts/cpu-s")
			b.ReportMetric(float64(b.N)/cCPU.Seconds(), "c-pkts/cpu-s")
			b.ReportMetric(100*cCPU.Seconds()/goCPU.Seconds(), "go/c-%")
		})
	}
}

// BenchmarkUnprotectReplay measures recognising a replayed packet, the common inbound failure.
func BenchmarkUnprotectReplay(b *testing.B) {
	for _, p := range testProfiles {
		b.Run(p.String(), func(b *testing.B) {
			out, in := pair(b, p)
			plain := rtpPacket{ssrc: 1, seq: 1, extWords: -1, payload: benchPacketLen - rtpHeaderLen}.build()
			protected, err := out.ProtectRTP(plain)
			if err != nil {
				b.Fatal(err)
			}
			replayed := clone(protected)
			if _, err := in.UnprotectRTP(protected); err != nil {
				b.Fatal(err)
			}
			buf := clone(replayed)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				copy(buf, replayed)
				if _, err := in.UnprotectRTP(buf[:len(replayed)]); err == nil {
					b.Fatal("replayed packet accepted")
				}
			}
		})
	}
}
