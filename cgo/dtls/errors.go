package dtls

import "errors"

var (
	// ErrClosed is returned by an Endpoint or Context after Close.
	ErrClosed = errors.New("dtls: closed")
	// ErrPeerClosed is returned once the peer sent close_notify: the session is over, Close the Endpoint.
	ErrPeerClosed = errors.New("dtls: peer sent close_notify")
	// ErrHandshakeTimeout is returned when the handshake did not complete within the configured timeout.
	ErrHandshakeTimeout = errors.New("dtls: handshake timed out")
	// ErrFingerprintMismatch is returned when the peer's certificate does not match the expected fingerprint.
	ErrFingerprintMismatch = errors.New("dtls: peer certificate does not match the expected fingerprint")
	// ErrNoSRTPProfile is returned when the handshake completed without negotiating an SRTP profile.
	ErrNoSRTPProfile = errors.New("dtls: no SRTP profile negotiated")
	// ErrNotConnected is returned by calls that need a completed handshake.
	ErrNotConnected = errors.New("dtls: handshake not complete")
	// ErrDatagramSize is returned for an empty or oversized datagram; the datagram is dropped, the Endpoint goes on.
	ErrDatagramSize = errors.New("dtls: datagram size out of range")
	// ErrBadFingerprint is returned for a fingerprint that is malformed or uses an unsupported hash.
	ErrBadFingerprint = errors.New("dtls: bad fingerprint")
	// ErrBadConfig is returned for invalid Config or EndpointParams.
	ErrBadConfig = errors.New("dtls: bad configuration")
)

// OpenSSLError is a failure reported by OpenSSL, with the messages of its error queue.
type OpenSSLError struct {
	// Op is what the package was doing: "handshake", "read", "write", "retransmit", "close", ...
	Op string
	// Message is OpenSSL's own text (ERR_error_string_n of each queued error, joined by "; ").
	Message string
}

func (e *OpenSSLError) Error() string {
	return "dtls " + e.Op + ": " + e.Message
}
