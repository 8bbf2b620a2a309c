package rtcp_test

import (
	"fmt"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
)

// A receiver walks a decrypted datagram, decoding what it needs into values it keeps, and skipping the rest.
func ExampleReader() {
	datagram := []byte{
		0x81, 0xc9, 0x00, 0x07, 0x90, 0x2f, 0x9e, 0x2e, // RR from 0x902f9e2e with one block
		0xbc, 0x5e, 0x9a, 0x40, 0x10, 0x00, 0x00, 0x03, 0x00, 0x01, 0x46, 0xe1,
		0x00, 0x00, 0x01, 0x68, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x80, 0xcc, 0x00, 0x02, 0x90, 0x2f, 0x9e, 0x2e, 'n', 'a', 'm', 'e', // APP, skipped
		0x81, 0xce, 0x00, 0x02, 0x90, 0x2f, 0x9e, 0x2e, 0xbc, 0x5e, 0x9a, 0x40, // PLI
	}
	var (
		rr  rtcp.ReceiverReport
		pli rtcp.PictureLossIndication
	)
	for r := rtcp.NewReader(datagram, rtcp.ReducedSize); r.Next(); {
		switch r.Kind() {
		case rtcp.KindReceiverReport:
			if err := rr.Unmarshal(r.Packet()); err != nil {
				fmt.Println("bad RR:", err)
				continue
			}
			b := rr.Reports[0]
			fmt.Printf("RR on %#x: %d/256 lost, jitter %v\n", b.SSRC, b.FractionLost, b.JitterDuration(90000))
		case rtcp.KindPLI:
			if err := pli.Unmarshal(r.Packet()); err == nil {
				fmt.Printf("PLI for %#x\n", pli.MediaSSRC)
			}
		default:
			fmt.Println("skipped", r.Kind())
		}
	}
	// Output:
	// RR on 0xbc5e9a40: 16/256 lost, jitter 4ms
	// skipped unknown
	// PLI for 0xbc5e9a40
}

// A sender builds a compound packet into a reused buffer: a report first, the CNAME, then feedback.
func ExampleAppendCNAME() {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	const ssrc, publisher = 0x11223344, 0x55667788
	rr := rtcp.ReceiverReport{SSRC: ssrc, Reports: []rtcp.ReportBlock{{SSRC: publisher, HighestSequence: 1200}}}
	nack := rtcp.NACK{SenderSSRC: ssrc, MediaSSRC: publisher,
		Pairs: rtcp.NACKPairsFromSequences(nil, []uint16{1190, 1192, 1193})}
	fir := rtcp.FullIntraRequest{SenderSSRC: ssrc, Entries: []rtcp.FIREntry{{SSRC: publisher, SequenceNumber: 1}}}

	buf := make([]byte, 0, 1500)
	b, err := rr.AppendTo(buf)
	if err == nil {
		b, err = rtcp.AppendCNAME(b, ssrc, "mcu")
	}
	if err == nil {
		b, err = nack.AppendTo(b)
	}
	if err == nil {
		b, err = fir.AppendTo(b)
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(b), "bytes, valid compound:", rtcp.Validate(b, rtcp.Compound) == nil)
	fmt.Printf("NTP time of the report: %#x\n", rtcp.NTPTime(now))
	// Output:
	// 84 bytes, valid compound: true
	// NTP time of the report: 0xeeaffac000000000
}
