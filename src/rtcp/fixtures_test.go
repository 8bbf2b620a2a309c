package rtcp

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

// fixture is one packet written by hand from the RFCs' figures, with its decoded form.
type fixture struct {
	name string
	wire string // hex, spaces ignored
	kind Kind
	want Packet
	// empty returns a zero value of the same type to decode into.
	empty func() Packet
}

func fromHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

var fixtures = []fixture{
	{
		name: "SR with one report block",
		wire: "81c8000c 902f9e2e da8bd1fc dddda05a aaf4edd5 00000001 00000002" +
			" bc5e9a40 00000000 000046e1 00000111 09f36432 00024a79",
		kind: KindSenderReport,
		want: &SenderReport{
			SSRC: 0x902f9e2e, NTPTime: 0xda8bd1fcdddda05a, RTPTime: 0xaaf4edd5, PacketCount: 1, OctetCount: 2,
			Reports: []ReportBlock{{SSRC: 0xbc5e9a40, HighestSequence: 0x46e1, Jitter: 0x111,
				LastSenderReport: 0x09f36432, Delay: 0x00024a79}},
		},
		empty: func() Packet { return &SenderReport{} },
	},
	{
		name:  "SR without report blocks",
		wire:  "80c80006 902f9e2e da8bd1fc dddda05a aaf4edd5 00000001 00000002",
		kind:  KindSenderReport,
		want:  &SenderReport{SSRC: 0x902f9e2e, NTPTime: 0xda8bd1fcdddda05a, RTPTime: 0xaaf4edd5, PacketCount: 1, OctetCount: 2},
		empty: func() Packet { return &SenderReport{} },
	},
	{
		name: "RR with a negative cumulative loss",
		wire: "81c90007 902f9e2e bc5e9a40 10fffffe 000146e1 00000111 09f36432 00024a79",
		kind: KindReceiverReport,
		want: &ReceiverReport{SSRC: 0x902f9e2e, Reports: []ReportBlock{{SSRC: 0xbc5e9a40, FractionLost: 0x10,
			CumulativeLost: -2, HighestSequence: 0x146e1, Jitter: 0x111, LastSenderReport: 0x09f36432, Delay: 0x24a79}}},
		empty: func() Packet { return &ReceiverReport{} },
	},
	{
		name: "RR with three report blocks",
		wire: "83c90013 902f9e2e" +
			" 00000001 01000001 00000001 00000001 00000001 00000001" +
			" 00000002 02000002 00000002 00000002 00000002 00000002" +
			" 00000003 037fffff 00000003 00000003 00000003 00000003",
		kind: KindReceiverReport,
		want: &ReceiverReport{SSRC: 0x902f9e2e, Reports: []ReportBlock{
			{SSRC: 1, FractionLost: 1, CumulativeLost: 1, HighestSequence: 1, Jitter: 1, LastSenderReport: 1, Delay: 1},
			{SSRC: 2, FractionLost: 2, CumulativeLost: 2, HighestSequence: 2, Jitter: 2, LastSenderReport: 2, Delay: 2},
			{SSRC: 3, FractionLost: 3, CumulativeLost: 1<<23 - 1, HighestSequence: 3, Jitter: 3, LastSenderReport: 3,
				Delay: 3},
		}},
		empty: func() Packet { return &ReceiverReport{} },
	},
	{
		name:  "empty RR",
		wire:  "80c90001 902f9e2e",
		kind:  KindReceiverReport,
		want:  &ReceiverReport{SSRC: 0x902f9e2e},
		empty: func() Packet { return &ReceiverReport{} },
	},
	{
		name:  "SDES with a CNAME",
		wire:  "81ca0004 902f9e2e 01066162 63313233 00000000",
		kind:  KindSourceDescription,
		want:  &SourceDescription{Chunks: []SourceDescriptionChunk{{SSRC: 0x902f9e2e, CNAME: []byte("abc123")}}},
		empty: func() Packet { return &SourceDescription{} },
	},
	{
		name: "SDES with two chunks, one end octet then no padding",
		wire: "82ca0007 902f9e2e 01056162 63313200 bc5e9a40 01097878 78787878 78787800",
		kind: KindSourceDescription,
		want: &SourceDescription{Chunks: []SourceDescriptionChunk{
			{SSRC: 0x902f9e2e, CNAME: []byte("abc12")},
			{SSRC: 0xbc5e9a40, CNAME: []byte("xxxxxxxxx")},
		}},
		empty: func() Packet { return &SourceDescription{} },
	},
	{
		name:  "BYE with a reason",
		wire:  "82cb0003 902f9e2e bc5e9a40 03627965",
		kind:  KindGoodbye,
		want:  &Goodbye{Sources: []uint32{0x902f9e2e, 0xbc5e9a40}, Reason: []byte("bye")},
		empty: func() Packet { return &Goodbye{} },
	},
	{
		name:  "BYE with a padded reason",
		wire:  "81cb0003 902f9e2e 05717569 74210000",
		kind:  KindGoodbye,
		want:  &Goodbye{Sources: []uint32{0x902f9e2e}, Reason: []byte("quit!")},
		empty: func() Packet { return &Goodbye{} },
	},
	{
		name:  "BYE without reason",
		wire:  "81cb0001 902f9e2e",
		kind:  KindGoodbye,
		want:  &Goodbye{Sources: []uint32{0x902f9e2e}},
		empty: func() Packet { return &Goodbye{} },
	},
	{
		name: "generic NACK",
		wire: "81cd0004 902f9e2e bc5e9a40 00640005 ffff8001",
		kind: KindNACK,
		want: &NACK{SenderSSRC: 0x902f9e2e, MediaSSRC: 0xbc5e9a40, Pairs: []NACKPair{
			{PacketID: 100, LostBitmask: 0x0005}, {PacketID: 0xffff, LostBitmask: 0x8001}}},
		empty: func() Packet { return &NACK{} },
	},
	{
		name:  "PLI",
		wire:  "81ce0002 902f9e2e bc5e9a40",
		kind:  KindPLI,
		want:  &PictureLossIndication{SenderSSRC: 0x902f9e2e, MediaSSRC: 0xbc5e9a40},
		empty: func() Packet { return &PictureLossIndication{} },
	},
	{
		name: "FIR for two media senders",
		wire: "84ce0006 902f9e2e 00000000 bc5e9a40 07000000 00000001 ff000000",
		kind: KindFIR,
		want: &FullIntraRequest{SenderSSRC: 0x902f9e2e, Entries: []FIREntry{
			{SSRC: 0xbc5e9a40, SequenceNumber: 7}, {SSRC: 1, SequenceNumber: 255}}},
		empty: func() Packet { return &FullIntraRequest{} },
	},
	{
		name:  "REMB of 1 Mbit/s",
		wire:  "8fce0005 902f9e2e 00000000 52454d42 010bd090 bc5e9a40",
		kind:  KindREMB,
		want:  &REMB{SenderSSRC: 0x902f9e2e, Bitrate: 1_000_000, SSRCs: []uint32{0xbc5e9a40}},
		empty: func() Packet { return &REMB{} },
	},
	{
		name:  "REMB for two SSRCs",
		wire:  "8fce0006 902f9e2e 00000000 52454d42 0200ffff bc5e9a40 00000001",
		kind:  KindREMB,
		want:  &REMB{SenderSSRC: 0x902f9e2e, Bitrate: 0xffff, SSRCs: []uint32{0xbc5e9a40, 1}},
		empty: func() Packet { return &REMB{} },
	},
	{
		name: "TWCC with a two-bit vector, a loss and a negative delta",
		wire: "8fcd0006 902f9e2e bc5e9a40 000a0005 00000103 d1800408 fffe0000",
		kind: KindTransportCC,
		want: &TransportCC{SenderSSRC: 0x902f9e2e, MediaSSRC: 0xbc5e9a40, BaseSequence: 10, PacketCount: 5,
			ReferenceTime: 1, FeedbackCount: 3, Arrivals: []PacketArrival{
				{Sequence: 10, Arrival: 65 * time.Millisecond},
				{Sequence: 12, Arrival: 67 * time.Millisecond},
				{Sequence: 13, Arrival: 66500 * time.Microsecond},
			}},
		empty: func() Packet { return &TransportCC{} },
	},
	{
		name: "TWCC with a one-bit vector across the sequence wrap",
		wire: "8fcd0007 902f9e2e bc5e9a40 fffb000e fffffe00 aaaa0101 01010101 01000000",
		kind: KindTransportCC,
		want: &TransportCC{SenderSSRC: 0x902f9e2e, MediaSSRC: 0xbc5e9a40, BaseSequence: 0xfffb, PacketCount: 14,
			ReferenceTime: 0xfffffe, FeedbackCount: 0, Arrivals: []PacketArrival{
				{Sequence: 0xfffb, Arrival: 0xfffffe*TransportCCReferenceUnit + 250*time.Microsecond},
				{Sequence: 0xfffd, Arrival: 0xfffffe*TransportCCReferenceUnit + 500*time.Microsecond},
				{Sequence: 0xffff, Arrival: 0xfffffe*TransportCCReferenceUnit + 750*time.Microsecond},
				{Sequence: 1, Arrival: 0xfffffe*TransportCCReferenceUnit + 1000*time.Microsecond},
				{Sequence: 3, Arrival: 0xfffffe*TransportCCReferenceUnit + 1250*time.Microsecond},
				{Sequence: 5, Arrival: 0xfffffe*TransportCCReferenceUnit + 1500*time.Microsecond},
				{Sequence: 7, Arrival: 0xfffffe*TransportCCReferenceUnit + 1750*time.Microsecond},
			}},
		empty: func() Packet { return &TransportCC{} },
	},
	{
		name: "TWCC with run length chunks",
		wire: "8fcd0009 902f9e2e bc5e9a40 00000014 00001001 20100004" +
			" 00000000 00000000 00000000 00000000",
		kind: KindTransportCC,
		want: &TransportCC{SenderSSRC: 0x902f9e2e, MediaSSRC: 0xbc5e9a40, BaseSequence: 0, PacketCount: 20,
			ReferenceTime: 16, FeedbackCount: 1, Arrivals: sameArrivals(0, 16, 16*TransportCCReferenceUnit)},
		empty: func() Packet { return &TransportCC{} },
	},
}

// sameArrivals lists n packets from seq, all arrived at the same time.
func sameArrivals(seq uint16, n int, at time.Duration) []PacketArrival {
	var arrivals []PacketArrival
	for i := range n {
		arrivals = append(arrivals, PacketArrival{Sequence: seq + uint16(i), Arrival: at})
	}
	return arrivals
}
