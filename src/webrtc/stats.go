package webrtc

import (
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/histogram"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
)

// Counters are the packet counters of one Session, or summed over the sessions of an Engine.
type Counters struct {
	// ChecksOK counts verified connectivity checks answered with success.
	ChecksOK uint64
	// STUN requests dropped or answered with an error, by cause: not parseable or not a usable check
	// (STUNMalformed), USERNAME of another session (STUNUsername), MESSAGE-INTEGRITY missing or wrong
	// (STUNIntegrity), FINGERPRINT missing or wrong (STUNFingerprint), peer claiming the controlled role
	// (STUNRoleConflict, answered 487).
	STUNMalformed, STUNUsername, STUNIntegrity, STUNFingerprint, STUNRoleConflict uint64
	// DTLSIn counts DTLS datagrams handed to the handshake or the association; DTLSDropped those dropped before
	// (the queue before SetRemote was full, the datagram was empty or too large, or a passive peer sent it before
	// the session's ClientHello). DTLSRecordsDropped counts the
	// records the association dropped once connected because they could not authenticate (forged, truncated,
	// another version): they end nothing, but a rise means someone spoofs the peer's address. Records OpenSSL
	// drops itself (a wrong tag, a replay) are not counted.
	DTLSIn, DTLSDropped, DTLSRecordsDropped uint64
	// RTPIn, RTCPIn and MediaBytesIn count decrypted packets given to the Handler (bytes before decryption).
	RTPIn, RTCPIn, MediaBytesIn uint64
	// SRTP packets dropped: authentication failed (SRTPAuth), replayed (SRTPReplay), malformed or another
	// libsrtp error (SRTPOther), or received before the session was connected (SRTPEarly).
	SRTPAuth, SRTPReplay, SRTPOther, SRTPEarly uint64
	// RTPOut, RTCPOut and MediaBytesOut count protected packets sent (bytes after protection).
	RTPOut, RTCPOut, MediaBytesOut uint64
	// Writes dropped: the write queue was full (WriteQueueFull), the session was not connected or was closing
	// (WriteNotConnected), protection or the socket failed (WriteErrors), the packet was shorter than a header or
	// longer than MaxPacketSize (WriteBadSize: a bug of the caller, the packet would not fit a datagram), the
	// pacer's queue was full (WritePacerDrops: a session with Pacing whose estimate is far below what it is given).
	WriteQueueFull, WriteNotConnected, WriteErrors, WriteBadSize, WritePacerDrops uint64
	// AddressSwitches counts nominations that moved the selected address.
	AddressSwitches uint64
	// Forwarding is the time from the arrival of a packet to the socket write of each copy of it given to
	// ForwardRTP (another session's packet, forwarded): the server's own forwarding latency, queues included.
	// Its buckets double from 2 µs (ForwardingUnit) to about 1 s (ForwardingBuckets).
	Forwarding histogram.Doubling
}

// SessionStats describe one Session.
type SessionStats struct {
	Counters
	State  State
	Reason Reason
	// Selected is the address media is sent to, over UDP or ICE-TCP; invalid before the first verified check.
	Selected transport.Addr
	// SRTPProfile is the negotiated profile's name, "" before the handshake.
	SRTPProfile string
	// Transport are the counters of the session's transport endpoint.
	Transport transport.EndpointStats
}

// Stats describe an Engine.
type Stats struct {
	// Counters are summed over every session the Engine has had, ended ones included.
	Counters
	// SessionsNew, SessionsChecking and SessionsConnected are the live sessions in each state.
	SessionsNew, SessionsChecking, SessionsConnected int64
	// SessionsClosed and SessionsFailed count the sessions that ended in each final state.
	SessionsClosed, SessionsFailed uint64
	// Ended counts the ended sessions by Reason.
	Ended map[Reason]uint64
	// Transport are the counters of the sockets.
	Transport transport.Stats
}

// The buckets of Counters.Forwarding: bucket 0 below 2 µs, the last one from 2^20 µs (about 1 s) on.
const (
	ForwardingUnit    = 2 * time.Microsecond
	ForwardingBuckets = 21
)

// counters are the atomic counters behind Counters. The inbound goroutine writes most of them; writes from any
// goroutine update the Write* ones.
type counters struct {
	checksOK, stunMalformed, stunUsername, stunIntegrity, stunFingerprint, stunRoleConflict atomic.Uint64
	dtlsIn, dtlsDropped, dtlsRecordsDropped                                                 atomic.Uint64
	rtpIn, rtcpIn, mediaBytesIn                                                             atomic.Uint64
	srtpAuth, srtpReplay, srtpOther, srtpEarly                                              atomic.Uint64
	rtpOut, rtcpOut, mediaBytesOut                                                          atomic.Uint64
	writeQueueFull, writeNotConnected, writeErrors, writeBadSize, writePacerDrops           atomic.Uint64
	addressSwitches                                                                         atomic.Uint64
	forwarding                                                                              *histogram.Counter
}

// addTo adds the counters to sum.
func (c *counters) addTo(sum *Counters) {
	sum.ChecksOK += c.checksOK.Load()
	sum.STUNMalformed += c.stunMalformed.Load()
	sum.STUNUsername += c.stunUsername.Load()
	sum.STUNIntegrity += c.stunIntegrity.Load()
	sum.STUNFingerprint += c.stunFingerprint.Load()
	sum.STUNRoleConflict += c.stunRoleConflict.Load()
	sum.DTLSIn += c.dtlsIn.Load()
	sum.DTLSDropped += c.dtlsDropped.Load()
	sum.DTLSRecordsDropped += c.dtlsRecordsDropped.Load()
	sum.RTPIn += c.rtpIn.Load()
	sum.RTCPIn += c.rtcpIn.Load()
	sum.MediaBytesIn += c.mediaBytesIn.Load()
	sum.SRTPAuth += c.srtpAuth.Load()
	sum.SRTPReplay += c.srtpReplay.Load()
	sum.SRTPOther += c.srtpOther.Load()
	sum.SRTPEarly += c.srtpEarly.Load()
	sum.RTPOut += c.rtpOut.Load()
	sum.RTCPOut += c.rtcpOut.Load()
	sum.MediaBytesOut += c.mediaBytesOut.Load()
	sum.WriteQueueFull += c.writeQueueFull.Load()
	sum.WriteNotConnected += c.writeNotConnected.Load()
	sum.WriteErrors += c.writeErrors.Load()
	sum.WriteBadSize += c.writeBadSize.Load()
	sum.WritePacerDrops += c.writePacerDrops.Load()
	sum.AddressSwitches += c.addressSwitches.Load()
	sum.Forwarding = sum.Forwarding.Plus(c.forwarding.Snapshot())
}
