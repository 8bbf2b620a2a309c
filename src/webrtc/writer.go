package webrtc

import (
	"errors"
	"runtime/debug"
	"sync"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/srtp"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
)

// MaxPacketSize is the largest RTP or RTCP packet WriteRTP and WriteRTCP take: what fits in one datagram once
// SRTP has appended its tag (and the SRTCP index).
const MaxPacketSize = transport.MaxDatagramSize - srtp.MaxRTCPOverhead

// Smallest packets the writes accept: an RTP fixed header, an RTCP header with its sender SSRC.
const (
	minRTPSize  = 12
	minRTCPSize = 8
)

// outPacket is a packet waiting in the write queue, in a pooled buffer with room for the SRTP tag: a full queue
// of DefaultWriteQueue packets holds 192 KiB. It holds no pointer and fits the runtime's 1,536-byte size class:
// a time.Time (which points to its Location) would make it 1,544 bytes with the allocation header that objects
// with pointers get, hence 1,792 bytes per packet, and the garbage collector would scan every queued buffer.
type outPacket struct {
	buf [transport.MaxDatagramSize]byte // first, so that the packet starts 8-byte aligned as libsrtp requires
	// received is when the packet it forwards arrived (ForwardRTP), on the monotonic clock since clockBase.
	received  time.Duration
	n         uint16
	rtcp      bool
	forwarded bool // ForwardRTP: the writer counts the forwarding latency
}

// clockBase is the origin of outPacket.received.
var clockBase = time.Now()

var outPool = sync.Pool{New: func() any { return new(outPacket) }}

func getOutPacket() *outPacket {
	o, ok := outPool.Get().(*outPacket)
	if !ok {
		return new(outPacket)
	}
	return o
}

// WriteRTP queues one RTP packet (header and payload, unprotected) to be protected and sent. It copies pkt and
// never blocks: it returns ErrQueueFull, ErrNotConnected or ErrClosed when the packet is dropped (and counted),
// ErrPacketSize (counted too) for a packet shorter than an RTP header or longer than MaxPacketSize.
func (s *Session) WriteRTP(pkt []byte) error { return s.write(pkt, false, time.Time{}) }

// ForwardRTP is WriteRTP for a copy of a packet another session received at received (the time its Handler's
// OnRTP got): once the copy is on the socket, the time since received is counted in Counters.Forwarding.
func (s *Session) ForwardRTP(pkt []byte, received time.Time) error {
	return s.write(pkt, false, received)
}

// WriteRTCP queues one RTCP packet (simple or compound, unprotected), like WriteRTP.
func (s *Session) WriteRTCP(pkt []byte) error { return s.write(pkt, true, time.Time{}) }

func (s *Session) write(pkt []byte, rtcp bool, received time.Time) error {
	shortest := minRTPSize
	if rtcp {
		shortest = minRTCPSize
	}
	if len(pkt) < shortest || len(pkt) > MaxPacketSize {
		s.stats.writeBadSize.Add(1)
		return ErrPacketSize
	}
	if s.closing.Load() {
		s.stats.writeNotConnected.Add(1)
		return ErrClosed
	}
	if s.outbound.Load() == nil {
		s.stats.writeNotConnected.Add(1)
		return ErrNotConnected
	}
	o := getOutPacket()
	o.n = uint16(copy(o.buf[:], pkt))
	o.rtcp = rtcp
	o.forwarded = !received.IsZero()
	if o.forwarded {
		o.received = received.Sub(clockBase)
	}
	select {
	case s.writeQ <- o:
		return nil
	default:
		outPool.Put(o)
		s.stats.writeQueueFull.Add(1)
		return ErrQueueFull
	}
}

// runWriter is the writer goroutine: it protects and sends the queued packets until told to stop, then sends what
// is still queued and returns.
func (s *Session) runWriter() {
	defer close(s.writerDone)
	defer func() {
		if r := recover(); r != nil {
			s.logger.Error("webrtc: panic in session writer", "panic", r, "stack", string(debug.Stack()))
			s.writerPanic <- struct{}{}
		}
	}()
	for {
		select {
		case o := <-s.writeQ:
			if p := s.pacing.Load(); p != nil && !o.rtcp {
				if s.runPaced(p.p, o) {
					return
				}
				continue
			}
			s.send(o)
		case <-s.writerStop:
			for {
				select {
				case o := <-s.writeQ:
					s.send(o)
				default:
					return
				}
			}
		}
	}
}

// send protects one packet and sends it to the selected address.
func (s *Session) send(o *outPacket) {
	defer outPool.Put(o)
	out, dst := s.outbound.Load(), s.selected.Load()
	if out == nil || dst == nil {
		s.stats.writeNotConnected.Add(1)
		return
	}
	var pkt []byte
	var err error
	if o.rtcp {
		pkt, err = out.ProtectRTCP(o.buf[:o.n])
	} else {
		pkt, err = out.ProtectRTP(o.buf[:o.n])
	}
	if err == nil {
		err = s.ep.WriteTo(pkt, *dst)
	}
	if err != nil {
		if s.stats.writeErrors.Add(1) == 1 && !errors.Is(err, transport.ErrClosed) {
			s.logger.Warn("webrtc: send failed (logged once per session)", "rtcp", o.rtcp, "err", err)
		}
		return
	}
	if o.rtcp {
		s.stats.rtcpOut.Add(1)
	} else {
		s.stats.rtpOut.Add(1)
	}
	s.stats.mediaBytesOut.Add(uint64(len(pkt)))
	if o.forwarded {
		s.stats.forwarding.Observe(time.Since(clockBase) - o.received)
	}
}
