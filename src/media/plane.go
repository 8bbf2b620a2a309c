package media

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/protocol"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
	"github.com/heytribe/live-webrtcsignaling/src/webrtc"
)

// Notifier is how the media plane reaches clients; the signaling server implements it.
type Notifier interface {
	// Send queues the event {"a":name,"d":data} for socketID, and reports false when it is gone. It never blocks.
	Send(socketID, name string, data any) bool
	// Participant returns the room and user of socketID.
	Participant(socketID string) (roomID, userID string, ok bool)
}

// Plane is the MCU's media plane: it answers publishers, offers each participant the stream of every other one,
// and forwards media between their sessions. It implements signaling.MediaPlane.
//
// The Plane is the orchestration: rooms, offers and answers, events, re-offers. The media side of its sessions is
// the forwarding engine's (forwarder), which it tells what to attach to what. Rooms and participants are kept under
// one lock, never held across a call into another component; the forwarder's attach and detach are called with it
// held, so that they follow the Plane's decisions in order (lock order: the Plane's, then the forwarder's). The calls
// of the signaling server (Publish, Answer, Candidate) do their work on the caller's goroutine; what reacts to joins,
// leaves and sessions' progress (offers, events) runs on the Plane's one worker goroutine, in order.
type Plane struct {
	cfg      Config
	prefs    negotiate.Preferences
	factory  sessionFactory
	notifier Notifier
	log      *slog.Logger
	counters counters
	// fwd is the forwarding engine: the media side of the sessions the Plane makes.
	fwd *forwarder

	mu     sync.Mutex
	rooms  map[string]map[string]*participant
	timers map[*time.Timer]struct{}
	closed bool

	jobsMu     sync.Mutex
	jobs       []func()
	jobsClosed bool
	wake       chan struct{}
	workerDone chan struct{}
}

// participant is one member of a room as the media plane sees it.
type participant struct {
	socketID, roomID string
	// cname is shared by the participant's audio and video in every listener session: one CNAME per publisher
	// lets browsers synchronise its audio and video.
	cname string
	// rtt is the round trip to the participant, measured by its listener sessions.
	rtt pathRTT

	// Guarded by Plane.mu.
	userID string
	up     *upstream
	// listeners are the sessions through which the participant receives others, by publisher socketId: at most
	// one per pair.
	listeners map[string]*listener
	// failures counts the listener sessions that failed in a row, by publisher socketId: an entry lives from a
	// failure until the stream flows again or the publisher leaves, so that a participant that stays in a room
	// with churn keeps none for those gone.
	failures map[string]int
	gone     bool
}

func newParticipant(roomID, socketID string) *participant {
	return &participant{
		socketID:  socketID,
		roomID:    roomID,
		cname:     randomToken(16),
		listeners: make(map[string]*listener),
		failures:  make(map[string]int),
	}
}

// from names the participant in events about its stream. Called with Plane.mu held or from the worker.
func (pt *participant) from() protocol.From {
	return protocol.From{SocketID: pt.socketID, UserID: pt.userID}
}

// NewPlaneWith builds a Plane whose sessions are made by engine and whose events reach clients through notifier.
func NewPlaneWith(cfg Config, engine *webrtc.Engine, notifier Notifier) (*Plane, error) {
	if engine == nil {
		return nil, fmt.Errorf("%w: no webrtc engine", ErrBadConfig)
	}
	return newPlane(cfg, engineFactory{engine: engine}, notifier)
}

