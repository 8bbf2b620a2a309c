// Package rtcp encodes and decodes RTCP packets (RFC 3550) and the feedback messages a WebRTC media plane needs:
// generic NACK, PLI and FIR (RFC 4585, RFC 5104), REMB (draft-alvestrand-rmcat-remb) and transport-wide congestion
// control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01). It does no I/O.
//
// Receiving: a Reader validates a whole SRTCP-decrypted datagram as RFC 3550 appendix A.2 asks (compound, or
// reduced-size per RFC 5506 when negotiated) and then walks its packets without allocating. Kind tells which
// message a packet holds; unknown types and APP packets are simply skipped by the caller. Each message type has an
// Unmarshal method that decodes one packet into a reusable value: slices are truncated and refilled, so a value
// kept across datagrams decodes without allocating once its slices have grown.
//
//	r := rtcp.NewReader(datagram, rtcp.ReducedSize)
//	for r.Next() {
//		switch r.Kind() {
//		case rtcp.KindReceiverReport:
//			err := rr.Unmarshal(r.Packet())
//			...
//		}
//	}
//	if err := r.Err(); err != nil { ... drop and count ... }
//
// Sending: every message type has AppendTo, which appends its wire form to a caller buffer, so a compound packet is
// built by appending a SenderReport or ReceiverReport, then the SDES CNAME (AppendCNAME), then any feedback:
//
//	b, err = sr.AppendTo(b[:0])
//	b, err = rtcp.AppendCNAME(b, ssrc, cname)
//	b, err = nack.AppendTo(b)
//
// With rtcp-rsize negotiated, a feedback message may be sent alone. The NTP helpers (NTPTime, CompactNTP,
// RoundTripTime) give what a reporter needs for SR timestamps and RTT from LSR/DLSR.
//
// Decoded byte slices (CNAME, BYE reason) are copies: they never alias the datagram.
package rtcp
