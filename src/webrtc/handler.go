package webrtc

import "time"

// Handler receives what a Session produces. Its methods run on the session's inbound goroutine, one at a time:
// they must not block, must not keep pkt after returning (copy what must outlive the call), and must never wait on
// the Session's Done (Close is fine: it does not wait).
type Handler interface {
	// OnState reports each change of state. The last call has StateClosed or StateFailed and the Reason; it comes
	// after the session has unregistered and freed its C memory, and before Done is closed.
	OnState(s *Session, state State, reason Reason)
	// OnRTP gets one decrypted RTP packet (header and payload, no SRTP tag). received is when the session took
	// the datagram from the transport, with a monotonic reading: give it to ForwardRTP with each copy forwarded.
	OnRTP(s *Session, pkt []byte, received time.Time)
	// OnRTCP gets one decrypted RTCP packet, compound as received, and when it was received.
	OnRTCP(s *Session, pkt []byte, received time.Time)
}
