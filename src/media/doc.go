// Package media is the MCU's media plane: it answers each participant's upstream offer, offers every other
// participant that stream on a listener session of its own, and forwards the packets between them, with the RTCP
// feedback that keeps them flowing, or, through the VideoTranscoder main gives it (Config.Transcoder), sends a
// receiver a transcoded tier of the publisher's video when its link or its decoder calls for one (adapt.go,
// policy.go, tiers.go; docs/ARCHITECTURE.md, Transcoding). The sessions themselves (ICE-lite, DTLS, SRTP)
// are package webrtc's.
//
// # Use
//
// One Plane per process, built from the webrtc.Engine and a Notifier (the signaling server, which it implements
// signaling.MediaPlane for):
//
//	plane, err := media.NewPlaneWith(media.Config{VideoCodecs: []string{"vp8", "h264"}}, engine, notifier)
//	srv, err := signaling.NewServerWith(opts, verifier, bus, plane, logger)
//	...
//	err = plane.Close(ctx) // after the signaling server has drained, before engine.Close
//
// # Sessions and events
//
// Per participant: at most one upstream (its publisher session) and one listener session per other publisher of
// the room, kept in a map keyed by the publisher, so that a pair exists once whatever the order of joins and
// publications. Publish answers the upstream offer; when its first packet arrives the participant gets
// eventWebrtcUp from "publisher" and every other participant of the room an offer (eventExchangeSdp) from it. A
// newcomer gets an offer per flowing publisher at once, whether it publishes or not. Answer starts the listener;
// eventWebrtcUp from the publisher follows its first packet. A new upstream offer replaces the upstream: its
// listeners are offered the new stream on their existing sessions (a renegotiation of the browser's connection)
// when its sections have the same kinds, else on new sessions after eventWebrtcDown "replaced".
//
// A session that fails (ice-timeout, consent-expired, dtls-timeout, dtls-failed, internal-error) or that the
// browser closes (peer-closed) is reported with eventWebrtcDown {from, reason, phase} and logged with the
// participant's fields. A failed listener is offered again after Config.ReofferDelay, Config.MaxReoffers times
// in a row at most. A failed upstream leaves its listeners idle until the participant publishes again. Leave and
// the end of the reconnect grace (Left) close every session of the participant and every listener of its
// stream, each with an RTCP BYE; no event is sent for them: eventLeave already tells. Sessions belong to the
// participant, not to its websocket: a reconnect keeps them.
//
// # Forwarding
//
// The Plane is the orchestration (who receives whom, offers, events); the forwarding engine (forwarder) is the
// media side of its sessions, which the Plane drives through a narrow API (newUpstream, newDownlink, newFeed,
// attach, detach, detachUpstream, switchSource) and which reports back through two hooks per session.
//
// A receiver gets each stream through a downtrack, fed by one source at a time: a publisher's track today, a
// transcoded tier later. A source fans its packets out to a copy-on-write list of downtracks on one goroutine, its
// feeder's, which alone touches those downtracks' send histories and rewriters (no lock per packet) and serves
// their retransmission requests. For a publisher's track the feeder is the publisher session's inbound goroutine:
// it parses each packet once, finds its track (by SSRC, or learns it from the payload type), unwraps RTX, detects
// losses and keyframes, then hands a copy to each downtrack: it waits for a keyframe before the first video packet
// (and asks for one), copies the packet once, into its send history, with the receiver's header extension ids
// (abs-send-time and the transport-wide number stamped as the packet leaves, the publisher's mid and transport-wide
// numbers dropped), rewrites SSRC, payload type, sequence number and timestamp (rtp.Rewriter), and queues it on the
// listener's session, which never blocks. A slow listener only loses its own packets.
//
// A downtrack switches to another source of its kind and codec on a keyframe of the new one, which continues the
// receiver's stream (sequence numbers, timestamps, and VP8 picture IDs: codecs.VP8PictureRewriter); until then the
// old source keeps feeding it (switch.go).
//
// # Feedback
//
//   - Listeners' NACKs are queued to the feeder of their downtrack's source, which owns the send histories, and
//     answered with RTX when negotiated, else with the packet itself.
//   - Losses on the upstream are NACKed at once, then once per round trip (the round trip of the participant's
//     listener sessions, from their RRs: the ICE-lite server sends no checks to measure it), up to 8 times or 1 s;
//     a packet given up, or a burst too large to recover, asks for a keyframe.
//   - Keyframe requests (listeners' PLI and FIR, starts, the server's own) reach the publisher as one PLI (FIR
//     when it negotiated only that) per Config.KeyframeInterval at most.
//   - Every second each publisher gets an RR with LSR/DLSR, its CNAME, and a REMB (at once between reports when it
//     fell by more than 10 %): the lowest estimate of the
//     receivers of its own video, within [MinVideoBitrate, MaxVideoBitrate] and, when the plane transcodes, never
//     below the best tier's bitrate: a receiver whose estimate is lower takes a tier instead. A receiver's estimate
//     is behind one interface (congestion.Estimate).
//   - A publisher that negotiated transport-cc (Config.NoTransportCC unset) gets transport-wide feedback
//     (congestion.FeedbackRecorder, every 50 ms and at once on a loss burst) and estimates its uplink itself; it
//     gets a REMB only while its receivers need less than MaxVideoBitrate (and one more when that ends), which
//     Chromium's send-side estimator takes as a cap on its target.
//   - Every listener session paces what it sends (webrtc.Session.SetPacing, pacing.go) at 2.5 times the receiver's
//     estimate, and stamps each packet as it leaves the pacer: abs-send-time, and for a receiver that negotiated
//     transport-cc the transport-wide sequence number of its congestion.SendSide, whose estimate, from the
//     receiver's feedback, is then the receiver's estimate (else its REMB). Probes are RTX padding, or padding on
//     the video stream between frames for a receiver without RTX.
//   - Every second each listener gets an SR per stream, with the RTP time mapped from the source's clock (for a
//     publisher's track, its own SRs through one clock offset per publisher, so that its audio and video stay in
//     sync), and the publisher's CNAME.
//
// Plane.Stats gives the counters: sessions, packets and bytes, drops by cause, NACK, RTX, PLI, FIR and REMB
// counts. Each forwarded copy goes to its listener's session with its publisher packet's receive time
// (webrtc.Session.ForwardRTP), so that the forwarding latency, from receipt to the socket write, is measured by
// package webrtc, where the packet leaves (webrtc.Counters.Forwarding).
package media
