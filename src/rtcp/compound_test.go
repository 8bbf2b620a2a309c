package rtcp

import (
	"bytes"
	"testing"
	"time"
)

const (
	ourSSRC   = 0x11223344
	peerSSRC  = 0xbc5e9a40
	ourCNAME  = "mcu-7f3a"
	peerVideo = 0x55667788
)

// outgoing is what the media plane sends a publisher: an SR, the SDES CNAME, then feedback and a BYE.
type outgoing struct {
	sr   SenderReport
	nack NACK
	fir  FullIntraRequest
	remb REMB
	twcc TransportCC
	pli  PictureLossIndication
	bye  Goodbye
}

func newOutgoing() *outgoing {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	return &outgoing{
		sr: SenderReport{SSRC: ourSSRC, NTPTime: NTPTime(now), RTPTime: 90000, PacketCount: 10, OctetCount: 12000,
			Reports: []ReportBlock{{SSRC: peerSSRC, FractionLost: 12, CumulativeLost: 3, HighestSequence: 70000,
				Jitter: 40, LastSenderReport: CompactNTP(NTPTime(now.Add(-time.Second))),
				Delay: CompactDuration(time.Second)}}},
		nack: NACK{SenderSSRC: ourSSRC, MediaSSRC: peerVideo, Pairs: NACKPairsFromSequences(nil, []uint16{7, 9, 30})},
		fir:  FullIntraRequest{SenderSSRC: ourSSRC, Entries: []FIREntry{{SSRC: peerVideo, SequenceNumber: 3}}},
		remb: REMB{SenderSSRC: ourSSRC, Bitrate: 1_500_000, SSRCs: []uint32{peerVideo}},
		twcc: TransportCC{SenderSSRC: ourSSRC, MediaSSRC: peerVideo, BaseSequence: 500, PacketCount: 4,
			ReferenceTime: 100, Arrivals: []PacketArrival{{500, 6400 * time.Millisecond}, {503, 6410 * time.Millisecond}}},
		pli: PictureLossIndication{SenderSSRC: ourSSRC, MediaSSRC: peerVideo},
		bye: Goodbye{Sources: []uint32{ourSSRC}, Reason: []byte("teardown")},
	}
}

// appendTo builds the compound packet into b.
func (o *outgoing) appendTo(b []byte) ([]byte, error) {
	b, err := o.sr.AppendTo(b)
	if err == nil {
		b, err = AppendCNAME(b, ourSSRC, ourCNAME)
	}
	if err == nil {
		b, err = o.nack.AppendTo(b)
	}
	if err == nil {
		b, err = o.fir.AppendTo(b)
	}
	if err == nil {
		b, err = o.remb.AppendTo(b)
	}
	if err == nil {
		b, err = o.twcc.AppendTo(b)
	}
	if err == nil {
		b, err = o.pli.AppendTo(b)
	}
	if err == nil {
		b, err = o.bye.AppendTo(b)
	}
	return b, err
}

func buildCompound(t testing.TB, b []byte) []byte {
	t.Helper()
	b, err := newOutgoing().appendTo(b)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCompoundBuildAndWalk checks the original's RTCP defects are gone (behaviour doc, section 11, item 23): the
// packets go out compound, starting with a report and the CNAME, every sender SSRC set, FIR written as FIR.
func TestCompoundBuildAndWalk(t *testing.T) {
	datagram := buildCompound(t, nil)
	if err := Validate(datagram, Compound); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	var (
		sr   SenderReport
		sdes SourceDescription
		nack NACK
		fir  FullIntraRequest
		remb REMB
		twcc TransportCC
		pli  PictureLossIndication
		bye  Goodbye
	)
	var kinds []Kind
	for r := NewReader(datagram, Compound); r.Next(); {
		kinds = append(kinds, r.Kind())
		var p Packet
		switch r.Kind() {
		case KindSenderReport:
			p = &sr
		case KindSourceDescription:
			p = &sdes
		case KindNACK:
			p = &nack
		case KindFIR:
			p = &fir
		case KindREMB:
			p = &remb
		case KindTransportCC:
			p = &twcc
		case KindPLI:
			p = &pli
		case KindGoodbye:
			p = &bye
		default:
			t.Fatalf("unexpected %v", r.Kind())
		}
		if err := p.Unmarshal(r.Packet()); err != nil {
			t.Fatalf("%v: %v", r.Kind(), err)
		}
	}
	want := []Kind{KindSenderReport, KindSourceDescription, KindNACK, KindFIR, KindREMB, KindTransportCC, KindPLI,
		KindGoodbye}
	if len(kinds) != len(want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("kinds %v, want %v", kinds, want)
		}
	}
	if sr.SSRC != ourSSRC || nack.SenderSSRC != ourSSRC || fir.SenderSSRC != ourSSRC || remb.SenderSSRC != ourSSRC ||
		twcc.SenderSSRC != ourSSRC || pli.SenderSSRC != ourSSRC {
		t.Error("a sender SSRC did not survive")
	}
	if len(sdes.Chunks) != 1 || sdes.Chunks[0].SSRC != ourSSRC || string(sdes.Chunks[0].CNAME) != ourCNAME {
		t.Errorf("SDES %+v", sdes)
	}
	if fir.Entries[0] != (FIREntry{SSRC: peerVideo, SequenceNumber: 3}) {
		t.Errorf("FIR %+v", fir)
	}
	if rtt, ok := sr.Reports[0].RoundTripTime(time.Date(2026, 11, 24, 12, 0, 0, 50_000_000, time.UTC)); !ok ||
		rtt < 49*time.Millisecond || rtt > 51*time.Millisecond {
		t.Errorf("RTT %v %v, want 50ms", rtt, ok)
	}
	if lost := nack.AppendLost(nil); len(lost) != 3 || lost[2] != 30 {
		t.Errorf("NACK lost %v", lost)
	}
}

