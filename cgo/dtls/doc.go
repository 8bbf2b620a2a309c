// Package dtls is a thin cgo binding to OpenSSL 3 for DTLS 1.2 with the DTLS-SRTP extension (RFC 5764), as WebRTC
// uses it: a per-process self-signed ECDSA P-256 certificate announced by its fingerprint in SDP, peers
// authenticated by the fingerprint of their certificate (RFC 8122), and SRTP keys exported from the handshake.
//
// The package does no I/O (sans-I/O). An Endpoint takes the datagrams the caller received and returns the datagrams
// to send; the caller owns the socket and the clock:
//
//	ctx, err := dtls.NewContext(cert)              // once per process (cert from NewCertificate)
//	ep, err := ctx.NewEndpointWith(dtls.EndpointParams{Role: dtls.RoleServer, RemoteFingerprints: fps})
//	send, err := ep.Start()                        // a client's first flight; nothing for a server
//	res, err := ep.HandleDatagram(datagram)        // for each DTLS datagram from the peer; send res.Send
//	at, ok := ep.NextTimeout()                     // sleep until then (or the next datagram) ...
//	send, err = ep.HandleTimeout()                 // ... then retransmit
//	keys, err := ep.SRTPKeys()                     // once res.HandshakeComplete
//	send, err = ep.Close()                         // close_notify out, C memory freed
//
// Datagrams to send are returned even together with an error: they may carry the alert that tells the peer why
// the handshake failed. Handshake (a driver over a net.PacketConn) runs that loop for tests and simple callers.
// Retransmissions start after Config.RetransmitTimeout and double up to 60 s; Config.HandshakeTimeout bounds the
// whole handshake. Flights are fragmented by OpenSSL to Config.MTU (1200 bytes by default), one datagram per
// Send entry. A peer's close_notify makes HandleDatagram return ErrPeerClosed: the session is over. Close during
// the handshake, or its timeout, sends a fatal user_canceled alert, so that the peer stops at once; a client past
// its ChangeCipherSpec sends nothing (the alert would have to be encrypted, and OpenSSL 3.0 cannot send one during
// a handshake), and the peer times out.
//
// Invalid records are dropped silently (RFC 6347 4.1.2.7). Once connected, only a record that authenticates as
// the peer's (its close_notify, a fatal alert) ends the association, and a record that does not gets no answer:
// OpenSSL 3.0 itself would fail the association, with an internal_error alert, on an encrypted-epoch record too
// short for its cipher's nonce and tag, so the Endpoint removes such records, and those whose header OpenSSL would
// skip, before OpenSSL sees the datagram, and counts them in Result.Dropped (those OpenSSL drops itself, a wrong
// tag or a replay, are not reported). During the handshake DTLS 1.2 cannot resist a spoofed peer (a
// plaintext alert in epoch 0 is valid then), so nothing is filtered; the handshake timeout bounds it.
//
// Errors: OpenSSL failures are *OpenSSLError values carrying OpenSSL's own messages. Each C call clears the
// thread's error queue first and reads it before returning, because Go may run the next call on another thread.
// A wrong peer certificate is ErrFingerprintMismatch (errors.Is), with OpenSSL's message joined.
//
// SRTP: SRTPKeys gives the negotiated SRTPProfile (its value is the IANA identifier, for the SRTP layer to map)
// and the master key and salt of each direction, already split for the Endpoint's role.
//
// Thread safety: an OpenSSL SSL object is not thread-safe. One goroutine (the session's) owns an Endpoint and calls
// it in order; its methods also hold a mutex, so that a misuse cannot corrupt C memory, but interleaving calls from
// several goroutines makes no protocol sense. A Context is safe for concurrent use.
//
// Memory: every C object is freed by Close. A finalizer (runtime.AddCleanup) frees what a forgotten Close left and
// logs it as a leak: it is a safety net, not the way to release an Endpoint.
//
// Security: the cipher list holds only ECDHE suites with AES-GCM or ChaCha20-Poly1305 (no NULL, anonymous,
// static-RSA or CBC suite: see cipherList); the peer's certificate must match one of RemoteFingerprints (of the
// strongest hash among them, RFC 8122 section 5) or the handshake fails with ErrFingerprintMismatch; SRTP keys
// are never logged, and SRTPKeys hides them from fmt and log/slog.
package dtls
