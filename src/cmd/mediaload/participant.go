package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/congestion"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
)

// participant is one synthetic client: a websocket joined to a room, an upstream peer when it publishes, and a
// listener peer for each other publisher of the room, which it answers as the server offers them.
type participant struct {
	load           *load
	userID, roomID string
	// pubIndex is the participant's publisher index (its sendClock), -1 when it only receives.
	pubIndex int
	// expect is how many streams it receives: one per other publisher of its room.
	expect int

	sig       *signaling
	pub       *publisher
	peers     []*peer
	listeners []*listener
	readers   sync.WaitGroup
	media     context.CancelFunc
	sending   sync.WaitGroup
	// downs counts eventWebrtcDown received after the streams were flowing.
	downs int

	started chan error // once joined, and publishing if it publishes
	ready   chan error // once every stream it receives flows
}

func newParticipant(l *load, roomID, userID string, pubIndex, expect int) *participant {
	return &participant{load: l, userID: userID, roomID: roomID, pubIndex: pubIndex, expect: expect,
		started: make(chan error, 1), ready: make(chan error, 1)}
}

// run sets the participant up within setupTimeout, then reads its websocket until ctx ends.
func (pt *participant) run(ctx context.Context, setupTimeout time.Duration) {
	setupCtx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	if err := pt.enter(setupCtx); err != nil {
		pt.started <- err
		return
	}
	pt.started <- nil
	if err := pt.receiveStreams(setupCtx); err != nil {
		pt.ready <- err
		return
	}
	pt.ready <- nil
	pt.sig.drain(ctx, func(m message) {
		if m.A == "eventWebrtcDown" {
			pt.downs++
		}
	})
}

// enter joins the room and, for a publisher, publishes until the server says the upstream flows.
func (pt *participant) enter(ctx context.Context) error {
	sig, err := dial(ctx, pt.load.cfg.url)
	if err != nil {
		return err
	}
	pt.sig = sig
	bearer, err := pt.load.bearer(ctx, pt.userID, pt.roomID)
	if err != nil {
		return err
	}
	if _, err := sig.request(ctx, "join", map[string]any{"roomId": pt.roomID, "bearer": bearer}); err != nil {
		return err
	}
	if pt.pubIndex < 0 {
		return nil
	}
	return pt.publish(ctx)
}

func (pt *participant) publish(ctx context.Context) error {
	p, err := pt.newPeer()
	if err != nil {
		return err
	}
	ssrcs := publisherSSRCs{audio: rand.Uint32(), video: rand.Uint32(), rtx: rand.Uint32()}
	offer, err := publisherOffer(p.transport(sdp.SetupActPass), p.candidate(), ssrcs, pt.userID)
	if err != nil {
		return err
	}
	if err := pt.sig.send("exchangeSdp", map[string]any{"to": "publisher",
		"sdp": map[string]string{"type": "offer", "sdp": offer}}); err != nil {
		return err
	}
	answer, err := pt.sig.sdpFrom(ctx, "publisher", "answer")
	if err != nil {
		return fmt.Errorf("publisher answer: %w", err)
	}
	if _, err := pt.sig.next(ctx, func(m message) bool { return m.A == "exchangeSdpR" }); err != nil {
		return err
	}
	remote, err := readRemote(answer.SDP.SDP)
	if err != nil {
		return err
	}
	audioPT, okA := remote.payloadType(sdp.KindAudio)
	videoPT, okV := remote.payloadType(sdp.KindVideo)
	if !okA || !okV {
		return errors.New("the server's answer takes neither audio nor video")
	}
	if err := p.connect(ctx, remote); err != nil {
		return fmt.Errorf("upstream: %w", err)
	}
	pt.pub = newPublisher(uint32(pt.pubIndex), p, pt.load.clocks[pt.pubIndex], ssrcs, audioPT, videoPT,
		pt.load.cfg.shape, &pt.load.counting)
	mediaCtx, stop := context.WithCancel(context.Background())
	pt.media = stop
	pt.sending.Add(1)
	go func() {
		defer pt.sending.Done()
		pt.pub.send(mediaCtx)
	}()
	pt.readers.Add(1)
	go func() {
		defer pt.readers.Done()
		pt.pub.receive()
	}()
	return pt.sig.event(ctx, "eventWebrtcUp", "publisher")
}

// receiveStreams answers the server's offers until expect streams flow.
func (pt *participant) receiveStreams(ctx context.Context) error {
	for len(pt.listeners) < pt.expect {
		var offer sdpEvent
		if _, err := pt.sig.next(ctx, func(m message) bool {
			return m.A == "eventExchangeSdp" && decode(m.D, &offer) && offer.SDP.Type == "offer"
		}); err != nil {
			return fmt.Errorf("waiting for offer %d of %d: %w", len(pt.listeners)+1, pt.expect, err)
		}
		if err := pt.listen(ctx, offer); err != nil {
			return fmt.Errorf("stream of %s: %w", offer.From.SocketID, err)
		}
	}
	return nil
}

func (pt *participant) listen(ctx context.Context, offer sdpEvent) error {
	remote, err := readRemote(offer.SDP.SDP)
	if err != nil {
		return err
	}
	p, err := pt.newPeer()
	if err != nil {
		return err
	}
	answer, err := listenerAnswer(remote.session, p.transport(sdp.SetupActive), p.candidate(),
		pt.load.cfg.listenerCodec, pt.load.cfg.transportCC)
	if err != nil {
		return err
	}
	var feedback *congestion.FeedbackRecorder
	tccID, tcc := answeredTransportCC(answer)
	if tcc {
		if feedback, err = congestion.NewFeedbackRecorder(rand.Uint32() | 1); err != nil {
			return err
		}
	}
	from := offer.From.SocketID
	if _, err := pt.sig.request(ctx, "exchangeSdp", map[string]any{"to": from,
		"sdp": map[string]string{"type": "answer", "sdp": answer}}); err != nil {
		return err
	}
	if err := p.connect(ctx, remote); err != nil {
		return err
	}
	l := newListener(p, pt.load.clocks, &pt.load.counting)
	l.feedback, l.tccID = feedback, tccID
	pt.listeners = append(pt.listeners, l)
	pt.readers.Add(1)
	go func() {
		defer pt.readers.Done()
		l.receive()
	}()
	return pt.sig.event(ctx, "eventWebrtcUp", from)
}

func (pt *participant) newPeer() (*peer, error) {
	p, err := newPeer(pt.load.dtlsCtx)
	if err != nil {
		return nil, err
	}
	p.overTCP = pt.load.cfg.tcp
	pt.peers = append(pt.peers, p)
	return p, nil
}

// leave stops the media, leaves the room and closes everything; the counters are final afterwards.
func (pt *participant) leave(ctx context.Context) error {
	if pt.media != nil {
		pt.media()
		pt.sending.Wait()
	}
	var errs []error
	if pt.sig != nil {
		_, err := pt.sig.request(ctx, "leave", nil)
		errs = append(errs, err, pt.sig.close())
	}
	for _, p := range pt.peers {
		errs = append(errs, p.close())
	}
	pt.readers.Wait()
	return errors.Join(errs...)
}
