package webrtc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/dtls"
	"github.com/heytribe/live-webrtcsignaling/cgo/srtp"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// TestSRTPBothWays connects a peer with each SRTP profile offer and sends RTP and RTCP both ways.
func TestSRTPBothWays(t *testing.T) {
	tests := []struct {
		name     string
		offered  []dtls.SRTPProfile
		expected srtp.Profile
	}{
		{"AES-CM only", []dtls.SRTPProfile{dtls.SRTPAES128CMHMACSHA1_80}, srtp.ProfileAES128CMHMACSHA1_80},
		{"AES-GCM only", []dtls.SRTPProfile{dtls.SRTPAEADAES128GCM}, srtp.ProfileAEADAES128GCM},
		{"both, AES-CM first: the server prefers AES-GCM",
			[]dtls.SRTPProfile{dtls.SRTPAES128CMHMACSHA1_80, dtls.SRTPAEADAES128GCM}, srtp.ProfileAEADAES128GCM},
	}
	e := newTestEngine(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, rec := newTestSession(t, e, nil)
			p := newTestPeer(t, s, s.Local().Addrs[0], tt.offered...)
			if err := s.SetRemote(p.transport()); err != nil {
				t.Fatal(err)
			}
			p.connect(rec)
			if got := s.Stats().SRTPProfile; got != tt.expected.String() {
				t.Fatalf("profile %s, want %s", got, tt.expected)
			}

			// peer -> server
			for seq := range uint16(20) {
				p.sendRTP(rtpPacket(seq, 0x1111, []byte("hello from the peer")))
			}
			for seq := range uint16(20) {
				select {
				case pkt := <-rec.rtp:
					if got := binary.BigEndian.Uint16(pkt[2:]); got != seq || !bytes.HasSuffix(pkt, []byte("hello from the peer")) {
						t.Fatalf("packet %d: seq %d, % x", seq, got, pkt)
					}
				case <-time.After(waitTimeout):
					t.Fatalf("packet %d not delivered", seq)
				}
			}
			bye := rtcpBye(0x1111)
			b, err := p.out.ProtectRTCP(bye)
			if err != nil {
				t.Fatal(err)
			}
			p.send(b)
			select {
			case pkt := <-rec.rtcp:
				if !bytes.Equal(pkt, rtcpBye(0x1111)) {
					t.Fatalf("RTCP % x", pkt)
				}
			case <-time.After(waitTimeout):
				t.Fatal("RTCP not delivered")
			}

			// server -> peer
			sent := rtpPacket(7, 0x2222, []byte("hello from the server"))
			if err := s.WriteRTP(sent); err != nil {
				t.Fatal(err)
			}
			got, ok := p.readMedia(false, waitTimeout)
			if !ok || !bytes.Equal(got, sent) {
				t.Fatalf("peer got % x (%v), want % x", got, ok, sent)
			}
			if err := s.WriteRTCP(rtcpBye(0x2222)); err != nil {
				t.Fatal(err)
			}
			got, ok = p.readMedia(true, waitTimeout)
			if !ok || !bytes.Equal(got, rtcpBye(0x2222)) {
				t.Fatalf("peer got RTCP % x (%v)", got, ok)
			}
			testkit.WaitFor(t, waitTimeout, "counters", func() bool {
				st := s.Stats()
				return st.RTPIn == 20 && st.RTCPIn == 1 && st.RTPOut == 1 && st.RTCPOut == 1 && st.State == StateConnected
			})
		})
	}
}

// TestWritesBeforeConnected are refused and counted.
func TestWritesBeforeConnected(t *testing.T) {
	e := newTestEngine(t, nil)
	s, _ := newTestSession(t, e, nil)
	if err := s.WriteRTP(rtpPacket(1, 1, nil)); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("WriteRTP: %v", err)
	}
	if err := s.WriteRTCP(rtcpBye(1)); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("WriteRTCP: %v", err)
	}
	for _, size := range []int{0, 11, MaxPacketSize + 1} {
		if err := s.WriteRTP(make([]byte, size)); !errors.Is(err, ErrPacketSize) {
			t.Fatalf("WriteRTP of %d bytes: %v", size, err)
		}
	}
	if n := s.Stats().WriteNotConnected; n != 2 {
		t.Fatalf("WriteNotConnected = %d", n)
	}
}

