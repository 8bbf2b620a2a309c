package webrtc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/transport"
)

// queuedPacketClass is the runtime's size class that holds a datagram: what one queued packet may cost.
const queuedPacketClass = 1536

// TestWriteSizes: a connected session sends every packet from a header's size to MaxPacketSize, whose protected
// datagram fits MaxDatagramSize with either profile, and refuses and counts shorter and longer ones.
func TestWriteSizes(t *testing.T) {
	for _, bp := range benchProfiles {
		t.Run(bp.name, func(t *testing.T) {
			e := newTestEngine(t, nil)
			s, rec := newTestSession(t, e, nil)
			p := newTestPeer(t, s, s.Local().Addrs[0], bp.profile)
			if err := s.SetRemote(p.transport()); err != nil {
				t.Fatal(err)
			}
			p.connect(rec)
			tests := []struct {
				name string
				rtcp bool
				size int
				ok   bool
			}{
				{"RTP shorter than its header", false, minRTPSize - 1, false},
				{"RTP header alone", false, minRTPSize, true},
				{"largest RTP", false, MaxPacketSize, true},
				{"RTP one byte too long", false, MaxPacketSize + 1, false},
				{"RTP of 64 KiB", false, 64 << 10, false},
				{"RTCP shorter than its header", true, minRTCPSize - 1, false},
				{"smallest RTCP", true, minRTCPSize, true},
				{"largest RTCP", true, MaxPacketSize, true},
				{"RTCP one byte too long", true, MaxPacketSize + 1, false},
			}
			refused := 0
			for _, tt := range tests {
				pkt := sizedPacket(tt.rtcp, tt.size)
				write := s.WriteRTP
				if tt.rtcp {
					write = s.WriteRTCP
				}
				err := write(pkt)
				if !tt.ok {
					refused++
					if !errors.Is(err, ErrPacketSize) {
						t.Fatalf("%s: %v, want ErrPacketSize", tt.name, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
				got, ok := p.readMedia(tt.rtcp, waitTimeout)
				if !ok || !bytes.Equal(got, pkt) {
					t.Fatalf("%s: the peer got %d bytes (%v), want the %d written", tt.name, len(got), ok, len(pkt))
				}
			}
			st := s.Stats()
			if st.WriteBadSize != uint64(refused) || st.WriteErrors != 0 {
				t.Fatalf("WriteBadSize %d, WriteErrors %d: want %d and 0", st.WriteBadSize, st.WriteErrors, refused)
			}
		})
	}
}

// sizedPacket is an RTP packet (payload type 96) or an RTCP receiver report of size bytes, as far as size allows.
func sizedPacket(rtcp bool, size int) []byte {
	b := make([]byte, size)
	switch {
	case rtcp && size >= minRTCPSize:
		b[0], b[1] = 0x80, 201
		binary.BigEndian.PutUint16(b[2:], uint16(size/4-1))
		binary.BigEndian.PutUint32(b[4:], 0x5555)
	case !rtcp && size >= minRTPSize:
		copy(b, appendRTP(nil, uint16(size), 0x1234, nil)) // one sequence number per size: no replay
	}
	return b
}

// TestFullWriteQueueMemory measures what a full write queue of DefaultWriteQueue packets holds on the heap, as a
// slow listener's session holds it: one size class that fits a datagram per packet, 192 KiB in all.
func TestFullWriteQueueMemory(t *testing.T) {
	perPacket, total := fullQueueHeap(DefaultWriteQueue)
	t.Logf("a full queue of %d packets: %d bytes, %d per packet", DefaultWriteQueue, total, perPacket)
	if perPacket > queuedPacketClass {
		t.Fatalf("%d bytes per queued packet, want at most %d (a datagram is %d bytes)", perPacket,
			queuedPacketClass, transport.MaxDatagramSize)
	}
}

// fullQueueHeap fills a write queue of n packets as WriteRTP does, with fresh buffers (an empty pool, the worst
// case), and returns the heap its packets hold, per packet and in all (the channel adds 8 bytes a slot). Several runs are averaged: other goroutines of the
// test binary allocate too, and a few bytes of theirs per run would otherwise look like the queue's.
func fullQueueHeap(n int) (perPacket, total uint64) {
	const runs = 8
	var sum uint64
	for range runs {
		var before, after runtime.MemStats
		q := make(chan *outPacket, n)
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range n {
			o := new(outPacket)
			o.n = uint16(copy(o.buf[:], "queued"))
			q <- o
		}
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(q)
		sum += after.HeapAlloc - before.HeapAlloc
	}
	total = sum / runs
	return total / uint64(n), total
}

// BenchmarkFullWriteQueue reports the heap of a session's full write queue (DefaultWriteQueue packets) per queue
// and per packet: the memory a slow listener costs at most in its session's queue.
func BenchmarkFullWriteQueue(b *testing.B) {
	var perPacket, total uint64
	for b.Loop() {
		perPacket, total = fullQueueHeap(DefaultWriteQueue)
	}
	b.ReportMetric(float64(total), "B/full-queue")
	b.ReportMetric(float64(perPacket), "B/queued-packet")
}
