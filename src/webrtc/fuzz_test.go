package webrtc

import (
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/stun"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
)

// FuzzSession sends arbitrary datagrams to a connected session from its peer's address: as they are, or, for
// RTP and RTCP, protected with the peer's SRTP keys so that they reach the Handler. Each input is followed by a
// valid check, whose answer proves the input was handled. No input may end the session (a panic, or a forged DTLS
// record that the association would take for the peer's), nor stop it answering.
func FuzzSession(f *testing.F) {
	e := newTestEngine(f, nil)
	s, rec := newTestSession(f, e, nil)
	p := newTestPeer(f, s, s.Local().Addrs[0])
	if err := s.SetRemote(p.transport()); err != nil {
		f.Fatal(err)
	}
	p.connect(rec)
	id, err := stun.NewTransactionID()
	if err != nil {
		f.Fatal(err)
	}
	check, err := stun.AppendBindingRequest(nil, id, p.serverUfrag+":"+p.ufrag,
		stun.ConnectivityCheck{Priority: 1, Role: stun.RoleControlling, UseCandidate: true}, p.serverPwd)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(check, false)
	f.Add(check[:len(check)-8], false)
	for _, d := range readChromiumClientHello(f) {
		f.Add(d, false)
	}
	f.Add(rtpPacket(1, 5, []byte("payload")), true)
	f.Add(rtpPacket(2, 5, []byte("payload")), false)
	f.Add(rtcpBye(5), true)
	f.Add([]byte{21, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 2, 40}, false) // a fatal alert, in epoch 1
	f.Add([]byte{0x80}, true)

	f.Fuzz(func(t *testing.T, datagram []byte, protect bool) {
		p.tb = t // the peer's helpers report to the running input
		defer func() { p.tb = f }()
		if len(datagram) > transport.MaxDatagramSize-srtpOverheadRoom {
			return
		}
		b := append(make([]byte, 0, len(datagram)+srtpOverheadRoom), datagram...)
		if protect {
			var err error
			switch transport.Classify(b) {
			case transport.KindRTP:
				b, err = p.out.ProtectRTP(b)
			case transport.KindRTCP:
				b, err = p.out.ProtectRTCP(b)
			}
			if err != nil {
				return // not a packet the peer's SRTP accepts
			}
		}
		p.send(b)
		resp := p.check(checkOpts{useCandidate: true}, waitTimeout)
		if st := s.State(); st != StateConnected {
			t.Fatalf("input % x: session %s (%s)", datagram, st, s.Reason())
		}
		if resp == nil {
			t.Fatalf("the session stopped answering checks after % x", datagram)
		}
	})
}

// srtpOverheadRoom is the spare capacity the fuzz inputs keep for protection.
const srtpOverheadRoom = 20