// TestGarbageFlood: random datagrams of every kind, from the connected peer's own address and from strangers,
// change nothing but counters: the session stays connected and media still flows both ways.
func TestGarbageFlood(t *testing.T) {
	e := newTestEngine(t, nil)
	s, rec := newTestSession(t, e, nil)
	p := newTestPeer(t, s, s.Local().Addrs[0])
	if err := s.SetRemote(p.transport()); err != nil {
		t.Fatal(err)
	}
	p.connect(rec)
	stranger := listenLike(t, p.server)
	defer stranger.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	const perSender = 3000
	buf := make([]byte, 1200)
	for i := range 2 * perSender {
		b := buf[:1+rng.IntN(len(buf))]
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		if i%4 == 0 { // make sure every kind is exercised often: STUN, DTLS, SRTP and SRTCP first bytes
			b[0] = []byte{0, 1, 22, 23, 128, 129}[i/4%6]
			if b[0] >= 128 && len(b) > 1 && i%8 == 0 {
				b[1] = 200 // RTCP
			}
		}
		if i%2 == 0 {
			p.send(b)
		} else if _, err := stranger.WriteToUDPAddrPort(b, p.server); err != nil {
			t.Fatal(err)
		}
		if i%200 == 0 {
			time.Sleep(time.Millisecond) // let the session drain its queue: the test is about content, not rate
		}
	}
	// The peer goes on sending, as media does: a packet that meets a queue still full of the flood is dropped, as
	// UDP may be, and a later one must get through.
	seq := uint16(1000)
	p.sendRTP(rtpPacket(seq, 0x77, []byte("still there?")))
	deadline := time.After(waitTimeout)
	resend := time.NewTicker(20 * time.Millisecond)
	defer resend.Stop()
	for delivered := false; !delivered; {
		select {
		case pkt := <-rec.rtp:
			delivered = bytes.HasSuffix(pkt, []byte("still there?"))
		case <-resend.C:
			seq++
			p.sendRTP(rtpPacket(seq, 0x77, []byte("still there?")))
		case <-deadline:
			t.Fatal("media from the peer lost after the flood")
		}
	}
	sent := rtpPacket(5, 0x78, []byte("and back"))
	if err := s.WriteRTP(sent); err != nil {
		t.Fatal(err)
	}
	if got, ok := p.readMedia(false, waitTimeout); !ok || !bytes.Equal(got, sent) {
		t.Fatalf("media to the peer after the flood: % x (%v)", got, ok)
	}
	if st := s.State(); st != StateConnected {
		t.Fatalf("state %s (%s) after the flood", st, s.Reason())
	}
	st, ts := s.Stats(), e.Stats().Transport
	dropped := st.STUNMalformed + st.SRTPAuth + st.SRTPReplay + st.SRTPOther + st.DTLSIn
	if dropped == 0 || ts.DropUnknownSource+ts.DropUnknownUfrag+ts.DropUnknownKind == 0 {
		t.Fatalf("flood not counted: session %+v transport %+v", st.Counters, ts)
	}
	t.Logf("session counters %+v; transport %+v", st.Counters, ts)
}

// TestWriteQueueFull: a full write queue drops and counts, and never blocks the writer's caller.
func TestWriteQueueFull(t *testing.T) {
	e := newTestEngine(t, func(c *Config) { c.WriteQueue = 1 })
	s, rec := newTestSession(t, e, nil)
	p := newTestPeer(t, s, s.Local().Addrs[0])
	if err := s.SetRemote(p.transport()); err != nil {
		t.Fatal(err)
	}
	p.connect(rec)
	pkt := rtpPacket(1, 1, make([]byte, 1000))
	var full uint64
	for seq := range 5000 {
		pkt[2], pkt[3] = byte(seq>>8), byte(seq)
		switch err := s.WriteRTP(pkt); {
		case errors.Is(err, ErrQueueFull):
			full++
		case err != nil:
			t.Fatal(err)
		}
	}
	if full == 0 {
		t.Fatal("5000 writes into a queue of 1 never found it full")
	}
	if got := s.Stats().WriteQueueFull; got != full {
		t.Fatalf("WriteQueueFull = %d, %d writes refused", got, full)
	}
}
