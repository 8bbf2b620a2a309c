package main

import (
	"errors"
	"net"
	"sync/atomic"
	"time"

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

	// Written by the receive goroutine; read once it has returned.
	latency  *histogram
	received uint64
	// unstamped counts packets without a stamp, a known publisher or a kernel timestamp; failed those that did not
	// decrypt or parse.
	unstamped, failed uint64
	lastError         error
}

func newListener(p *peer, clocks []*sendClock, counting *atomic.Bool) *listener {
	return &listener{peer: p, clocks: clocks, counting: counting, latency: newHistogram()}
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
