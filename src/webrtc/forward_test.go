package webrtc

import (
	"bytes"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// connectedPair returns a session and its peer, connected.
func connectedPair(t *testing.T, e *Engine) (*Session, *testPeer, *recorder) {
	t.Helper()
	s, rec := newTestSession(t, e, nil)
	p := newTestPeer(t, s, s.Local().Addrs[0])
	if err := s.SetRemote(p.transport()); err != nil {
		t.Fatal(err)
	}
	p.connect(rec)
	return s, p, rec
}

// TestForwardingLatency forwards packets from one session to another as the media plane does: the Handler gets
// each packet's receive time, ForwardRTP carries it, and the listener's writer counts the time from receive to the
// socket write. Packets of WriteRTP are the session's own and count nothing.
func TestForwardingLatency(t *testing.T) {
	e := newTestEngine(t, nil)
	pub, pubPeer, pubRec := connectedPair(t, e)
	lis, lisPeer, _ := connectedPair(t, e)

	type arrival struct{ received, handled time.Time }
	arrivals := make(chan arrival, 16)
	pubRec.mu.Lock()
	pubRec.hook = func(_ *Session, pkt []byte, received time.Time) {
		arrivals <- arrival{received, time.Now()}
		if err := lis.ForwardRTP(pkt, received); err != nil {
			t.Errorf("ForwardRTP: %v", err)
		}
	}
	pubRec.mu.Unlock()

	const n = 10
	var elapsed time.Duration
	for seq := range uint16(n) {
		sent := rtpPacket(seq, 0x1111, []byte("forwarded"))
		start := time.Now()
		pubPeer.sendRTP(rtpPacket(seq, 0x1111, []byte("forwarded")))
		got, ok := lisPeer.readMedia(false, waitTimeout)
		elapsed += time.Since(start)
		if !ok || !bytes.Equal(got, sent) {
			t.Fatalf("packet %d: listener's peer got % x (%v), want % x", seq, got, ok, sent)
		}
		a := <-arrivals
		if a.received.Before(start) || a.handled.Before(a.received) {
			t.Fatalf("packet %d: received %v, not between its send %v and its handling %v", seq, a.received, start,
				a.handled)
		}
	}
	testkit.WaitFor(t, waitTimeout, "every forwarded packet counted", func() bool { return lis.Stats().Forwarding.Total() == n })
	h := lis.Stats().Forwarding
	if h.Sum <= 0 || h.Sum > elapsed {
		t.Fatalf("sum of forwarding latencies %v, want above 0 and at most the %v from sends to receipts", h.Sum,
			elapsed)
	}
	if q := h.Quantile(1); q > h.UpperBound(ForwardingBuckets-2) {
		t.Fatalf("maximum latency in the last bucket (%v): %+v", q, h)
	}

	if err := pub.WriteRTP(rtpPacket(1, 0x2222, []byte("own packet"))); err != nil {
		t.Fatal(err)
	}
	if _, ok := pubPeer.readMedia(false, waitTimeout); !ok {
		t.Fatal("the publisher's own packet was not sent")
	}
	testkit.WaitFor(t, waitTimeout, "own packet sent", func() bool { return pub.Stats().RTPOut == 1 })
	if got := pub.Stats().Forwarding.Total(); got != 0 {
		t.Fatalf("WriteRTP counted %d forwarding latencies", got)
	}

	lis.Close()
	waitDone(t, lis)
	if got := e.Stats().Forwarding; got.Total() != n || got.Sum != h.Sum {
		t.Fatalf("engine totals after the listener ended: %d packets, sum %v; want %d, %v", got.Total(), got.Sum,
			n, h.Sum)
	}
}
