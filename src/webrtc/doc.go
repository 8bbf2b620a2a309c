// Package webrtc terminates the WebRTC sessions of the MCU: one Session per PeerConnection with a browser, doing
// ICE-lite, DTLS (in the role the peer's a=setup leaves) and SRTP over the sockets of package transport, and
// handing decrypted RTP and RTCP to the media plane.
//
// # Engine
//
// One Engine per process owns the sockets (a transport.Mux: UDP, and ICE-TCP when on), the DTLS certificate and
// the dtls.Context:
//
//	eng, err := webrtc.NewEngineWith(webrtc.Config{
//		Transport:      transport.Config{Port: cfg.UDPPort, PortMin: cfg.UDPPortMin, PortMax: cfg.UDPPortMax,
//			PublicIPv4: cfg.PublicIPv4, PublicIPv6: cfg.PublicIPv6, Interfaces: cfg.MediaInterfaces,
//			TCP: cfg.ICETCP, TCPPort: cfg.ICETCPPort},
//		ICETimeout:     cfg.ICETimeout,
//		ConsentTimeout: cfg.ConsentTimeout,
//		DTLSTimeout:    cfg.DTLSTimeout,
//	})
//	defer eng.Close() // ends every session, then the sockets
//
// # Session
//
// A Session is created before the SDP exchange completes, because its local ICE credentials and candidates go in
// the server's description, and it accepts the browser's connectivity checks from that moment:
//
//	s, err := eng.NewSessionWith(webrtc.SessionParams{Handler: h, Logger: logger})
//	local := s.Local()           // negotiate.Local with ICE ufrag/pwd, fingerprint, candidates
//	local.SessionID, local.SessionVersion = ...
//	answer, up, err := negotiate.AnswerPublisher(offer, local, prefs) // or OfferListener, then ReadListenerAnswer
//	err = s.SetRemote(up.Remote) // the browser's ufrag, pwd and fingerprints
//
// SessionParams.Remote may give the remote transport at once when it is already known. Checks that arrive before
// SetRemote are answered when their MESSAGE-INTEGRITY is right (the browser has our description, it may have
// sent its answer through the websocket a moment ago); DTLS datagrams that arrive before SetRemote wait in a small
// queue, since the peer's certificate can only be checked against its fingerprint (and its setup says which side
// of DTLS the session is).
//
// # ICE-lite, DTLS, SRTP
//
// The server is ICE-lite (RFC 8445 6.1.1): it answers checks and never sends any. A check is answered after its
// USERNAME ("<local ufrag>:<remote ufrag>"), FINGERPRINT and MESSAGE-INTEGRITY (the local ICE password) are
// verified; a peer that claims the controlled role gets 487 Role Conflict. A verified check binds its source address
// in the transport (a transport.Addr: a UDP address or an ICE-TCP connection), so that DTLS and SRTP from it reach
// the session; USE-CANDIDATE selects that address for everything the session sends, and a later nomination of
// another address switches to it, between UDP and ICE-TCP and between IPv4 and IPv6 alike (Counters.AddressSwitches).
// Before any nomination the source of the latest verified check is used, except that a TCP check does not take
// media off UDP: browsers check their TCP pairs too, and use them only when UDP fails. Over ICE-TCP, checks, DTLS
// and SRTP are the same packets, each in an RFC 4571 frame.
//
// Timeouts end a session with StateFailed and a Reason (Reason.Phase groups them for logs and clients): no verified check within Config.ICETimeout of creation
// (ReasonICETimeout); after that, no verified check from the selected address for Config.ConsentTimeout
// (ReasonConsentExpired, RFC 7675 consent freshness: browsers check every few seconds); no DTLS handshake completed
// within Config.DTLSTimeout of the first verified check (ReasonDTLSTimeout).
//
// DTLS runs through cgo/dtls in the role the peer's a=setup leaves (RFC 5763 5). Browsers answer active, and
// offer actpass (the server answers passive): the session is the DTLS server and waits for the ClientHello. A
// peer that says passive (pion answers an ICE-lite offerer so, and an upstream offer may say so) makes the session
// the DTLS client: it sends its ClientHello once a check is verified (the selected address is known) and the
// remote transport is known, whichever comes last, and retransmits it on the same timers; Config.DTLSTimeout
// bounds the handshake in both roles. A passive peer must not send DTLS first: what it sends before the
// ClientHello is dropped and counted (Counters.DTLSDropped). setup:holdconn is refused (ErrBadParams). In both
// roles the certificate fingerprint of the peer is checked against its SDP: a mismatch or a fatal alert is
// ReasonDTLSFailed, the peer's close_notify is StateClosed with ReasonPeerClosed. SRTP contexts (cgo/srtp) are
// made from the negotiated profile: AES-GCM when the browser offers it, AES-CM-HMAC-SHA1-80 otherwise. Once SRTP is keyed, the DTLS association only waits for
// close_notify: it drops forged and invalid records silently (a datagram forged with the peer's source address
// changes nothing; Counters.DTLSRecordsDropped counts them), and a fatal alert from the peer fails the session with ReasonDTLSFailed.
//
// # States and the Handler
//
// A Session goes StateNew -> StateChecking (first verified check) -> StateConnected (DTLS done, SRTP ready) ->
// StateClosed or StateFailed. The Handler's OnState is called at every change, and exactly once with the final
// state (StateClosed or StateFailed) and its Reason, whoever ended the session; OnRTP and OnRTCP get every
// decrypted packet while the session is connected. A handler call may use its packet only during the call (the
// buffer is reused), must not block (it runs on the session's inbound goroutine), and must never wait on Done.
//
// # Writing
//
// WriteRTP, ForwardRTP and WriteRTCP never block: they copy the packet into a pooled buffer with room for the SRTP tag and
// queue it (SessionParams.WriteQueue packets at most) for the session's writer goroutine, which protects it and
// sends it to the selected address. When the queue is full, or the session is not connected, the packet is dropped,
// counted, and the call returns ErrQueueFull or ErrNotConnected; a packet shorter than a header or longer than
// MaxPacketSize (what fits a datagram once protected) is refused with ErrPacketSize and counted too. A queued
// packet takes 1,536 bytes, so a full queue of DefaultWriteQueue packets holds 192 KiB. They may be called from
// any goroutine.
//
// # Closing
//
// Close returns at once and is safe from any goroutine, a Handler callback included; Done is closed once the session
// has ended. The end goes in this order: the packets queued by WriteRTP/WriteRTCP before Close (an RTCP BYE, say)
// are sent, then DTLS close_notify (a user_canceled alert during the handshake), then the SRTP and DTLS C memory
// is freed and the transport endpoint unregistered, then OnState reports the end, then both goroutines have
// returned and Done is closed. A Session that fails goes through the same steps by itself. Every goroutine
// recovers from a panic (a Handler's included) and ends the session with ReasonInternal.
//
// # Counters
//
// Session.Stats and Engine.Stats give atomic counters: packets and bytes in and out, drops by reason (STUN
// username, integrity and fingerprint failures, SRTP authentication and replay failures, write queue full, not
// connected...) and, for the Engine, sessions by state and the transport's own counters. Engine totals include the
// sessions that have ended.
//
// Forwarding latency: the Handler gets each packet with the time the session took it from the transport, and a
// packet forwarded to another session goes through ForwardRTP with that time; once its writer has written it to
// the socket, the time since is counted in Counters.Forwarding (a histogram.Doubling, with its sum). This costs the
// writer one clock read and two atomic additions per forwarded packet, and no allocation.
package webrtc
