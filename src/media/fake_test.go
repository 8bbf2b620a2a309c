package media

import (
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
	"github.com/heytribe/live-webrtcsignaling/src/webrtc"
)

// fakeSession records what the media plane writes. Tests drive its handler as a session's inbound goroutine would.
type fakeSession struct {
	handler sessionHandler
	local   negotiate.Local

	mu       sync.Mutex
	remote   *negotiate.Transport
	rtp      [][]byte
	received []time.Time // of each packet given to ForwardRTP
	rtcp     [][]byte
	closed   bool
	writeErr error
	done     chan struct{}
	// pacing stamps each RTP packet as it is written, as the session's writer does when it sends it.
	pacing webrtc.Pacing
}

func (s *fakeSession) SetPacing(p webrtc.Pacing) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pacing = p
}

func (s *fakeSession) ID() string { return s.local.ICEUfrag }

func (s *fakeSession) Local() negotiate.Local { return s.local }

func (s *fakeSession) SetRemote(t negotiate.Transport) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.remote != nil {
		return errors.New("remote already set")
	}
	s.remote = &t
	return nil
}

func (s *fakeSession) WriteRTP(pkt []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("closed")
	}
	if s.writeErr != nil {
		return s.writeErr
	}
	out := slices.Clone(pkt)
	if s.pacing != nil {
		s.pacing.Sending(out, time.Now())
	}
	s.rtp = append(s.rtp, out)
	return nil
}

func (s *fakeSession) ForwardRTP(pkt []byte, received time.Time) error {
	if err := s.WriteRTP(pkt); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received = append(s.received, received)
	return nil
}

func (s *fakeSession) WriteRTCP(pkt []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("closed")
	}
	s.rtcp = append(s.rtcp, slices.Clone(pkt))
	return nil
}

// Close ends the session as webrtc.Session does: the final state is reported, then Done closes.
func (s *fakeSession) Close() {
	s.end(webrtc.StateClosed, webrtc.ReasonClosed)
}

// end finishes the session with a final state, as a failure or a close would.
func (s *fakeSession) end(state webrtc.State, reason webrtc.Reason) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	s.handler.onState(state, reason)
	close(s.done)
}

func (s *fakeSession) Done() <-chan struct{} { return s.done }

func (s *fakeSession) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *fakeSession) sentRTP() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.rtp)
}

func (s *fakeSession) forwardedAt() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.received)
}

func (s *fakeSession) sentRTCP() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.rtcp)
}

func (s *fakeSession) remoteTransport() *negotiate.Transport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remote
}

// fakeLocal is the local side of the n-th fake session.
func fakeLocal(n int) negotiate.Local {
	return negotiate.Local{
		ICEUfrag:     "ufrag" + strconv.Itoa(n),
		ICEPwd:       strings.Repeat("p", 24),
		Fingerprints: []sdp.Fingerprint{{HashFunction: "sha-256", Value: strings.Repeat("AB:", 31) + "AB"}},
		Addrs:        []netip.AddrPort{netip.MustParseAddrPort("192.0.2.1:42042")},
	}
}

// fakeFactory makes fake sessions, numbered in order, and keeps the loggers it was given for them.
type fakeFactory struct {
	mu       sync.Mutex
	sessions []*fakeSession
	loggers  []*slog.Logger
	fail     error
}

func (f *fakeFactory) newSession(h sessionHandler, log *slog.Logger) (session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	s := &fakeSession{handler: h, local: fakeLocal(len(f.sessions)), done: make(chan struct{})}
	f.sessions = append(f.sessions, s)
	f.loggers = append(f.loggers, log)
	return s, nil
}

func (f *fakeFactory) logger(i int) *slog.Logger {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.loggers[i]
}

func (f *fakeFactory) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sessions)
}

func (f *fakeFactory) session(i int) *fakeSession {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sessions[i]
}

// sentEvent is one event the plane sent.
type sentEvent struct {
	to, name string
	data     any
}

// fakeNotifier records events; users maps socketIds to userIds.
type fakeNotifier struct {
	mu     sync.Mutex
	events []sentEvent
	users  map[string]string
}

func (n *fakeNotifier) Send(socketID, name string, data any) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.events = append(n.events, sentEvent{to: socketID, name: name, data: data})
	return true
}

func (n *fakeNotifier) Participant(socketID string) (string, string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	u, ok := n.users[socketID]
	return "room", u, ok
}

func (n *fakeNotifier) sent() []sentEvent {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.events)
}

// loadOffer reads a publisher offer fixture of package sdp.
func loadOffer(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "sdp", "testdata", "offers", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// browserAnswer answers a listener offer as a browser does: every section accepted recvonly with its codecs,
// feedback and extensions, and the browser's own transport with setup:active.
func browserAnswer(t testing.TB, offerText string) string {
	t.Helper()
	return browserAnswerFrom(t, offerText, "brws")
}

// browserAnswerFrom is browserAnswer from the connection whose ICE ufrag is ufrag.
func browserAnswerFrom(t testing.TB, offerText, ufrag string) string {
	t.Helper()
	offer, err := sdp.Unmarshal([]byte(offerText))
	if err != nil {
		t.Fatal(err)
	}
	answer := &sdp.Session{
		Origin:  sdp.Origin{Username: "-", SessionID: 7, SessionVersion: 2, NetworkType: "IN", AddressType: "IP4", Address: "127.0.0.1"},
		Name:    "-",
		Timings: []sdp.Timing{{}},
		Groups:  offer.Groups,
	}
	for _, m := range offer.Media {
		answer.Media = append(answer.Media, &sdp.Media{
			Kind: m.Kind, Port: 9, Protocol: m.Protocol, Formats: m.Formats, Connection: m.Connection, MID: m.MID,
			Transport: sdp.Transport{ICEUfrag: ufrag, ICEPwd: strings.Repeat("b", 24),
				Fingerprints: []sdp.Fingerprint{{HashFunction: "sha-256", Value: strings.Repeat("CD:", 31) + "CD"}},
				Setup:        sdp.SetupActive},
			Direction: sdp.DirectionRecvOnly, ExtMaps: m.ExtMaps, RTCPMux: true, RTCPRsize: true,
			RTPMaps: m.RTPMaps, Fmtps: m.Fmtps, RTCPFeedback: m.RTCPFeedback,
		})
	}
	text, err := answer.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return string(text)
}
