package interop

import (
	"reflect"
	"testing"
	"time"

	pionrtcp "github.com/pion/rtcp"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
)

const (
	senderSSRC = 0x11223344
	mediaSSRC  = 0x55667788
)

// pionCompound is a compound packet of every kind our package decodes, as pion builds it.
func pionCompound() []pionrtcp.Packet {
	return []pionrtcp.Packet{
		&pionrtcp.SenderReport{SSRC: senderSSRC, NTPTime: 0xda8bd1fcdddda05a, RTPTime: 90000, PacketCount: 12,
			OctetCount: 3400, Reports: []pionrtcp.ReceptionReport{{SSRC: mediaSSRC, FractionLost: 25,
				TotalLost: 0xfffffe, LastSequenceNumber: 0x1_0005, Jitter: 33, LastSenderReport: 0x8d1fcddd,
				Delay: 0x1_8000}}},
		&pionrtcp.ReceiverReport{SSRC: senderSSRC, Reports: []pionrtcp.ReceptionReport{
			{SSRC: 1, TotalLost: 3}, {SSRC: 2, FractionLost: 255}, {SSRC: 3, Jitter: 9}}},
		&pionrtcp.SourceDescription{Chunks: []pionrtcp.SourceDescriptionChunk{
			{Source: senderSSRC, Items: []pionrtcp.SourceDescriptionItem{
				{Type: pionrtcp.SDESName, Text: "ignored"}, {Type: pionrtcp.SDESCNAME, Text: "pion-cname"}}},
			{Source: mediaSSRC, Items: []pionrtcp.SourceDescriptionItem{{Type: pionrtcp.SDESCNAME, Text: "x"}}},
		}},
		&pionrtcp.TransportLayerNack{SenderSSRC: senderSSRC, MediaSSRC: mediaSSRC,
			Nacks: pionrtcp.NackPairsFromSequenceNumbers([]uint16{65535, 0, 1, 16, 40})},
		&pionrtcp.PictureLossIndication{SenderSSRC: senderSSRC, MediaSSRC: mediaSSRC},
		&pionrtcp.FullIntraRequest{SenderSSRC: senderSSRC, FIR: []pionrtcp.FIREntry{
			{SSRC: mediaSSRC, SequenceNumber: 4}, {SSRC: 9, SequenceNumber: 200}}},
		&pionrtcp.ReceiverEstimatedMaximumBitrate{SenderSSRC: senderSSRC, Bitrate: 1_234_560,
			SSRCs: []uint32{mediaSSRC, 9}},
		&pionrtcp.TransportLayerCC{
			Header: pionrtcp.Header{Padding: true, Count: pionrtcp.FormatTCC,
				Type: pionrtcp.TypeTransportSpecificFeedback, Length: 8},
			SenderSSRC: senderSSRC, MediaSSRC: mediaSSRC, BaseSequenceNumber: 65530, PacketStatusCount: 22,
			ReferenceTime: 0x123456, FbPktCount: 17,
			PacketChunks: []pionrtcp.PacketStatusChunk{
				&pionrtcp.RunLengthChunk{PacketStatusSymbol: pionrtcp.TypeTCCPacketReceivedSmallDelta, RunLength: 3},
				&pionrtcp.StatusVectorChunk{Type: pionrtcp.TypeTCCStatusVectorChunk,
					SymbolSize: pionrtcp.TypeTCCSymbolSizeTwoBit, SymbolList: []uint16{
						pionrtcp.TypeTCCPacketNotReceived, pionrtcp.TypeTCCPacketReceivedLargeDelta,
						pionrtcp.TypeTCCPacketReceivedSmallDelta, pionrtcp.TypeTCCPacketNotReceived,
						pionrtcp.TypeTCCPacketNotReceived, pionrtcp.TypeTCCPacketReceivedSmallDelta,
						pionrtcp.TypeTCCPacketNotReceived}},
				&pionrtcp.RunLengthChunk{PacketStatusSymbol: pionrtcp.TypeTCCPacketNotReceived, RunLength: 12},
			},
			RecvDeltas: []*pionrtcp.RecvDelta{
				{Type: pionrtcp.TypeTCCPacketReceivedSmallDelta, Delta: 1000},
				{Type: pionrtcp.TypeTCCPacketReceivedSmallDelta, Delta: 0},
				{Type: pionrtcp.TypeTCCPacketReceivedSmallDelta, Delta: 63750},
				{Type: pionrtcp.TypeTCCPacketReceivedLargeDelta, Delta: -2_000_000},
				{Type: pionrtcp.TypeTCCPacketReceivedSmallDelta, Delta: 250},
				{Type: pionrtcp.TypeTCCPacketReceivedSmallDelta, Delta: 500},
			},
		},
		&pionrtcp.Goodbye{Sources: []uint32{senderSSRC, mediaSSRC}, Reason: "going"},
	}
}