// TestReducedSize: with rtcp-rsize a feedback message goes alone, and only a ReducedSize reader takes it.
func TestReducedSize(t *testing.T) {
	pli, err := (&PictureLossIndication{SenderSSRC: ourSSRC, MediaSSRC: peerVideo}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(pli, ReducedSize); err != nil {
		t.Errorf("reduced-size PLI refused: %v", err)
	}
	if err := Validate(pli, Compound); err == nil {
		t.Error("reduced-size PLI accepted as compound")
	}
}

// TestParseAllocations walks and decodes a whole compound packet into reused values: no allocation once warm.
func TestParseAllocations(t *testing.T) {
	datagram := buildCompound(t, nil)
	var d decoder
	d.decode(t, datagram) // grow the reused slices
	if allocs := testing.AllocsPerRun(100, func() { d.decode(t, datagram) }); allocs != 0 {
		t.Errorf("%v allocations per compound packet, want 0", allocs)
	}
}

// TestNewReaderAllocations: a Reader made per datagram stays on the stack.
func TestNewReaderAllocations(t *testing.T) {
	datagram := buildCompound(t, nil)
	allocs := testing.AllocsPerRun(100, func() {
		for r := NewReader(datagram, Compound); r.Next(); {
			_ = r.Kind()
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per datagram walked, want 0", allocs)
	}
}

// TestBuildAllocations builds a whole compound packet into a reused buffer: no allocation.
func TestBuildAllocations(t *testing.T) {
	o := newOutgoing()
	buf := make([]byte, 0, 1500)
	var err error
	if allocs := testing.AllocsPerRun(100, func() { buf, err = o.appendTo(buf[:0]) }); allocs != 0 {
		t.Errorf("%v allocations per compound packet built, want 0", allocs)
	}
	if err != nil || !bytes.Equal(buf, buildCompound(t, nil)) {
		t.Errorf("building into a reused buffer: %v, or a different result", err)
	}
}

// decoder holds one reusable value per message type, as the media plane would.
type decoder struct {
	sr   SenderReport
	rr   ReceiverReport
	sdes SourceDescription
	bye  Goodbye
	nack NACK
	twcc TransportCC
	pli  PictureLossIndication
	fir  FullIntraRequest
	remb REMB
	r    Reader
}

func (d *decoder) decode(t testing.TB, datagram []byte) {
	d.r.Reset(datagram, ReducedSize)
	for d.r.Next() {
		if err := d.decodeOne(d.r.Kind(), d.r.Packet()); err != nil {
			t.Fatal(err)
		}
	}
	if d.r.Err() != nil {
		t.Fatal(d.r.Err())
	}
}

// decodeOne decodes a packet of kind k into the value kept for that kind; unknown packets are skipped.
func (d *decoder) decodeOne(k Kind, packet []byte) error {
	switch k {
	case KindSenderReport:
		return d.sr.Unmarshal(packet)
	case KindReceiverReport:
		return d.rr.Unmarshal(packet)
	case KindSourceDescription:
		return d.sdes.Unmarshal(packet)
	case KindGoodbye:
		return d.bye.Unmarshal(packet)
	case KindNACK:
		return d.nack.Unmarshal(packet)
	case KindTransportCC:
		return d.twcc.Unmarshal(packet)
	case KindPLI:
		return d.pli.Unmarshal(packet)
	case KindFIR:
		return d.fir.Unmarshal(packet)
	case KindREMB:
		return d.remb.Unmarshal(packet)
	}
	return nil
}
