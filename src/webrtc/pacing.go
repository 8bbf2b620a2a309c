package webrtc

import (
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/congestion"
)

// Pacing is what a session's owner tells its writer to pace the RTP it sends (SetPacing): packets wait in a
// congestion.Pacer and leave at a multiple of the owner's estimate, so that a keyframe's burst is spread instead of
// overflowing the receiver's bottleneck. Every method runs on the writer goroutine and must not block.
type Pacing interface {
	// Class is the pacing class of an RTP packet written with WriteRTP or ForwardRTP.
	Class(pkt []byte) congestion.Class
	// Bitrate is the estimate, in bit/s, the packets are paced at.
	Bitrate(now time.Time) uint64
	// Sending is called for each RTP packet as it leaves, paced, before it is protected: it may rewrite the
	// packet's header extension values in place (a transport-wide sequence number, abs-send-time), not its length.
	Sending(pkt []byte, now time.Time)
	// Probe writes into buf a probe packet (padding) to send at now, and returns its length, 0 for none, and when
	// to ask again (the zero time when no probe is planned). Sending is called for it too.
	Probe(buf []byte, now time.Time) (n int, wake time.Time)
	// Dropped is called for each RTP packet refused by the pacer's full queue.
	Dropped()
}

// SetPacing makes the writer pace the RTP packets written from now on through p (nil is ignored). Call it once,
// before the session connects: the writer takes it at the first RTP packet.
func (s *Session) SetPacing(p Pacing) {
	if p != nil {
		s.pacing.Store(&pacingBox{p: p})
	}
}

type pacingBox struct{ p Pacing }

// minPacingWait bounds the writer's wake-ups whatever the pacer and the prober say. pacingBurst is the pacer's
// burst: a video frame of a few packets leaves at once (at a 1 Mbit/s estimate, paced at 2.5 Mbit/s, 3 kB), a
// keyframe, many times larger, is spread.
const (
	minPacingWait = 100 * time.Microsecond
	pacingBurst   = 10 * time.Millisecond
)

// pacedWriter is the writer loop once pacing is set: RTCP leaves at once, RTP through the pacer.
type pacedWriter struct {
	s     *Session
	p     Pacing
	pacer *congestion.Pacer[*outPacket]
	timer *time.Timer
}

// runPaced runs the writer with pacing from the packet first on, until the writer is told to stop. It returns
// false, first sent and pacing dropped, when it cannot pace (never expected: the pacer's configuration is constant).
func (s *Session) runPaced(p Pacing, first *outPacket) bool {
	pacer, err := congestion.NewPacerWith[*outPacket](congestion.PacerConfig{Burst: pacingBurst})
	if err != nil {
		s.logger.Error("webrtc: pacer not made, sending unpaced", "err", err)
		s.pacing.Store(nil)
		s.send(first)
		return false
	}
	w := &pacedWriter{s: s, p: p, pacer: pacer, timer: time.NewTimer(time.Hour)}
	w.timer.Stop()
	defer w.timer.Stop()
	w.enqueue(first, time.Now())
	for {
		now := time.Now()
		if wait, ok := w.flush(now); ok {
			w.timer.Reset(max(wait, minPacingWait))
		}
		select {
		case o := <-s.writeQ:
			w.enqueue(o, time.Now())
		case <-w.timer.C:
		case <-s.writerStop:
			w.drain()
			return true
		}
		w.timer.Stop()
	}
}

// enqueue sends an RTCP packet at once and queues an RTP packet in the pacer, dropping it when the pacer is full.
func (w *pacedWriter) enqueue(o *outPacket, now time.Time) {
	if o.rtcp {
		w.s.send(o)
		return
	}
	pkt := o.buf[:o.n]
	if !w.pacer.Enqueue(o, len(pkt), w.p.Class(pkt), now.Sub(clockBase)) {
		outPool.Put(o)
		w.s.stats.writePacerDrops.Add(1)
		w.p.Dropped()
	}
}

// flush sends the packets and probes due at now, and returns how long until the next is due (ok false: none is
// planned).
func (w *pacedWriter) flush(now time.Time) (wait time.Duration, ok bool) {
	at := now.Sub(clockBase)
	w.pacer.SetEstimate(w.p.Bitrate(now))
	for o, _, popped := w.pacer.Pop(at); popped; o, _, popped = w.pacer.Pop(at) {
		w.p.Sending(o.buf[:o.n], now)
		w.s.send(o)
	}
	var wake time.Time
	for {
		o := getOutPacket()
		n, next := w.p.Probe(o.buf[:MaxPacketSize], now)
		if n < minRTPSize || n > MaxPacketSize {
			outPool.Put(o)
			wake = next
			break
		}
		o.n, o.rtcp, o.forwarded = uint16(n), false, false
		w.p.Sending(o.buf[:n], now)
		w.s.send(o)
		w.pacer.Charge(n, at)
	}
	next, queued := w.pacer.NextSendTime(at)
	switch {
	case queued && !wake.IsZero():
		return min(next-at, wake.Sub(now)), true
	case queued:
		return next - at, true
	case !wake.IsZero():
		return wake.Sub(now), true
	}
	return 0, false
}

// drain sends what the pacer and the queue hold, unpaced: the session is ending.
func (w *pacedWriter) drain() {
	now := time.Now()
	w.pacer.SetEstimate(1 << 40)
	for o, _, ok := w.pacer.Pop(time.Duration(1 << 62)); ok; o, _, ok = w.pacer.Pop(time.Duration(1 << 62)) {
		w.p.Sending(o.buf[:o.n], now)
		w.s.send(o)
	}
	for {
		select {
		case o := <-w.s.writeQ:
			if !o.rtcp {
				w.p.Sending(o.buf[:o.n], now)
			}
			w.s.send(o)
		default:
			return
		}
	}
}
