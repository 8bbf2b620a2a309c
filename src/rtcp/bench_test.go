package rtcp

import (
	"testing"
	"time"
)

// browserCompound is what a browser receiving video sends: RR, SDES CNAME, REMB, a NACK and TWCC feedback for 60
// packets with a few losses.
func browserCompound(b *testing.B) []byte {
	const browser, server = 0x0badcafe, 0x11223344
	twcc := TransportCC{SenderSSRC: browser, MediaSSRC: server, BaseSequence: 1000, PacketCount: 60,
		ReferenceTime: 300, FeedbackCount: 9}
	at := 300 * TransportCCReferenceUnit
	for i := range 60 {
		at += time.Duration(i%7) * 500 * time.Microsecond
		if i%13 != 5 {
			twcc.Arrivals = append(twcc.Arrivals, PacketArrival{Sequence: 1000 + uint16(i), Arrival: at})
		}
	}
	rr := ReceiverReport{SSRC: browser, Reports: []ReportBlock{{SSRC: server, FractionLost: 3, CumulativeLost: 20,
		HighestSequence: 81234, Jitter: 90, LastSenderReport: 0x12345678, Delay: 0x8000}}}
	remb := REMB{SenderSSRC: browser, Bitrate: 2_345_678, SSRCs: []uint32{server}}
	nack := NACK{SenderSSRC: browser, MediaSSRC: server, Pairs: NACKPairsFromSequences(nil, []uint16{1005, 1018, 1031})}
	datagram, err := rr.Marshal()
	if err == nil {
		datagram, err = AppendCNAME(datagram, browser, "{5f1a4e2c-8d1b-4c3e-9a7f-0123456789ab}")
	}
	for _, p := range []Packet{&remb, &nack, &twcc} {
		if err == nil {
			datagram, err = p.AppendTo(datagram)
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	return datagram
}

// BenchmarkParseCompound walks a browser's compound packet and decodes every packet into reused values.
func BenchmarkParseCompound(b *testing.B) {
	datagram := browserCompound(b)
	var d decoder
	b.SetBytes(int64(len(datagram)))
	b.ReportAllocs()
	for b.Loop() {
		d.decode(b, datagram)
	}
}

// BenchmarkWalkCompound only validates and classifies the packets, as a receiver skipping what it does not need.
func BenchmarkWalkCompound(b *testing.B) {
	datagram := browserCompound(b)
	var r Reader
	b.SetBytes(int64(len(datagram)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(datagram, ReducedSize)
		for r.Next() {
			_ = r.Kind()
		}
		if r.Err() != nil {
			b.Fatal(r.Err())
		}
	}
}

// BenchmarkBuildCompound builds the server's SR + SDES + NACK + FIR + REMB + TWCC + PLI + BYE into a reused buffer.
func BenchmarkBuildCompound(b *testing.B) {
	o := newOutgoing()
	buf := make([]byte, 0, 1500)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = o.appendTo(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTransportCCBuild encodes feedback for 60 packets, the server's TWCC every 100 ms at 600 packets/s.
func BenchmarkTransportCCBuild(b *testing.B) {
	datagram := browserCompound(b)
	var twcc TransportCC
	for r := NewReader(datagram, ReducedSize); r.Next(); {
		if r.Kind() == KindTransportCC {
			if err := twcc.Unmarshal(r.Packet()); err != nil {
				b.Fatal(err)
			}
		}
	}
	buf := make([]byte, 0, 1500)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = twcc.AppendTo(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