// TestRTCPFromPion decodes pion's packets with ours, field by field.
func TestRTCPFromPion(t *testing.T) {
	datagram, err := pionrtcp.Marshal(pionCompound())
	if err != nil {
		t.Fatal(err)
	}
	var (
		sr   rtcp.SenderReport
		rr   rtcp.ReceiverReport
		sdes rtcp.SourceDescription
		nack rtcp.NACK
		pli  rtcp.PictureLossIndication
		fir  rtcp.FullIntraRequest
		remb rtcp.REMB
		twcc rtcp.TransportCC
		bye  rtcp.Goodbye
	)
	into := map[rtcp.Kind]rtcp.Packet{
		rtcp.KindSenderReport: &sr, rtcp.KindReceiverReport: &rr, rtcp.KindSourceDescription: &sdes,
		rtcp.KindNACK: &nack, rtcp.KindPLI: &pli, rtcp.KindFIR: &fir, rtcp.KindREMB: &remb,
		rtcp.KindTransportCC: &twcc, rtcp.KindGoodbye: &bye,
	}
	var kinds []rtcp.Kind
	r := rtcp.NewReader(datagram, rtcp.Compound)
	for r.Next() {
		kinds = append(kinds, r.Kind())
		p, ok := into[r.Kind()]
		if !ok {
			t.Fatalf("unexpected kind %v", r.Kind())
		}
		if err := p.Unmarshal(r.Packet()); err != nil {
			t.Fatalf("%v: %v", r.Kind(), err)
		}
	}
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	if len(kinds) != 9 {
		t.Fatalf("kinds %v", kinds)
	}

	wantSR := rtcp.SenderReport{SSRC: senderSSRC, NTPTime: 0xda8bd1fcdddda05a, RTPTime: 90000, PacketCount: 12,
		OctetCount: 3400, Reports: []rtcp.ReportBlock{{SSRC: mediaSSRC, FractionLost: 25, CumulativeLost: -2,
			HighestSequence: 0x1_0005, Jitter: 33, LastSenderReport: 0x8d1fcddd, Delay: 0x1_8000}}}
	check(t, "SR", sr, wantSR)
	check(t, "RR", rr, rtcp.ReceiverReport{SSRC: senderSSRC, Reports: []rtcp.ReportBlock{
		{SSRC: 1, CumulativeLost: 3}, {SSRC: 2, FractionLost: 255}, {SSRC: 3, Jitter: 9}}})
	check(t, "SDES", sdes, rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{
		{SSRC: senderSSRC, CNAME: []byte("pion-cname")}, {SSRC: mediaSSRC, CNAME: []byte("x")}}})
	check(t, "NACK lost", nack.AppendLost(nil), []uint16{65535, 0, 1, 16, 40})
	check(t, "PLI", pli, rtcp.PictureLossIndication{SenderSSRC: senderSSRC, MediaSSRC: mediaSSRC})
	check(t, "FIR", fir, rtcp.FullIntraRequest{SenderSSRC: senderSSRC, Entries: []rtcp.FIREntry{
		{SSRC: mediaSSRC, SequenceNumber: 4}, {SSRC: 9, SequenceNumber: 200}}})
	check(t, "REMB SSRCs", remb.SSRCs, []uint32{mediaSSRC, 9})
	if remb.Bitrate > 1_234_560 || remb.Bitrate < 1_234_560-4 {
		t.Errorf("REMB bitrate %d, want 1234560 to within pion's rounding", remb.Bitrate)
	}
	ref := time.Duration(0x123456) * rtcp.TransportCCReferenceUnit
	check(t, "TWCC", twcc, rtcp.TransportCC{SenderSSRC: senderSSRC, MediaSSRC: mediaSSRC, BaseSequence: 65530,
		PacketCount: 22, ReferenceTime: 0x123456, FeedbackCount: 17, Arrivals: []rtcp.PacketArrival{
			{Sequence: 65530, Arrival: ref + time.Millisecond},
			{Sequence: 65531, Arrival: ref + time.Millisecond},
			{Sequence: 65532, Arrival: ref + 64750*time.Microsecond},
			{Sequence: 65534, Arrival: ref + 64750*time.Microsecond - 2*time.Second},
			{Sequence: 65535, Arrival: ref + 65000*time.Microsecond - 2*time.Second},
			{Sequence: 2, Arrival: ref + 65500*time.Microsecond - 2*time.Second},
		}})
	check(t, "BYE", bye, rtcp.Goodbye{Sources: []uint32{senderSSRC, mediaSSRC}, Reason: []byte("going")})
}