func newPlane(cfg Config, factory sessionFactory, notifier Notifier) (*Plane, error) {
	if notifier == nil {
		return nil, fmt.Errorf("%w: no notifier", ErrBadConfig)
	}
	if err := cfg.applyDefaults(); err != nil {
		return nil, err
	}
	prefs, err := cfg.preferences()
	if err != nil {
		return nil, err
	}
	prefs.VideoMaxBitrate = cfg.MaxVideoBitrate
	p := &Plane{
		cfg:        cfg,
		prefs:      prefs,
		factory:    factory,
		notifier:   notifier,
		log:        cfg.Logger,
		rooms:      make(map[string]map[string]*participant),
		timers:     make(map[*time.Timer]struct{}),
		wake:       make(chan struct{}, 1),
		workerDone: make(chan struct{}),
	}
	p.fwd = newForwarder(&p.cfg, &p.counters)
	go p.work()
	return p, nil
}

// Stats returns the plane's counters.
func (p *Plane) Stats() Stats { return p.counters.snapshot() }

// TranscodeStats returns the transcoding's counters and each video receiver's choice; zero when it is off.
func (p *Plane) TranscodeStats() TranscodeStats {
	if p.fwd.tc == nil {
		return TranscodeStats{}
	}
	return p.fwd.tc.stats()
}

// member returns the participant socketID of roomID, nil when it is not there. Called with p.mu held.
func (p *Plane) member(roomID, socketID string) *participant {
	return p.rooms[roomID][socketID]
}

// Joined tells that socketID entered roomID: it is offered every stream already flowing in the room.
func (p *Plane) Joined(roomID, socketID string) {
	p.mu.Lock()
	if p.closed || p.member(roomID, socketID) != nil {
		p.mu.Unlock()
		return
	}
	room := p.rooms[roomID]
	if room == nil {
		room = make(map[string]*participant)
		p.rooms[roomID] = room
	}
	pt := newParticipant(roomID, socketID)
	room[socketID] = pt
	p.mu.Unlock()
	p.post(func() { p.welcome(pt) })
}

// welcome learns the newcomer's userId and offers it the streams that flow.
func (p *Plane) welcome(pt *participant) {
	_, userID, ok := p.notifier.Participant(pt.socketID)
	p.mu.Lock()
	if ok {
		pt.userID = userID
	}
	var publishers []*participant
	for _, other := range p.rooms[pt.roomID] {
		if other != pt && other.up != nil && other.up.flowing.Load() {
			publishers = append(publishers, other)
		}
	}
	p.mu.Unlock()
	for _, pub := range publishers {
		p.offerStream(pt, pub, false)
	}
}

// Left tells that socketID left roomID for good: every session it is part of ends.
func (p *Plane) Left(roomID, socketID string) {
	p.mu.Lock()
	pt := p.member(roomID, socketID)
	if pt == nil {
		p.mu.Unlock()
		return
	}
	room := p.rooms[roomID]
	delete(room, socketID)
	if len(room) == 0 {
		delete(p.rooms, roomID)
	}
	pt.gone = true
	var ups []*upstream
	var own, others []*listener
	if pt.up != nil {
		ups = append(ups, pt.up)
		pt.up = nil
	}
	for pub, l := range pt.listeners {
		p.detach(l)
		own = append(own, l)
		delete(pt.listeners, pub)
	}
	for _, other := range room {
		delete(other.failures, socketID)
		if l := other.listeners[socketID]; l != nil {
			p.detach(l)
			others = append(others, l)
			delete(other.listeners, socketID)
		}
	}
	p.mu.Unlock()
	// Closing never blocks: the sessions end on their own goroutines.
	for _, u := range ups {
		u.close(closeLeft)
	}
	for _, l := range own {
		l.down.close(closeLeft)
	}
	for _, l := range others {
		l.down.close(closePublisherLeft)
	}
}

// detach stops feeding l. Called with p.mu held.
func (p *Plane) detach(l *listener) {
	p.fwd.detach(l.down)
}

