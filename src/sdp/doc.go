// Package sdp reads and writes Session Description Protocol documents (RFC 8866) with the attributes WebRTC uses:
// RFC 8829 (JSEP), 8839 (ICE candidates), 8842 (DTLS setup and fingerprint), 8843 (BUNDLE), 8851 (rid),
// 8853 (simulcast), 8285 (extmap), 5576 (ssrc and ssrc-group), 8830 (msid), 4585 (rtcp-fb) and 5761 (rtcp-mux).
//
// Unmarshal turns a document into a Session, a plain value with typed fields for every attribute above; attributes
// it does not know are kept, in order, in Attributes. Marshal writes a Session back in a fixed, browser-like order,
// so that Unmarshal(Marshal(s)) gives back s: the text may differ from what was parsed (attribute order, spacing,
// the case of a transport name) but it means the same.
//
// The parser is lenient where browsers are: LF or CRLF line endings, blank lines, trailing spaces, session lines in
// any order after v=, unknown attributes, fmtp values with any printable character, mDNS host names in candidates.
// It is strict where a value would be ambiguous or unsafe: duplicate mids, payload types or extmap ids, two
// directions in one section, control characters, numbers out of range. Every rejection is a *ParseError that names
// the line.
//
// Media.Codecs joins rtpmap, fmtp and rtcp-fb into one Codec per payload type, in the order of the m= line, so that
// callers never depend on map iteration order. Offer/answer negotiation for the MCU lives in the sub-package
// negotiate.
package sdp
