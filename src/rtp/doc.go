// Package rtp parses, builds and rewrites RTP packets (RFC 3550) for a forwarding media plane.
//
// Nothing here does I/O and nothing on the per-packet path allocates: Header.Unmarshal and Packet.Unmarshal keep views
// into the caller's buffer, and the forwarding helpers (Rewriter, UnwrapRTX, ExtensionValue's writable view) change
// that buffer in place. A parsed Header or Packet is only valid while the buffer it was parsed from is.
//
// What is covered:
//   - the fixed header with CSRCs, padding, and header extensions in the one-byte and two-byte forms (RFC 8285);
//   - values of the extensions a media plane reads: abs-send-time, transport-wide-cc, sdes:mid,
//     video-orientation (3GPP CVO) and ssrc-audio-level (RFC 6464); the transport-wide sequence number is read in
//     one call (Header.TransportCC) and stamped in place as a packet leaves (StampTransportCC);
//   - unwrapping of sequence numbers and timestamps to 64 bits (SequenceUnwrapper, TimestampUnwrapper);
//   - RTX (RFC 4588): UnwrapRTX and AppendRTX, with the original SSRC and payload type always given by the caller;
//   - per-listener rewriting of SSRC, payload type, sequence number and timestamp that stays continuous across
//     source switches (Rewriter).
//
// Payload formats (VP8, VP9, H264, AV1, Opus) live in the sub-package codecs.
package rtp