// Publish answers a participant's upstream offer. A new offer replaces the participant's upstream: its listeners
// are offered the new stream on their sessions once it flows.
func (p *Plane) Publish(ctx context.Context, roomID, socketID, offerSDP string) (string, error) {
	offer, err := sdp.Unmarshal([]byte(offerSDP))
	if err != nil {
		return "", withCode(ErrSDPDecode, err)
	}
	p.mu.Lock()
	owner := p.member(roomID, socketID)
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return "", withCode(ErrCapacity, ErrClosed)
	}
	if owner == nil {
		return "", fmt.Errorf("media: %s is not a participant of room %s", socketID, roomID)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	base := p.participantLog(owner).With("role", "upstream")
	ref := &handlerRef{}
	sess, err := p.factory.newSession(ref, base)
	if err != nil {
		return "", withCode(ErrCapacity, err)
	}
	log := base.With("session", sess.ID())
	answer, result, err := p.answerPublisher(offer, sess)
	if err != nil {
		sess.Close()
		return "", err
	}
	u := p.newUpstream(owner, sess, result, log)
	// Counted from now on: whatever happens next, the session's end counts it down.
	p.counters.publishers.Add(1)
	ref.set(u)
	if err := sess.SetRemote(result.Remote); err != nil {
		sess.Close()
		return "", withCode(ErrSDPRejected, err)
	}
	p.mu.Lock()
	if p.closed || owner.gone {
		p.mu.Unlock()
		u.close(closeLeft)
		return "", withCode(ErrCapacity, ErrClosed)
	}
	old := owner.up
	owner.up = u
	p.mu.Unlock()
	if old != nil {
		p.mu.Lock()
		p.fwd.detachUpstream(old)
		p.mu.Unlock()
		old.close(closeRepublished)
	}
	log.Info("publishing", "audio", u.audio != nil, "video", u.video != nil, "codec", u.videoCodecName(),
		"replaced", old != nil)
	return answer, nil
}

// newUpstream makes the forwarding side of owner's publisher session, whose progress comes back to the Plane.
func (p *Plane) newUpstream(owner *participant, sess session, result *negotiate.Result, log *slog.Logger) *upstream {
	var u *upstream
	hooks := sessionHooks{
		flowing: func() { p.upstreamFlowing(owner, u) },
		ended: func(state webrtc.State, reason webrtc.Reason) {
			p.post(func() { p.upstreamEnded(owner, u, state, reason) })
		},
	}
	u = p.fwd.newUpstream(sess, result, &owner.rtt, hooks, log)
	return u
}

// participantLog is the Plane's logger with the fields every line about pt carries: socketId, roomId, userId.
func (p *Plane) participantLog(pt *participant) *slog.Logger {
	return p.log.With("socketId", pt.socketID, "roomId", pt.roomID, "userId", p.userID(pt))
}