// TestRTCPToPion decodes our packets with pion, field by field.
func TestRTCPToPion(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	sr := rtcp.SenderReport{SSRC: senderSSRC, NTPTime: rtcp.NTPTime(now), RTPTime: 48000, PacketCount: 50,
		OctetCount: 5000, Reports: []rtcp.ReportBlock{{SSRC: mediaSSRC, FractionLost: 7, CumulativeLost: -1,
			HighestSequence: 0x2_0001, Jitter: 12, LastSenderReport: 0xabcd0123, Delay: rtcp.CompactDuration(time.Second)}}}
	rr := rtcp.ReceiverReport{SSRC: senderSSRC, Reports: make([]rtcp.ReportBlock, 3)}
	for i := range rr.Reports {
		rr.Reports[i] = rtcp.ReportBlock{SSRC: uint32(i + 1), Jitter: uint32(10 * i), CumulativeLost: int32(i)}
	}
	nack := rtcp.NACK{SenderSSRC: senderSSRC, MediaSSRC: mediaSSRC,
		Pairs: rtcp.NACKPairsFromSequences(nil, []uint16{65534, 65535, 3, 100})}
	pli := rtcp.PictureLossIndication{SenderSSRC: senderSSRC, MediaSSRC: mediaSSRC}
	fir := rtcp.FullIntraRequest{SenderSSRC: senderSSRC, Entries: []rtcp.FIREntry{{SSRC: mediaSSRC, SequenceNumber: 9}}}
	remb := rtcp.REMB{SenderSSRC: senderSSRC, Bitrate: 2_500_000, SSRCs: []uint32{mediaSSRC}}
	ref := uint32(1000)
	base := time.Duration(ref) * rtcp.TransportCCReferenceUnit
	twcc := rtcp.TransportCC{SenderSSRC: senderSSRC, MediaSSRC: mediaSSRC, BaseSequence: 65000, PacketCount: 40,
		ReferenceTime: ref, FeedbackCount: 3}
	for i := range 40 {
		if i%5 != 2 {
			at := base + time.Duration(i)*time.Millisecond
			if i == 21 {
				at -= 30 * time.Millisecond // reordered: a large, negative delta
			}
			twcc.Arrivals = append(twcc.Arrivals, rtcp.PacketArrival{Sequence: 65000 + uint16(i), Arrival: at})
		}
	}
	bye := rtcp.Goodbye{Sources: []uint32{senderSSRC}, Reason: []byte("bye")}

	var datagram []byte
	var err error
	for _, p := range []rtcp.Packet{&sr, &rr} {
		if datagram, err = p.AppendTo(datagram); err != nil {
			t.Fatal(err)
		}
	}
	if datagram, err = rtcp.AppendCNAME(datagram, senderSSRC, "our-cname"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []rtcp.Packet{&nack, &pli, &fir, &remb, &twcc, &bye} {
		if datagram, err = p.AppendTo(datagram); err != nil {
			t.Fatal(err)
		}
	}

	packets, err := pionrtcp.Unmarshal(datagram)
	if err != nil {
		t.Fatalf("pion refuses our compound packet: %v", err)
	}
	if len(packets) != 9 {
		t.Fatalf("pion decoded %d packets: %v", len(packets), packets)
	}
	check(t, "SR", *packets[0].(*pionrtcp.SenderReport), pionrtcp.SenderReport{SSRC: senderSSRC,
		NTPTime: rtcp.NTPTime(now), RTPTime: 48000, PacketCount: 50, OctetCount: 5000,
		Reports: []pionrtcp.ReceptionReport{{SSRC: mediaSSRC, FractionLost: 7, TotalLost: 0xffffff,
			LastSequenceNumber: 0x2_0001, Jitter: 12, LastSenderReport: 0xabcd0123, Delay: 65536}}})
	pionRR := packets[1].(*pionrtcp.ReceiverReport)
	if len(pionRR.Reports) != 3 || pionRR.Reports[2].Jitter != 20 || pionRR.Reports[2].TotalLost != 2 {
		t.Errorf("RR %+v", pionRR)
	}
	pionSDES := packets[2].(*pionrtcp.SourceDescription)
	if len(pionSDES.Chunks) != 1 || pionSDES.Chunks[0].Source != senderSSRC ||
		len(pionSDES.Chunks[0].Items) != 1 || pionSDES.Chunks[0].Items[0].Text != "our-cname" {
		t.Errorf("SDES %+v", pionSDES)
	}
	var lost []uint16
	for _, p := range packets[3].(*pionrtcp.TransportLayerNack).Nacks {
		lost = append(lost, p.PacketList()...)
	}
	check(t, "NACK lost", lost, []uint16{65534, 65535, 3, 100})
	check(t, "PLI", *packets[4].(*pionrtcp.PictureLossIndication),
		pionrtcp.PictureLossIndication{SenderSSRC: senderSSRC, MediaSSRC: mediaSSRC})
	pionFIR := packets[5].(*pionrtcp.FullIntraRequest)
	check(t, "FIR", pionFIR.FIR, []pionrtcp.FIREntry{{SSRC: mediaSSRC, SequenceNumber: 9}})
	pionREMB := packets[6].(*pionrtcp.ReceiverEstimatedMaximumBitrate)
	if pionREMB.Bitrate != 2_500_000 || !reflect.DeepEqual(pionREMB.SSRCs, []uint32{mediaSSRC}) {
		t.Errorf("REMB %+v", pionREMB)
	}
	checkPionTWCC(t, packets[7].(*pionrtcp.TransportLayerCC), &twcc)
	check(t, "BYE", *packets[8].(*pionrtcp.Goodbye), pionrtcp.Goodbye{Sources: []uint32{senderSSRC}, Reason: "bye"})
}

// checkPionTWCC expands pion's chunks and deltas and compares them with the arrivals we encoded.
func checkPionTWCC(t *testing.T, got *pionrtcp.TransportLayerCC, want *rtcp.TransportCC) {
	t.Helper()
	if got.BaseSequenceNumber != want.BaseSequence || got.PacketStatusCount != want.PacketCount ||
		got.ReferenceTime != want.ReferenceTime || got.FbPktCount != want.FeedbackCount {
		t.Fatalf("TWCC header %+v", got)
	}
	var symbols []uint16
	for _, c := range got.PacketChunks {
		switch c := c.(type) {
		case *pionrtcp.RunLengthChunk:
			for range c.RunLength {
				symbols = append(symbols, c.PacketStatusSymbol)
			}
		case *pionrtcp.StatusVectorChunk:
			symbols = append(symbols, c.SymbolList...)
		}
	}
	at := time.Duration(got.ReferenceTime) * rtcp.TransportCCReferenceUnit
	var arrivals []rtcp.PacketArrival
	d := 0
	for i, s := range symbols[:want.PacketCount] {
		if s == pionrtcp.TypeTCCPacketNotReceived {
			continue
		}
		at += time.Duration(got.RecvDeltas[d].Delta) * time.Microsecond
		d++
		arrivals = append(arrivals, rtcp.PacketArrival{Sequence: want.BaseSequence + uint16(i), Arrival: at})
	}
	check(t, "TWCC arrivals", arrivals, want.Arrivals)
}

func check[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// BenchmarkRTCPParseCompoundPion measures pion's parse of the compound packet of TestRTCPToPion, for comparison
// with src/rtcp's BenchmarkParseCompound (ours decodes into reused values and does not allocate).
func BenchmarkRTCPParseCompoundPion(b *testing.B) {
	datagram := pionDatagram(b)
	b.SetBytes(int64(len(datagram)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pionrtcp.Unmarshal(datagram); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRTCPParseCompoundOurs decodes the same datagram with src/rtcp.
func BenchmarkRTCPParseCompoundOurs(b *testing.B) {
	datagram := pionDatagram(b)
	var (
		sr   rtcp.SenderReport
		rr   rtcp.ReceiverReport
		sdes rtcp.SourceDescription
		nack rtcp.NACK
		pli  rtcp.PictureLossIndication
		fir  rtcp.FullIntraRequest
		remb rtcp.REMB
		twcc rtcp.TransportCC
		bye  rtcp.Goodbye
	)
	into := [...]rtcp.Packet{rtcp.KindSenderReport: &sr, rtcp.KindReceiverReport: &rr,
		rtcp.KindSourceDescription: &sdes, rtcp.KindGoodbye: &bye, rtcp.KindNACK: &nack,
		rtcp.KindTransportCC: &twcc, rtcp.KindPLI: &pli, rtcp.KindFIR: &fir, rtcp.KindREMB: &remb}
	b.SetBytes(int64(len(datagram)))
	b.ReportAllocs()
	for b.Loop() {
		r := rtcp.NewReader(datagram, rtcp.Compound)
		for r.Next() {
			p := into[r.Kind()]
			if p == nil {
				continue // unknown kinds are skipped
			}
			if err := p.Unmarshal(r.Packet()); err != nil {
				b.Fatal(err)
			}
		}
		if r.Err() != nil {
			b.Fatal(r.Err())
		}
	}
}

func pionDatagram(b *testing.B) []byte {
	datagram, err := pionrtcp.Marshal(pionCompound())
	if err != nil {
		b.Fatal(err)
	}
	return datagram
}
