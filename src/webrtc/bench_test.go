package webrtc

import (
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/dtls"
	"github.com/heytribe/live-webrtcsignaling/src/histogram"
)

// benchSession returns a session connected with the given SRTP profile.
func benchSession(b *testing.B, profile dtls.SRTPProfile) (*Session, *testPeer, *recorder) {
	b.Helper()
	e := newTestEngine(b, func(c *Config) { c.WriteQueue = 1024 })
	s, rec := newTestSession(b, e, nil)
	p := newTestPeer(b, s, s.Local().Addrs[0], profile)
	if err := s.SetRemote(p.transport()); err != nil {
		b.Fatal(err)
	}
	p.connect(rec)
	return s, p, rec
}

var benchProfiles = []struct {
	name    string
	profile dtls.SRTPProfile
}{
	{"AES-GCM", dtls.SRTPAEADAES128GCM},
	{"AES-CM", dtls.SRTPAES128CMHMACSHA1_80},
}

// BenchmarkWriteRTP is the write path at its sustained rate: WriteRTP (copy into a pooled buffer, queue), then the
// writer's protection and sendto, for 1,100-byte packets. A full queue makes the caller yield and retry, so ns/op is
// the writer's time per packet. The peer does not read: the kernel drops what it receives. The forward cases use
// ForwardRTP, whose writer also reads the clock and counts the forwarding latency. The paced cases go through a
// Pacing whose rate never holds a packet back: the pacer's queues, its clock reads and the Sending call.
func BenchmarkWriteRTP(b *testing.B) {
	for _, bp := range benchProfiles {
		for _, c := range []struct {
			name           string
			forward, paced bool
		}{{"", false, false}, {"/forward", true, false}, {"/forward/paced", true, true}} {
			b.Run(bp.name+c.name, func(b *testing.B) { benchmarkWrite(b, bp.profile, c.forward, c.paced) })
		}
	}
}

func benchmarkWrite(b *testing.B, profile dtls.SRTPProfile, forward, paced bool) {
	s, _, _ := benchSession(b, profile)
	if paced {
		p := &testPacing{bps: 1 << 36}
		p.once.Do(func() {}) // no probe
		s.SetPacing(p)
	}
	pkt := rtpPacket(0, 0x1234, make([]byte, 1100-12))
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	seq := uint16(0)
	received := time.Now()
	for b.Loop() {
		seq++
		pkt[2], pkt[3] = byte(seq>>8), byte(seq)
		for {
			var err error
			if forward {
				err = s.ForwardRTP(pkt, received)
			} else {
				err = s.WriteRTP(pkt)
			}
			if err == nil {
				break
			}
			if !errors.Is(err, ErrQueueFull) {
				b.Fatal(err)
			}
			runtime.Gosched()
		}
	}
	sent := func() uint64 { st := s.Stats(); return st.RTPOut + st.WriteErrors }
	for deadline := time.Now().Add(waitTimeout); sent() < uint64(b.N); {
		if time.Now().After(deadline) {
			b.Fatalf("stats %+v", s.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	if st := s.Stats(); st.WriteErrors != 0 {
		b.Fatalf("write errors: %+v", st)
	}
}

// BenchmarkReceiveRTP is the receive path: the peer protects and sends 1,100-byte packets; the transport routes
// them, the session unprotects them and calls the Handler. ns/op includes the peer's protection and sendto.
func BenchmarkReceiveRTP(b *testing.B) {
	for _, bp := range benchProfiles {
		b.Run(bp.name, func(b *testing.B) {
			s, p, rec := benchSession(b, bp.profile)
			done := make(chan struct{}, 1)
			rec.mu.Lock()
			rec.hook = func(*Session, []byte, time.Time) { done <- struct{}{} }
			rec.mu.Unlock()
			rec.drop = true
			payload := make([]byte, 1100-12)
			b.SetBytes(int64(12 + len(payload)))
			b.ReportAllocs()
			buf := make([]byte, 0, 1500)
			seq := uint16(0)
			for b.Loop() {
				seq++
				p.sendRTP(appendRTP(buf[:0], seq, 0x4321, payload))
				<-done
			}
			if st := s.Stats(); st.SRTPAuth+st.SRTPReplay+st.SRTPOther != 0 {
				b.Fatalf("stats %+v", st)
			}
		})
	}
}

// BenchmarkForwardingLatency is what the writer adds per forwarded packet: a clock read and the histogram's update.
func BenchmarkForwardingLatency(b *testing.B) {
	c := histogram.NewCounter(ForwardingUnit, ForwardingBuckets)
	received := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		c.Observe(time.Since(received))
	}
	if c.Snapshot().Total() == 0 {
		b.Fatal("nothing counted")
	}
}
