package rtcp

import (
	"errors"
	"testing"
)

// TestMalformed lists packets a peer could send that each parser must refuse with the given error.
func TestMalformed(t *testing.T) {
	cases := []struct {
		name  string
		wire  string
		into  Packet
		error error
	}{
		{"version 1", "41c90001 902f9e2e", &ReceiverReport{}, ErrVersion},
		{"version 0", "01c90001 902f9e2e", &ReceiverReport{}, ErrVersion},
		{"length longer than the packet", "80c90002 902f9e2e", &ReceiverReport{}, ErrLength},
		{"length shorter than the packet", "80c90000 902f9e2e", &ReceiverReport{}, ErrLength},
		{"padding count 0", "a0c90002 902f9e2e 00000000", &ReceiverReport{}, ErrPadding},
		{"padding count beyond the packet", "a0c90001 902f9e09", &ReceiverReport{}, ErrPadding},
		{"padding bit on a bare header", "a0c90000", &ReceiverReport{}, ErrPadding},
		{"RR without SSRC", "80c90000", &ReceiverReport{}, ErrLength},
		{"RR announcing a block it lacks", "81c90001 902f9e2e", &ReceiverReport{}, ErrLength},
		{"SR cut in its sender info", "80c80002 902f9e2e da8bd1fc", &SenderReport{}, ErrLength},
		{"SR announcing two blocks, holding one",
			"82c8000c 902f9e2e da8bd1fc dddda05a aaf4edd5 00000001 00000002" +
				" bc5e9a40 00000000 000046e1 00000111 09f36432 00024a79", &SenderReport{}, ErrLength},
		{"SDES chunk without end item", "81ca0002 902f9e2e 01026162", &SourceDescription{}, ErrLength},
		{"SDES item overrunning", "81ca0002 902f9e2e 01096162", &SourceDescription{}, ErrLength},
		{"SDES item header cut", "81ca0002 902f9e2e 01016102", &SourceDescription{}, ErrLength},
		{"SDES missing its chunk", "81ca0000", &SourceDescription{}, ErrLength},
		{"SDES with a word after its chunks", "81ca0003 902f9e2e 01016100 00000000", &SourceDescription{},
			ErrLength},
		{"BYE missing a source", "82cb0001 902f9e2e", &Goodbye{}, ErrLength},
		{"BYE reason overrunning", "81cb0002 902f9e2e 09627965", &Goodbye{}, ErrLength},
		{"BYE with a word after the reason", "81cb0003 902f9e2e 03627965 00000000", &Goodbye{}, ErrLength},
		{"NACK without FCI", "81cd0002 902f9e2e bc5e9a40", &NACK{}, ErrLength},
		{"feedback without media SSRC", "81cd0001 902f9e2e", &NACK{}, ErrLength},
		{"PLI with FCI", "81ce0003 902f9e2e bc5e9a40 00000000", &PictureLossIndication{}, ErrLength},
		{"FIR without entries", "84ce0002 902f9e2e 00000000", &FullIntraRequest{}, ErrLength},
		{"FIR with half an entry", "84ce0003 902f9e2e 00000000 bc5e9a40", &FullIntraRequest{}, ErrLength},
		{"AFB that is not REMB", "8fce0004 902f9e2e 00000000 52454d43 00000000", &REMB{}, ErrWrongType},
		{"REMB with too few SSRCs", "8fce0005 902f9e2e 00000000 52454d42 020bd090 bc5e9a40", &REMB{}, ErrLength},
		{"REMB with too many SSRCs", "8fce0005 902f9e2e 00000000 52454d42 000bd090 bc5e9a40", &REMB{}, ErrLength},
		{"REMB overflowing 64 bits", "8fce0004 902f9e2e 00000000 52454d42 00ffffff", &REMB{}, ErrInvalid},
		{"TWCC without fixed fields", "8fcd0003 902f9e2e bc5e9a40 000a0005", &TransportCC{}, ErrLength},
		{"TWCC chunks missing", "8fcd0004 902f9e2e bc5e9a40 000a0005 00000103", &TransportCC{}, ErrLength},
		{"TWCC deltas missing", "8fcd0005 902f9e2e bc5e9a40 000a0005 00000103 d1800408", &TransportCC{}, ErrLength},
		{"TWCC reserved symbol", "8fcd0005 902f9e2e bc5e9a40 000a0001 00000103 7fff0000", &TransportCC{},
			ErrInvalid},
		{"TWCC reserved symbol in a vector", "8fcd0005 902f9e2e bc5e9a40 000a0001 00000103 f0000000",
			&TransportCC{}, ErrInvalid},
		{"TWCC empty run", "8fcd0005 902f9e2e bc5e9a40 000a0001 00000103 00000000", &TransportCC{}, ErrInvalid},
		{"TWCC with a word after the deltas",
			"8fcd0006 902f9e2e bc5e9a40 000a0001 00000103 20010400 00000000", &TransportCC{}, ErrLength},
		{"NACK given to the TWCC parser", "81cd0003 902f9e2e bc5e9a40 00640005", &TransportCC{}, ErrWrongType},
		{"FIR given to the PLI parser", "84ce0004 902f9e2e 00000000 bc5e9a40 07000000", &PictureLossIndication{},
			ErrWrongType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.into.Unmarshal(fromHex(t, c.wire))
			if !errors.Is(err, c.error) {
				t.Errorf("Unmarshal = %v, want %v", err, c.error)
			}
		})
	}
}

