package media

import (
	"log/slog"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
	"github.com/heytribe/live-webrtcsignaling/src/webrtc"
)

// sessionFactory makes WebRTC sessions: the webrtc.Engine in production (see engine.go), a fake in unit tests.
type sessionFactory interface {
	newSession(h sessionHandler, log *slog.Logger) (session, error)
}

// session is what the media plane uses of one WebRTC session (webrtc.Session).
type session interface {
	// ID is the session's identifier, the "session" field of its logs.
	ID() string
	// Local is the server's side of the session for the SDP: ICE credentials, fingerprint, candidates.
	Local() negotiate.Local
	// SetRemote gives the browser's ICE credentials and fingerprints, once.
	SetRemote(remote negotiate.Transport) error
	// WriteRTP and WriteRTCP queue a packet without blocking (it is copied); an error means it was dropped.
	WriteRTP(pkt []byte) error
	WriteRTCP(pkt []byte) error
	// ForwardRTP is WriteRTP for a copy of a publisher's packet received at received: the session counts the time
	// from received to the socket write (webrtc.Counters.Forwarding).
	ForwardRTP(pkt []byte, received time.Time) error
	// SetPacing paces the RTP the session sends through p, stamped as it leaves (webrtc.Session.SetPacing).
	SetPacing(p webrtc.Pacing)
	// Close ends the session without waiting; what was written before goes out first. Done is closed at the end.
	Close()
	Done() <-chan struct{}
}

// sessionHandler receives what a session produces, on the session's inbound goroutine, one call at a time. pkt is
// valid during the call only; now is when the session received it, on the media plane's clock (see monotonic).
type sessionHandler interface {
	onState(state webrtc.State, reason webrtc.Reason)
	onRTP(pkt []byte, now time.Duration)
	onRTCP(pkt []byte, now time.Duration)
}

// epoch is the origin of the media plane's monotonic clock.
var epoch = time.Now()

// monotonic is the time since epoch, read from the monotonic clock: cheap, and immune to wall clock steps.
func monotonic() time.Duration { return time.Since(epoch) }

// onClock converts a time with a monotonic reading to the media plane's clock, without reading the clock.
func onClock(t time.Time) time.Duration { return t.Sub(epoch) }

// wallTime converts a time of the media plane's clock back to a time.Time (with its monotonic reading).
func wallTime(d time.Duration) time.Time { return epoch.Add(d) }
