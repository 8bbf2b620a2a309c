package webrtc

import "strconv"

// State is where a Session is in its life.
type State int32

// The states of a Session, in the order they are reached. StateClosed and StateFailed are final.
const (
	// StateNew: created, no verified connectivity check yet.
	StateNew State = iota
	// StateChecking: a check was verified; DTLS is under way.
	StateChecking
	// StateConnected: DTLS is done and SRTP ready: media flows both ways.
	StateConnected
	// StateClosed: ended by Close, by the peer's close_notify, or by the Engine's Close.
	StateClosed
	// StateFailed: ended by a timeout or an error; the Reason says which.
	StateFailed
	numStates
)

// String returns the state's name.
func (s State) String() string {
	switch s {
	case StateNew:
		return "new"
	case StateChecking:
		return "checking"
	case StateConnected:
		return "connected"
	case StateClosed:
		return "closed"
	case StateFailed:
		return "failed"
	default:
		return "State(" + strconv.Itoa(int(s)) + ")"
	}
}

// Final reports whether s ends a Session.
func (s State) Final() bool { return s == StateClosed || s == StateFailed }

// Reason says why a Session ended. Its values are the reasons of the eventWebrtcDown event that the media plane
// sends to clients, so they are stable strings.
type Reason string

// The reasons a Session ends.
const (
	// ReasonNone: the Session has not ended.
	ReasonNone Reason = ""
	// ReasonClosed: Session.Close was called (StateClosed).
	ReasonClosed Reason = "closed"
	// ReasonEngineClosed: the Engine was closed, at shutdown (StateClosed).
	ReasonEngineClosed Reason = "engine-closed"
	// ReasonPeerClosed: the peer sent DTLS close_notify (StateClosed).
	ReasonPeerClosed Reason = "peer-closed"
	// ReasonICETimeout: no verified connectivity check within Config.ICETimeout of the creation (StateFailed).
	ReasonICETimeout Reason = "ice-timeout"
	// ReasonConsentExpired: no verified check from the selected address for Config.ConsentTimeout (StateFailed).
	ReasonConsentExpired Reason = "consent-expired"
	// ReasonDTLSTimeout: the DTLS handshake did not complete within Config.DTLSTimeout (StateFailed).
	ReasonDTLSTimeout Reason = "dtls-timeout"
	// ReasonDTLSFailed: the DTLS handshake failed (certificate fingerprint mismatch, fatal alert, no SRTP
	// profile), or the peer sent a fatal alert after it (StateFailed).
	ReasonDTLSFailed Reason = "dtls-failed"
	// ReasonInternal: a bug or a failure of the server itself (a panic, a C library failure) (StateFailed).
	ReasonInternal Reason = "internal-error"
)

// Phase names the part of the connection a Reason belongs to, for logs and the eventWebrtcDown event: "ice",
// "dtls", "internal", or "" for the closes that are not failures.
func (r Reason) Phase() string {
	switch r {
	case ReasonICETimeout, ReasonConsentExpired:
		return "ice"
	case ReasonDTLSTimeout, ReasonDTLSFailed, ReasonPeerClosed:
		return "dtls"
	case ReasonInternal:
		return "internal"
	default:
		return ""
	}
}
