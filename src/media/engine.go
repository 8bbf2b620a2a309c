package media

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/webrtc"
)

// engineFactory makes the media plane's sessions with a webrtc.Engine.
type engineFactory struct {
	engine *webrtc.Engine
}

func (f engineFactory) newSession(h sessionHandler, log *slog.Logger) (session, error) {
	s, err := f.engine.NewSessionWith(webrtc.SessionParams{Handler: &handlerAdapter{h: h}, Logger: log})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// handlerAdapter turns the webrtc.Handler calls into the media plane's, with each packet's receive time on the
// media plane's clock.
type handlerAdapter struct {
	h sessionHandler
}

func (a *handlerAdapter) OnState(_ *webrtc.Session, state webrtc.State, reason webrtc.Reason) {
	a.h.onState(state, reason)
}

func (a *handlerAdapter) OnRTP(_ *webrtc.Session, pkt []byte, received time.Time) {
	a.h.onRTP(pkt, onClock(received))
}

func (a *handlerAdapter) OnRTCP(_ *webrtc.Session, pkt []byte, received time.Time) {
	a.h.onRTCP(pkt, onClock(received))
}

// handlerRef lets a session be made before the object that handles it: the SDP needs the session's credentials,
// and the upstream is built from the SDP's outcome. Packets before set are dropped (there are none: media needs
// the remote transport, given after set); a final state that comes before set is kept and replayed.
type handlerRef struct {
	target atomic.Pointer[handlerBox]

	mu    sync.Mutex // orders a final state against set
	final *finalState
}

type handlerBox struct{ h sessionHandler }

type finalState struct {
	state  webrtc.State
	reason webrtc.Reason
}

func (r *handlerRef) set(h sessionHandler) {
	r.mu.Lock()
	r.target.Store(&handlerBox{h: h})
	final := r.final
	r.mu.Unlock()
	if final != nil {
		h.onState(final.state, final.reason)
	}
}

func (r *handlerRef) onState(state webrtc.State, reason webrtc.Reason) {
	r.mu.Lock()
	b := r.target.Load()
	if b == nil && state.Final() {
		r.final = &finalState{state: state, reason: reason}
	}
	r.mu.Unlock()
	if b != nil {
		b.h.onState(state, reason)
	}
}

func (r *handlerRef) onRTP(pkt []byte, now time.Duration) {
	if b := r.target.Load(); b != nil {
		b.h.onRTP(pkt, now)
	}
}

func (r *handlerRef) onRTCP(pkt []byte, now time.Duration) {
	if b := r.target.Load(); b != nil {
		b.h.onRTCP(pkt, now)
	}
}
