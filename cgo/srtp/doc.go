// Package srtp is a thin binding to libsrtp2 that protects and unprotects SRTP and SRTCP
// packets in place, for the two DTLS-SRTP profiles WebRTC uses: SRTP_AEAD_AES_128_GCM and
// SRTP_AES128_CM_HMAC_SHA1_80.
//
// A WebRTC session has two contexts: an Inbound built with the remote master key, which
// unprotects what the peer sends whatever its SSRCs, and an Outbound built with the local
// master key, which protects what is sent to the peer on any number of SSRCs:
//
//	profile := srtp.Profile(keys.Profile) // keys: what the DTLS handshake exported (dtls.SRTPKeys)
//	in, err := srtp.NewInbound(profile, keys.RemoteKey, keys.RemoteSalt)
//	out, err := srtp.NewOutbound(profile, keys.LocalKey, keys.LocalSalt)
//	plain, err := in.UnprotectRTP(received) // in place; ErrReplay, ErrAuth: drop and count
//	wire, err := out.ProtectRTP(pkt)        // pkt has MaxRTPOverhead bytes of spare capacity
//	err = errors.Join(in.Close(), out.Close())
//
// # Buffers
//
// Every operation works in place on the caller's slice and returns a reslice of it; this
// package allocates nothing per packet, in Go or in its C shim (Debian's libsrtp2 is built on
// NSS, which allocates a cipher context per packet inside libsrtp). Protection appends the tag
// (and, for RTCP, the SRTCP index) into the slice's spare capacity: give ProtectRTP a slice
// with MaxRTPOverhead spare bytes and ProtectRTCP one with MaxRTCPOverhead, or the exact
// Profile.RTPOverhead and Profile.RTCPOverhead (libsrtp writes nothing past them, which the
// tests check). libsrtp also requires packets to start on a 4-byte boundary: the start of a
// []byte of 16 bytes or more from make is, in practice, so slice packets from buffer starts.
//
// # Errors
//
// Packets from the network are checked before libsrtp sees them (length, version, CSRC and
// header-extension bounds): a malformed one gives ErrMalformedPacket. libsrtp failures are
// *Error values carrying libsrtp's status and its description; a replayed packet satisfies
// errors.Is(err, ErrReplay) and a forged or corrupted one errors.Is(err, ErrAuth). libsrtp
// checks the replay window before the tag, so a forged copy of a packet already received is
// reported as a replay. Those errors are preallocated: counting and dropping them on the hot
// path is cheap.
//
// # Concurrency
//
// libsrtp contexts are not thread-safe, so each Inbound and Outbound serialises its calls
// with a mutex: any method may be called from any goroutine, and Close is safe against
// concurrent packet operations (they get ErrClosed afterwards). The expected use, one
// goroutine per direction, never contends on it. Different contexts share nothing but
// libsrtp's one-time initialisation.
//
// # Memory
//
// Each context holds C memory (libsrtp's state: about 20 KiB for GCM, 30 KiB for CM with
// Debian's libsrtp2, plus a stream per SSRC seen, kept until Close) that Close frees. A context
// dropped without Close is freed by the garbage collector as a safety net, which logs a
// warning: that is a leak to fix.
// Keys are never logged and never kept in Go memory by this package.
//
// libsrtp is initialised once per process, by this package, when the first context is created:
// nothing else in the process may call srtp_init, which fails when called a second time.
package srtp