// TestBuildRefuses lists values the builders must refuse, leaving the buffer as it was. Among them, the original's
// defects (behaviour doc, section 11, item 23): feedback and reports with sender SSRC 0.
func TestBuildRefuses(t *testing.T) {
	long := make([]byte, 256)
	for i := range long {
		long[i] = 'x'
	}
	blocks := make([]ReportBlock, 32)
	cases := []struct {
		name  string
		p     Packet
		error error
	}{
		{"SR with sender SSRC 0", &SenderReport{}, ErrInvalid},
		{"RR with sender SSRC 0", &ReceiverReport{}, ErrInvalid},
		{"PLI with sender SSRC 0", &PictureLossIndication{MediaSSRC: 1}, ErrInvalid},
		{"NACK with sender SSRC 0", &NACK{MediaSSRC: 1, Pairs: []NACKPair{{PacketID: 1}}}, ErrInvalid},
		{"FIR with sender SSRC 0", &FullIntraRequest{Entries: []FIREntry{{SSRC: 1}}}, ErrInvalid},
		{"REMB with sender SSRC 0", &REMB{Bitrate: 1}, ErrInvalid},
		{"TWCC with sender SSRC 0", &TransportCC{}, ErrInvalid},
		{"SR with 32 blocks", &SenderReport{SSRC: 1, Reports: blocks}, ErrTooLarge},
		{"RR with 32 blocks", &ReceiverReport{SSRC: 1, Reports: blocks}, ErrTooLarge},
		{"RR with a loss beyond 24 bits", &ReceiverReport{SSRC: 1, Reports: []ReportBlock{{CumulativeLost: 1 << 23}}},
			ErrTooLarge},
		{"RR with a loss below 24 bits", &ReceiverReport{SSRC: 1,
			Reports: []ReportBlock{{CumulativeLost: -1<<23 - 1}}}, ErrTooLarge},
		{"SDES without CNAME", &SourceDescription{Chunks: []SourceDescriptionChunk{{SSRC: 1}}}, ErrInvalid},
		{"SDES with a long CNAME", &SourceDescription{Chunks: []SourceDescriptionChunk{{SSRC: 1, CNAME: long}}},
			ErrTooLarge},
		{"SDES with 32 chunks", &SourceDescription{Chunks: make([]SourceDescriptionChunk, 32)}, ErrTooLarge},
		{"BYE with a long reason", &Goodbye{Sources: []uint32{1}, Reason: long}, ErrTooLarge},
		{"BYE with 32 sources", &Goodbye{Sources: make([]uint32, 32)}, ErrTooLarge},
		{"NACK without pairs", &NACK{SenderSSRC: 1, MediaSSRC: 2}, ErrInvalid},
		{"FIR without entries", &FullIntraRequest{SenderSSRC: 1}, ErrInvalid},
		{"REMB with 256 SSRCs", &REMB{SenderSSRC: 1, SSRCs: make([]uint32, 256)}, ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prefix := []byte{9, 9}
			b, err := c.p.AppendTo(prefix)
			if !errors.Is(err, c.error) {
				t.Errorf("AppendTo = %v, want %v", err, c.error)
			}
			if len(b) != len(prefix) {
				t.Errorf("AppendTo left %d bytes, want the %d of the prefix", len(b), len(prefix))
			}
		})
	}
}

func TestAppendCNAMERefuses(t *testing.T) {
	long := string(make([]byte, 256))
	for _, cname := range []string{"", long} {
		if b, err := AppendCNAME([]byte{1}, 1, cname); err == nil || len(b) != 1 {
			t.Errorf("AppendCNAME(%d bytes) = %x, %v: want an error and the buffer unchanged", len(cname), b, err)
		}
	}
}
