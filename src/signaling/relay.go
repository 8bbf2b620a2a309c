package signaling

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// exchangeSdp relays an SDP to a peer (relay mode) or hands it to the media plane (MCU mode).
func (c *conn) exchangeSdp(d json.RawMessage) {
	var req exchangeSdpRequest
	if !c.decode(protocol.ActionExchangeSdp, d, &req) {
		return
	}
	var v validation
	v.id(req.To)
	v.required(!isNull(req.SDP))
	v.valid(isNull(req.SDP) || isObject(req.SDP))
	if v.code != 0 {
		c.fail(protocol.ActionExchangeSdp, v.code)
		return
	}
	if c.srv.opts.Mode == protocol.ModeRelay {
		c.relay(protocol.ActionExchangeSdp, *req.To, true, protocol.EventExchangeSdp, "sdp", req.SDP)
		return
	}
	c.mediaSdp(*req.To, req.SDP)
}

// exchangeCandidate relays an ICE candidate to a peer (relay mode) or hands it to the media plane (MCU mode).
// A candidate {"completed":true} gets no reply on success, as in the original.
func (c *conn) exchangeCandidate(d json.RawMessage) {
	var req exchangeCandidateRequest
	if !c.decode(protocol.ActionExchangeCandidate, d, &req) {
		return
	}
	var v validation
	v.id(req.To)
	v.required(!isNull(req.Candidate))
	v.valid(isNull(req.Candidate) || isObject(req.Candidate))
	var completion candidateCompletion
	// Most candidates have no key "completed": they skip a third decoding of the same bytes.
	if v.code == 0 && mayHaveKeyCompleted(req.Candidate) && json.Unmarshal(req.Candidate, &completion) != nil {
		v.code = protocol.CodeJSON
	}
	if v.code != 0 {
		c.fail(protocol.ActionExchangeCandidate, v.code)
		return
	}
	answer := !completion.Completed
	if c.srv.opts.Mode == protocol.ModeRelay {
		c.relay(protocol.ActionExchangeCandidate, *req.To, answer, protocol.EventExchangeCandidate, "candidate", req.Candidate)
		return
	}
	c.mediaCandidate(*req.To, req.Candidate, answer)
}

// mayHaveKeyCompleted reports whether the JSON object raw may have a key that json.Unmarshal matches with
// candidateCompletion's "completed". encoding/json matches keys without regard to case (no letter of "completed"
// has a non-ASCII case variant) and after unescaping: raw without that word in any case and without a backslash
// cannot have it, and json.Unmarshal of such a valid object succeeds with Completed false.
func mayHaveKeyCompleted(raw []byte) bool {
	const key = "completed"
	if bytes.IndexByte(raw, '\\') >= 0 {
		return true
	}
	for i := 0; i+len(key) <= len(raw); i++ {
		if raw[i]|0x20 == 'c' && bytes.EqualFold(raw[i:i+len(key)], []byte(key)) {
			return true
		}
	}
	return false
}

// sendMessage relays any JSON value to a peer of the same room, in both modes.
func (c *conn) sendMessage(d json.RawMessage) {
	var req sendMessageRequest
	if !c.decode(protocol.ActionSendMessage, d, &req) {
		return
	}
	var v validation
	v.id(req.To)
	v.required(req.Message != nil)
	if v.code != 0 {
		c.fail(protocol.ActionSendMessage, v.code)
		return
	}
	c.relay(protocol.ActionSendMessage, *req.To, true, protocol.EventMessage, "message", req.Message)
}

// relay delivers the event {"a":name,"d":{"from":<sender>,field:raw}} to the member to of c's room and answers
// action (when answer is true). The event is built before the room is locked.
func (c *conn) relay(action, to string, answer bool, name, field string, raw json.RawMessage) {
	if c.p == nil {
		c.fail(action, protocol.CodeUserNotAuthenticated)
		return
	}
	msg := relayEvent(name, c.p.fromJSON, field, raw)
	p, ok := c.lockJoined()
	if !ok {
		c.fail(action, protocol.CodeUserNotAuthenticated)
		return
	}
	defer p.room.mu.Unlock()
	target := p.room.member(to)
	if target == nil || target == p {
		c.fail(action, protocol.CodeSocketIDDoesNotExist)
		return
	}
	target.deliver(msg, c.srv.opts.ReplayLimit)
	if answer {
		c.reply(action, nil)
	}
}

// checkPeer reports whether to is protocol.PublisherSocketID or another member of c's room, answering the error itself.
func (c *conn) checkPeer(action, to string) (*participant, bool) {
	p, ok := c.lockJoined()
	if !ok {
		c.fail(action, protocol.CodeUserNotAuthenticated)
		return nil, false
	}
	defer p.room.mu.Unlock()
	if to == protocol.PublisherSocketID {
		return p, true
	}
	if target := p.room.member(to); target == nil || target == p {
		c.fail(action, protocol.CodeSocketIDDoesNotExist)
		return nil, false
	}
	return p, true
}

// mediaSdp serves exchangeSdp in MCU mode.
func (c *conn) mediaSdp(to string, raw json.RawMessage) {
	const action = protocol.ActionExchangeSdp
	media := c.srv.media
	if media == nil {
		c.fail(action, protocol.CodeMediaUnavailable)
		return
	}
	var desc protocol.SessionDescription
	if err := json.Unmarshal(raw, &desc); err != nil {
		c.fail(action, protocol.CodeJSON)
		return
	}
	p, ok := c.checkPeer(action, to)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(c.srv.ctx, c.srv.opts.MediaTimeout)
	defer cancel()
	if to != protocol.PublisherSocketID {
		if desc.Type != "answer" || desc.SDP == "" {
			c.fail(action, protocol.CodeFieldInvalid)
			return
		}
		if err := media.Answer(ctx, p.room.id, p.socketID, to, desc.SDP); err != nil {
			c.log.Warn("media plane refused an answer", "peer", to, "err", err)
			c.failWith(action, err)
			return
		}
		c.reply(action, nil)
		return
	}
	if desc.Type != "offer" || desc.SDP == "" {
		c.fail(action, protocol.CodeFieldInvalid)
		return
	}
	answer, err := media.Publish(ctx, p.room.id, p.socketID, desc.SDP)
	if err != nil {
		c.log.Warn("media plane refused an offer", "err", err)
		c.failWith(action, err)
		return
	}
	c.send(newEvent(protocol.EventExchangeSdp, protocol.ExchangeSdpEvent{
		From: protocol.From{SocketID: protocol.PublisherSocketID},
		SDP:  protocol.SessionDescription{Type: "answer", SDP: answer},
	}))
	c.reply(action, nil)
}

// mediaCandidate serves exchangeCandidate in MCU mode; without a media plane candidates are accepted and ignored.
func (c *conn) mediaCandidate(to string, candidate json.RawMessage, answer bool) {
	const action = protocol.ActionExchangeCandidate
	p, ok := c.checkPeer(action, to)
	if !ok {
		return
	}
	if media := c.srv.media; media != nil {
		ctx, cancel := context.WithTimeout(c.srv.ctx, c.srv.opts.MediaTimeout)
		defer cancel()
		if err := media.Candidate(ctx, p.room.id, p.socketID, to, candidate); err != nil {
			c.log.Warn("media plane refused a candidate", "peer", to, "err", err)
			c.failWith(action, err)
			return
		}
	}
	if answer {
		c.reply(action, nil)
	}
}
