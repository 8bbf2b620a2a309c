// Package negotiate is the offer/answer logic of the MCU on top of package sdp: it answers publishers, offers to
// listeners, and turns each exchange into a Result of plain structs for the media plane, so that nothing has to be
// dug out of SDP text again.
//
// The server is ICE-lite (a=ice-lite, host candidates only, no trickle: every description it writes ends its
// candidates), the DTLS server unless the browser chooses to be (Transport.Setup), rtcp-mux only, and bundles audio and video of one PeerConnection on the one
// UDP port of Local.Addrs (and the passive ICE-TCP candidates of Local.TCPAddrs, ranked below every UDP one, for
// browsers whose UDP is blocked). Payload types, header extension ids and every other choice are deterministic: preference
// order first, then the order of the m= line, never map order.
//
// # Upstream: a participant publishes
//
// The browser offers; the server answers with AnswerPublisher:
//
//	offer, err := sdp.Unmarshal(msg.SDP)             // a *sdp.ParseError names the bad line
//	answer, up, err := negotiate.AnswerPublisher(offer, local, prefs)
//	text, err := answer.Marshal()                     // send as eventExchangeSdp type "answer"
//
// The first audio and the first video section that the server can receive are accepted: recvonly, the first codec of
// prefs.Audio or prefs.Video that the offer has (H264 needs the same packetization-mode and profile; among several
// matching payload types the first of the m= line wins), its RTX by apt, the offered RTCP feedback and header
// extensions found in prefs, rtcp-rsize when offered, and b=TIAS/b=AS when prefs caps the bitrate. Every other section
// (a data channel, a second video, a section that does not send, one outside the BUNDLE group) is answered with port 0,
// never dropped; Media.Reason says why, for the logs. ErrNoMedia when nothing is left, ErrTransport when the offer
// lacks ICE credentials or a fingerprint or has setup:holdconn. The answer is setup:passive (the server is the DTLS
// server) to an actpass or active offer, and setup:active (the server is the DTLS client) to a passive one.
//
// up.Remote holds what the transport needs: the browser's ice-ufrag and ice-pwd (to check STUN USERNAME and
// MESSAGE-INTEGRITY), its fingerprints (the DTLS client certificate must match one), its setup and candidates.
// Each up.Media[i] gives the kind, mid, codec (payload type, clock rate, channels, fmtp, negotiated feedback), the
// RTX payload type, the extension ids (ExtensionID(negotiate.ExtTransportCC)...), and the SSRCs the browser
// announced (Streams: primary and RTX from the FID group, one per simulcast layer; empty when the browser only
// signals rids, in which case packets are matched by mid and rid header extensions). Simulcast rids are listed
// in RIDs but not accepted: the answer has no a=simulcast, so the browser sends a single stream.
//
// # Downstream: a participant listens to another one
//
// The server offers with OfferListener, one Track per forwarded stream, usually the publisher's negotiated codec so
// that packets are forwarded unchanged (its payload types are kept when free):
//
//	offer, err := negotiate.OfferListener(local, []negotiate.Track{
//		{Kind: sdp.KindAudio, Codecs: []negotiate.Codec{up.Media[0].Codec}, SSRC: a, CNAME: cname,
//			StreamID: socketID, TrackID: "audio", Feedback: ..., Extensions: ...},
//		{Kind: sdp.KindVideo, Codecs: []negotiate.Codec{up.Media[1].Codec}, SSRC: v, RTXSSRC: rtx,
//			CNAME: cname, StreamID: socketID, TrackID: "video", Feedback: ..., Extensions: ...},
//	})
//
// Sections are sendonly with mids "0", "1"..., setup:actpass, the SSRCs with a FID group for RTX, one CNAME per
// publisher (lip sync) and an msid. When the browser answers, ReadListenerAnswer(offer, answer) checks the answer
// against the offer and returns the same Result: the codec and RTX payload type the browser kept, the feedback
// both sides listed, the extension ids of the answer, and the browser's transport. Its setup is its choice for
// the offer's actpass (RFC 5763 section 5): active (the usual one: the server is the DTLS server) or passive (the
// server is the DTLS client); actpass and holdconn are ErrTransport.
//
// Keep each Local per PeerConnection: fresh ICE credentials (ufrag 4+ and pwd 22+ ICE characters), the process's
// certificate fingerprint, a SessionID from sdp.NewSessionID and a SessionVersion that grows with each new
// description.
package negotiate
