package main

import (
	"errors"
	"net"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/congestion"
	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
)

// listener receives one publisher's stream on its peer and measures, for every packet, the time from the
// publisher's send to the packet's arrival in the listener's socket (the kernel's timestamp): the server's
// receive-to-send time plus two loopback traversals.
type listener struct {
	peer     *peer
	clocks   []*sendClock // by publisher index
	counting *atomic.Bool
	// feedback, when the listener negotiated transport-cc (tccID the extension's id), records every packet's
	// transport-wide number and builds the feedback the receive loop sends every 50 ms, as a browser does.
	feedback *congestion.FeedbackRecorder
	tccID    uint8
	start    time.Time
	rtcpBuf  []byte

	// Written by the receive goroutine; read once it has returned.
	latency  *histogram
	received uint64
	// unstamped counts packets without a stamp, a known publisher or a kernel timestamp; failed those that did not
	// decrypt or parse.
	unstamped, failed uint64
	lastError         error
}

func newListener(p *peer, clocks []*sendClock, counting *atomic.Bool) *listener {
	return &listener{peer: p, clocks: clocks, counting: counting, latency: newHistogram(), start: time.Now(),
		rtcpBuf: make([]byte, 0, 1500)}
}

// sendFeedback records the packet's transport-wide number, received at unix nanoseconds at (0: unknown), and sends
// the feedback that is due.
func (l *listener) sendFeedback(h *rtp.Header, at int64) error {
	now := time.Since(l.start)
	if at != 0 {
		now = time.Duration(at - l.start.UnixNano())
	}
	if seq, ok := h.TransportCC(l.tccID); ok {
		l.feedback.Record(seq, now)
	}
	for l.feedback.Due(now) {
		b, ok, err := l.feedback.AppendFeedback(l.rtcpBuf[:0], now)
		if err != nil || !ok {
			return err
		}
		if b, err = l.peer.out.ProtectRTCP(b); err != nil {
			return err
		}
		l.rtcpBuf = b
		if err := l.peer.send(b); err != nil {
			return err
		}
	}
	return nil
}

// receive reads the stream and keeps consent until the socket is closed.
func (l *listener) receive() {
	var pkt rtp.Packet
	for {
		b, at, err := l.peer.read(l.peer.nextConsent)
		if isTimeout(err) {
			if err := l.peer.keepConsent(time.Now()); err != nil {
				l.lastError = err
			}
			continue
		}
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				l.lastError = err
			}
			return
		}
		if transport.Classify(b) != transport.KindRTP {
			continue
		}
		// Every packet is decrypted, counted or not, as a receiver's SRTP context must follow the stream.
		plain, err := l.peer.in.UnprotectRTP(b)
		if err == nil {
			err = pkt.Unmarshal(plain)
		}
		if err == nil && l.feedback != nil {
			if ferr := l.sendFeedback(&pkt.Header, at); ferr != nil {
				l.lastError = ferr
			}
		}
		if !l.counting.Load() {
			continue
		}
		if err != nil {
			l.failed++
			continue
		}
		l.received++
		pub, id, ok := readStamp(pkt.Payload)
		if !ok || int(pub) >= len(l.clocks) || at == 0 {
			l.unstamped++
			continue
		}
		sent, ok := l.clocks[pub].get(id)
		if !ok {
			l.unstamped++
			continue
		}
		l.latency.add(time.Duration(at - sent))
	}
}
