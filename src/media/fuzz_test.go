package media

import (
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp"
)

// checkingSession verifies every packet the plane writes: RTP that parses with one of the listener's SSRCs, RTCP
// that is a valid datagram.
type checkingSession struct {
	discardSession
	ssrcs []uint32
	bad   atomic.Pointer[string]
}

func (s *checkingSession) WriteRTP(pkt []byte) error {
	var h rtp.Header
	if _, err := h.Unmarshal(pkt); err != nil {
		s.fail("RTP written does not parse: " + err.Error())
		return nil
	}
	for _, ssrc := range s.ssrcs {
		if h.SSRC == ssrc {
			return nil
		}
	}
	s.fail("RTP written with a foreign SSRC")
	return nil
}

func (s *checkingSession) ForwardRTP(pkt []byte, _ time.Time) error { return s.WriteRTP(pkt) }

func (s *checkingSession) WriteRTCP(pkt []byte) error {
	if err := rtcp.Validate(pkt, rtcp.ReducedSize); err != nil {
		s.fail("RTCP written is invalid: " + err.Error())
	}
	return nil
}

func (s *checkingSession) fail(why string) { s.bad.CompareAndSwap(nil, &why) }

// fuzzSetup is a publisher with two listeners whose sessions check what they are given.
func fuzzSetup(f *testing.F) (*upstream, []*downlink, []*checkingSession) {
	u, _ := benchUpstream(f, 2)
	var ls []*downlink
	var checks []*checkingSession
	for fd := range u.feeds {
		l := fd.downlink
		c := &checkingSession{ssrcs: []uint32{l.audioSSRC, l.videoSSRC, l.rtxSSRC}}
		l.sess = c
		ls = append(ls, l)
		checks = append(checks, c)
	}
	return u, ls, checks
}

// FuzzPublisherPackets gives a publisher's session arbitrary RTP and RTCP: nothing may panic, and the listeners
// may only get well-formed packets of their own streams.
func FuzzPublisherPackets(f *testing.F) {
	u, _, checks := fuzzSetup(f)
	a, v := u.audio, u.video
	f.Add(false, rtpPacket(a.ssrc.Load(), a.codec.PayloadType, 1, 960, opus))
	f.Add(false, rtpPacket(v.ssrc.Load(), v.codec.PayloadType, 7, 3000, vp8Key))
	f.Add(false, rtpPacket(v.ssrc.Load(), v.codec.PayloadType, 9, 6000, vp8Delta))
	f.Add(false, rtpPacket(v.rtxSSRC.Load(), v.codec.RTXPayloadType, 3, 6000, append([]byte{0, 8}, vp8Delta...)))
	f.Add(false, rtpPacket(0x12345678, 100, 1, 1, []byte{1}))
	if u.recorder != nil {
		// The transport-wide sequence number, which the feedback recorder reads from every packet.
		p := rtp.Packet{Header: rtp.Header{PayloadType: v.codec.PayloadType, SequenceNumber: 11, SSRC: v.ssrc.Load()},
			Payload: vp8Delta}
		if err := p.SetExtension(u.tccID, []byte{0x12, 0x34}); err == nil {
			if b, err := p.AppendBinary(nil); err == nil {
				f.Add(false, b)
			}
		}
	}
	sr := rtcp.SenderReport{SSRC: v.ssrc.Load(), NTPTime: rtcp.NTPTime(time.Unix(1_700_000_000, 0)), RTPTime: 3000}
	if b, err := sr.Marshal(); err == nil {
		f.Add(true, b)
	}
	f.Add(true, []byte{0x80, 0xc8, 0x00, 0x01, 0, 0, 0, 1})
	now := time.Minute
	f.Fuzz(func(t *testing.T, isRTCP bool, pkt []byte) {
		now += 7 * time.Millisecond
		if isRTCP {
			u.onRTCP(pkt, now)
		} else {
			u.onRTP(pkt, now)
		}
		for _, c := range checks {
			if bad := c.bad.Load(); bad != nil {
				t.Fatal(*bad)
			}
		}
	})
}

// FuzzListenerRTCP gives a listener's session arbitrary RTCP: nothing may panic, the retransmission requests stay
// bounded, and what reaches the publisher or the listener is valid.
func FuzzListenerRTCP(f *testing.F) {
	u, ls, checks := fuzzSetup(f)
	l := ls[0]
	nack := rtcp.NACK{SenderSSRC: 1, MediaSSRC: l.videoSSRC, Pairs: []rtcp.NACKPair{{PacketID: 7, LostBitmask: 0xffff}}}
	pli := rtcp.PictureLossIndication{SenderSSRC: 1, MediaSSRC: l.videoSSRC}
	remb := rtcp.REMB{SenderSSRC: 1, Bitrate: 500_000, SSRCs: []uint32{l.videoSSRC}}
	rr := rtcp.ReceiverReport{SSRC: 1, Reports: []rtcp.ReportBlock{{SSRC: l.videoSSRC, LastSenderReport: 5, Delay: 1}}}
	tcc := rtcp.TransportCC{SenderSSRC: 1, MediaSSRC: l.videoSSRC, BaseSequence: 3, PacketCount: 4,
		ReferenceTime: 10, Arrivals: []rtcp.PacketArrival{{Sequence: 3, Arrival: 640 * time.Millisecond},
			{Sequence: 6, Arrival: 700 * time.Millisecond}}}
	for _, p := range []rtcp.Packet{&nack, &pli, &remb, &rr, &tcc} {
		b, err := p.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	now := time.Minute
	f.Fuzz(func(t *testing.T, pkt []byte) {
		now += 3 * time.Millisecond
		l.onRTCP(pkt, now)
		if n := len(u.feeder.requests); n > requestQueue {
			t.Fatalf("%d retransmission requests queued", n)
		}
		u.onRTP(rtpPacket(u.video.ssrc.Load(), u.video.codec.PayloadType, uint16(now/time.Millisecond), 0, vp8Delta),
			now)
		for _, c := range checks {
			if bad := c.bad.Load(); bad != nil {
				t.Fatal(*bad)
			}
		}
	})
}

// FuzzCandidate checks trickled candidates: no panic, and an accepted candidate is well formed.
func FuzzCandidate(f *testing.F) {
	for _, seed := range []string{
		`{"candidate":"candidate:45735487 1 udp 2122260223 127.0.0.1 51268 typ host generation 0","sdpMid":"0",` +
			`"sdpMLineIndex":0}`,
		`{"completed":true}`, `{"candidate":""}`, `{"candidate":"candidate:1 1 udp"}`, `[`, `null`,
		`{"candidate":"candidate:1 1 tcp 1518280447 ::1 9 typ host tcptype active","sdpMLineIndex":-1}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		err := checkCandidate(raw)
		if err != nil && !errors.Is(err, ErrCandidate) {
			t.Fatalf("error %v is not ErrCandidate", err)
		}
		if err == nil {
			var c candidateInit
			if json.Unmarshal(raw, &c) != nil {
				t.Fatal("accepted JSON that does not parse")
			}
		}
	})
}