// userID returns pt's userId. The worker learns it when the participant joins (welcome); a participant whose first
// call comes before that is looked up at once. Called without the Plane's lock.
func (p *Plane) userID(pt *participant) string {
	p.mu.Lock()
	id := pt.userID
	p.mu.Unlock()
	if id != "" {
		return id
	}
	_, id, ok := p.notifier.Participant(pt.socketID)
	if !ok {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pt.userID == "" {
		pt.userID = id
	}
	return pt.userID
}

// answerPublisher answers offer with the session's transport.
func (p *Plane) answerPublisher(offer *sdp.Session, sess session) (string, *negotiate.Result, error) {
	local := sess.Local()
	id, err := sdp.NewSessionID()
	if err != nil {
		return "", nil, err
	}
	local.SessionID, local.SessionVersion = id, 1
	answer, result, err := negotiate.AnswerPublisher(offer, local, p.prefs)
	if err != nil {
		return "", nil, withCode(ErrSDPRejected, err)
	}
	text, err := answer.Marshal()
	if err != nil {
		return "", nil, err
	}
	return string(text), result, nil
}

// Answer takes a participant's answer to the server's offer for publisherSocketID's stream: the listener starts
// receiving it.
func (p *Plane) Answer(ctx context.Context, roomID, socketID, publisherSocketID, answerSDP string) error {
	answer, err := sdp.Unmarshal([]byte(answerSDP))
	if err != nil {
		return withCode(ErrSDPDecode, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c, err := p.claimOffer(roomID, socketID, publisherSocketID)
	if err != nil {
		return err
	}
	l, up := c.l, c.up
	result, err := negotiate.ReadListenerAnswer(c.offer, answer)
	if err == nil && !c.first && result.Remote.ICEUfrag != c.remoteUfrag {
		// The browser answered a renegotiation from a new connection: this session cannot serve it.
		p.post(func() { p.offerStream(l.receiver, l.publisher, true) })
		return withCode(ErrSDPRejected, errors.New("answer from a new connection to a renegotiation: offered again"))
	}
	if err == nil && c.first {
		err = l.sess.SetRemote(result.Remote)
	}
	var f *feed
	if err == nil {
		f, err = p.fwd.newFeed(l.down, up, result)
	}
	if err != nil {
		p.unclaimOffer(l, c.offer, c.first)
		return withCode(ErrSDPRejected, err)
	}
	p.mu.Lock()
	p.detach(l)
	l.remoteUfrag = result.Remote.ICEUfrag
	attached := !p.closed && l.receiver.listeners[publisherSocketID] == l && l.publisher.up == up
	if attached {
		p.fwd.attach(f)
	}
	p.mu.Unlock()
	if attached {
		l.down.requestKeyframe(monotonic())
	}
	l.log.Info("listening", "audio", f.audio != nil, "video", f.video != nil, "attached", attached)
	if attached && f.noVideo != "" {
		p.mu.Lock()
		from := l.publisher.from()
		p.mu.Unlock()
		l.log.Warn("receiver gets no video", "reason", f.noVideo)
		p.notify(l.receiver, protocol.EventWebrtcDown, protocol.WebrtcDownEvent{From: from, Reason: f.noVideo,
			Phase: protocol.PhaseNegotiation})
	}
	return nil
}

// claim is an offer taken by the answer to it.
type claim struct {
	l     *listener
	offer *sdp.Session
	up    *upstream // the stream the offer describes
	// first: the session's first negotiation; otherwise remoteUfrag is the browser's ICE ufrag of the first one.
	first       bool
	remoteUfrag string
}

// claimOffer takes the offer waiting for socketID's answer about publisherSocketID, so that a second answer to
// the same offer is refused.
func (p *Plane) claimOffer(roomID, socketID, publisherSocketID string) (claim, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.member(roomID, socketID)
	if r == nil {
		return claim{}, ErrNoOffer
	}
	l := r.listeners[publisherSocketID]
	switch {
	case l == nil:
		return claim{}, ErrNoOffer
	case l.offer == nil:
		return claim{}, ErrAlreadyDone
	}
	c := claim{l: l, offer: l.offer, up: l.offered, first: !l.remoteSet, remoteUfrag: l.remoteUfrag}
	l.offer = nil
	l.remoteSet = true
	return c, nil
}

// unclaimOffer puts back an offer whose answer was refused, so that the client may answer it again.
func (p *Plane) unclaimOffer(l *listener, offer *sdp.Session, first bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if l.offer == nil && l.offered != nil {
		l.offer = offer
		l.remoteSet = !first
	}
}

// Candidate checks a trickled candidate. The server is ICE-lite: it learns the browser's addresses from its
// connectivity checks, so a valid candidate needs nothing more.
func (p *Plane) Candidate(_ context.Context, roomID, socketID, to string, candidate json.RawMessage) error {
	if err := checkCandidate(candidate); err != nil {
		return err
	}
	p.mu.Lock()
	pt := p.member(roomID, socketID)
	p.mu.Unlock()
	if pt != nil {
		p.participantLog(pt).Debug("candidate accepted", "peer", to)
	}
	return nil
}

// offerStream offers receiver the stream of publisher: on a new listener session, or on the existing one when it
// lives and the stream has the same kinds (the browser renegotiates its connection), unless fresh asks for a new
// one. Runs on the worker.
func (p *Plane) offerStream(receiver, publisher *participant, fresh bool) {
	p.mu.Lock()
	up := publisher.up
	if p.closed || receiver.gone || publisher.gone || up == nil || !up.flowing.Load() {
		p.mu.Unlock()
		return
	}
	l := receiver.listeners[publisher.socketID]
	if l != nil && l.offered == up && !fresh {
		p.mu.Unlock()
		return
	}
	kinds := up.kinds()
	renegotiate := l != nil && slices.Equal(l.kinds, kinds) && !fresh
	from := publisher.from()
	p.mu.Unlock()

	if !renegotiate {
		var err error
		if l, err = p.replaceListener(receiver, publisher, up, l); err != nil {
			if !errors.Is(err, errStale) {
				p.participantLog(receiver).Warn("no listener session", "publisher", publisher.socketID,
					"role", "listener", "err", err)
				p.notify(receiver, protocol.EventWebrtcDown, protocol.WebrtcDownEvent{From: from,
					Reason: protocol.ReasonUnavailable, Phase: protocol.PhaseNegotiation})
			}
			return
		}
	}
	p.mu.Lock()
	if receiver.listeners[publisher.socketID] != l || publisher.up != up {
		p.mu.Unlock()
		return
	}
	l.local.SessionVersion++
	local := l.local
	p.mu.Unlock()

	offer, err := negotiate.OfferListener(local, l.tracks(up))
	var text []byte
	if err == nil {
		text, err = offer.Marshal()
	}
	if err != nil {
		l.log.Error("listener offer not built", "err", err)
		return
	}
	p.mu.Lock()
	if receiver.listeners[publisher.socketID] != l || publisher.up != up {
		p.mu.Unlock()
		return
	}
	l.offer, l.offered, l.kinds = offer, up, kinds
	p.mu.Unlock()
	p.notify(receiver, protocol.EventExchangeSdp, protocol.ExchangeSdpEvent{From: from,
		SDP: protocol.SessionDescription{Type: "offer", SDP: string(text)}})
	l.log.Info("stream offered", "renegotiation", renegotiate)
}

// errStale: the room changed while a session was being made; the work is dropped.
var errStale = errors.New("media: room changed")

// replaceListener makes a new listener session for the pair and puts it in place of old (nil when none), whose
// session is closed and reported replaced.
func (p *Plane) replaceListener(receiver, publisher *participant, up *upstream, old *listener) (*listener, error) {
	l := newListener(p, receiver, publisher)
	base := p.participantLog(receiver).With("publisher", publisher.socketID, "role", "listener")
	ref := &handlerRef{}
	sess, err := p.factory.newSession(ref, base)
	if err != nil {
		return nil, err
	}
	l.log = base.With("session", sess.ID())
	l.sess = sess
	l.down = p.fwd.newDownlink(sess, &receiver.rtt, publisher.cname, sessionHooks{
		flowing: func() { p.listenerFlowing(l) },
		ended: func(state webrtc.State, reason webrtc.Reason) {
			p.post(func() { p.listenerEnded(l, state, reason) })
		},
	})
	l.down.receiver, l.down.publisher = receiver.socketID, publisher.socketID
	// Counted from now on: whatever happens next, the session's end counts it down.
	p.counters.listeners.Add(1)
	ref.set(l.down)
	id, err := sdp.NewSessionID()
	if err != nil {
		l.down.close(closeShutdown)
		return nil, err
	}
	l.local = sess.Local()
	l.local.SessionID = id

	p.mu.Lock()
	if p.closed || receiver.gone || publisher.gone || publisher.up != up || receiver.listeners[publisher.socketID] != old {
		p.mu.Unlock()
		l.down.close(closeShutdown)
		return nil, errStale
	}
	if old != nil {
		p.detach(old)
	}
	receiver.listeners[publisher.socketID] = l
	from := publisher.from()
	p.mu.Unlock()
	if old != nil {
		old.down.close(protocol.ReasonReplaced)
		p.notify(receiver, protocol.EventWebrtcDown, protocol.WebrtcDownEvent{From: from,
			Reason: protocol.ReasonReplaced, Phase: protocol.PhaseNegotiation})
	}
	return l, nil
}

// upstreamFlowing runs when a publisher's first packet arrives: it is told, and every other participant is
// offered the stream.
func (p *Plane) upstreamFlowing(owner *participant, u *upstream) {
	p.post(func() {
		p.counters.publishersUp.Add(1)
		p.mu.Lock()
		current := owner.up == u
		var receivers []*participant
		for _, other := range p.rooms[owner.roomID] {
			if other != owner {
				receivers = append(receivers, other)
			}
		}
		p.mu.Unlock()
		if !current {
			return
		}
		u.log.Info("upstream flowing")
		p.notify(owner, protocol.EventWebrtcUp,
			protocol.WebrtcUpEvent{From: protocol.From{SocketID: protocol.PublisherSocketID}})
		for _, r := range receivers {
			p.offerStream(r, owner, false)
		}
	})
}

// listenerFlowing runs when a listener's first packet was sent: the receiver is told.
func (p *Plane) listenerFlowing(l *listener) {
	p.post(func() {
		p.counters.listenersUp.Add(1)
		p.mu.Lock()
		r, pub := l.receiver, l.publisher
		current := r.listeners[pub.socketID] == l
		if current {
			delete(r.failures, pub.socketID)
		}
		from := pub.from()
		p.mu.Unlock()
		if current {
			l.log.Info("listener flowing")
			p.notify(r, protocol.EventWebrtcUp, protocol.WebrtcUpEvent{From: from})
		}
	})
}

// upstreamEnded runs when a publisher's session has ended. When it failed (the server did not close it), the
// publisher is told; its listeners' sessions stay, idle, until it publishes again.
func (p *Plane) upstreamEnded(owner *participant, u *upstream, state webrtc.State, reason webrtc.Reason) {
	p.mu.Lock()
	current := owner.up == u
	if current {
		owner.up = nil
	}
	p.fwd.detachUpstream(u)
	p.mu.Unlock()
	p.counters.publishers.Add(-1)
	if u.flowing.Load() {
		p.counters.publishersUp.Add(-1)
	}
	if by := u.closeReason.Load(); by != nil {
		u.log.Info("upstream closed", "reason", *by)
		return
	}
	phase := phaseFor(reason, true)
	u.log.Warn("upstream ended", "state", state.String(), "reason", string(reason), "phase", phase)
	if !current {
		return
	}
	if state == webrtc.StateFailed {
		p.counters.sessionsFailed.Add(1)
	}
	p.notify(owner, protocol.EventWebrtcDown, protocol.WebrtcDownEvent{
		From: protocol.From{SocketID: protocol.PublisherSocketID}, Reason: string(reason), Phase: phase})
}

// listenerEnded runs when a listener's session has ended. When it failed, the receiver is told, and offered the
// stream again on a new session after a delay, a bounded number of times in a row.
func (p *Plane) listenerEnded(l *listener, state webrtc.State, reason webrtc.Reason) {
	r, pub := l.receiver, l.publisher
	p.mu.Lock()
	current := r.listeners[pub.socketID] == l
	if current {
		delete(r.listeners, pub.socketID)
	}
	p.detach(l)
	answered := l.remoteSet
	retry := false
	if current && l.down.closeReason.Load() == nil && reason != webrtc.ReasonPeerClosed && !r.gone && !pub.gone {
		r.failures[pub.socketID]++
		retry = r.failures[pub.socketID] <= p.cfg.MaxReoffers
	}
	from := pub.from()
	p.mu.Unlock()
	p.counters.listeners.Add(-1)
	if l.down.flowing.Load() {
		p.counters.listenersUp.Add(-1)
	}
	if by := l.down.closeReason.Load(); by != nil {
		l.log.Info("listener closed", "reason", *by)
		return
	}
	phase := phaseFor(reason, answered)
	l.log.Warn("listener ended", "state", state.String(), "reason", string(reason), "phase", phase, "offerAgain",
		retry)
	if !current {
		return
	}
	if state == webrtc.StateFailed {
		p.counters.sessionsFailed.Add(1)
	}
	p.notify(r, protocol.EventWebrtcDown, protocol.WebrtcDownEvent{From: from, Reason: string(reason), Phase: phase})
	if retry {
		p.after(p.cfg.ReofferDelay, func() { p.offerStream(r, pub, false) })
	}
}

// phaseFor names the phase in which a session ended for eventWebrtcDown.
func phaseFor(reason webrtc.Reason, answered bool) string {
	if !answered {
		return protocol.PhaseNegotiation
	}
	if ph := reason.Phase(); ph != "" {
		return ph
	}
	return protocol.PhaseMedia
}

// notify sends an event to a participant's client; a client that is gone is simply not told.
func (p *Plane) notify(to *participant, name string, data any) {
	if !p.notifier.Send(to.socketID, name, data) {
		p.participantLog(to).Debug("event not delivered: participant gone", "event", name)
	}
}

// post queues job for the worker goroutine. Jobs posted after Close are dropped.
func (p *Plane) post(job func()) {
	p.jobsMu.Lock()
	defer p.jobsMu.Unlock()
	if p.jobsClosed {
		return
	}
	p.jobs = append(p.jobs, job)
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// after posts job once d has passed, unless the Plane closes first.
func (p *Plane) after(d time.Duration, job func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		p.mu.Lock()
		delete(p.timers, t)
		p.mu.Unlock()
		p.post(job)
	})
	p.timers[t] = struct{}{}
}

// work runs the jobs in order until Close.
func (p *Plane) work() {
	defer close(p.workerDone)
	for range p.wake {
		for {
			p.jobsMu.Lock()
			jobs := p.jobs
			p.jobs = nil
			p.jobsMu.Unlock()
			if len(jobs) == 0 {
				break
			}
			for _, job := range jobs {
				p.run(job)
			}
		}
	}
}

// run runs one job, reporting a panic instead of dying.
func (p *Plane) run(job func()) {
	defer func() {
		if v := recover(); v != nil {
			p.log.Error("media plane job panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	job()
}

// Close ends every session (with an RTCP BYE) and waits until they have ended or ctx is done. The Plane accepts
// nothing afterwards. Close the webrtc.Engine after the Plane.
func (p *Plane) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	for t := range p.timers {
		t.Stop()
	}
	clear(p.timers)
	var ups []*upstream
	var ls []*listener
	for _, room := range p.rooms {
		for _, pt := range room {
			pt.gone = true
			if pt.up != nil {
				ups = append(ups, pt.up)
			}
			for _, l := range pt.listeners {
				p.detach(l)
				ls = append(ls, l)
			}
		}
	}
	clear(p.rooms)
	p.mu.Unlock()

	p.jobsMu.Lock()
	p.jobsClosed = true
	close(p.wake)
	p.jobsMu.Unlock()

	var done []<-chan struct{}
	for _, u := range ups {
		u.close(closeShutdown)
		done = append(done, u.sess.Done())
	}
	for _, l := range ls {
		l.down.close(closeShutdown)
		done = append(done, l.sess.Done())
	}
	for _, d := range append(done, p.workerDone) {
		select {
		case <-d:
		case <-ctx.Done():
			return fmt.Errorf("media: close: %w", ctx.Err())
		}
	}
	if p.fwd.tc != nil {
		p.fwd.tc.close()
	}
	return nil
}
