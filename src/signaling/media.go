package signaling

import (
	"context"
	"encoding/json"
)

// MediaPlane is what the signaling server needs from the MCU's media plane (package media, plugged in by main).
// Sessions belong to the participant (its socketId), not to a websocket: they survive a reconnect, and Left is called
// only when the participant is really gone (leave, close, grace expiry, shutdown), never on a mere websocket drop.
//
// Publish, Answer and Candidate run on the requesting connection's read goroutine with a deadline in ctx; they may
// block up to it. Joined and Left are called while the room's lock is held, so that they arrive in the order of the
// room's changes: they must return quickly and must not call the Server synchronously.
// To reach a participant the media plane calls Server.Send (events queue for replay while it is away).
// An error that implements APICoder is answered with its code, any other with 1280.
type MediaPlane interface {
	// Publish takes a client's upstream offer (exchangeSdp to:"publisher") and returns the server's answer SDP.
	Publish(ctx context.Context, roomID, socketID, offerSDP string) (answerSDP string, err error)
	// Answer takes the client's answer to the server's offer for the stream of publisherSocketID.
	Answer(ctx context.Context, roomID, socketID, publisherSocketID, answerSDP string) error
	// Candidate takes a trickled ICE candidate (an RTCIceCandidateInit) for the session toward to
	// (protocol.PublisherSocketID for the upstream).
	Candidate(ctx context.Context, roomID, socketID, to string, candidate json.RawMessage) error
	// Joined tells that socketID entered roomID.
	Joined(roomID, socketID string)
	// Left tells that socketID left roomID for good.
	Left(roomID, socketID string)
}

// Send queues the event {"a":name,"d":data} for the participant socketID, on whatever websocket it is on now, or for
// replay while it is away. It reports false when no such participant exists, or data does not encode. It never
// blocks.
func (s *Server) Send(socketID, name string, data any) bool {
	p := s.hub.socket(socketID)
	if p == nil {
		return false
	}
	// Encoded now, outside the room's lock, so that an SDP offer counts its real size in the byte bounds.
	encoded, err := json.Marshal(event{A: name, D: data})
	if err != nil {
		s.log.Error("cannot encode event", "event", name, "socketId", socketID, "err", err)
		return false
	}
	r := p.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.gone {
		return false
	}
	p.deliver(newEncodedMsg(encoded), s.bounds)
	return true
}

// Participant returns the room and user of socketID, for the media plane's "from" fields.
func (s *Server) Participant(socketID string) (roomID, userID string, ok bool) {
	p := s.hub.socket(socketID)
	if p == nil {
		return "", "", false
	}
	return p.room.id, p.userID, true
}
