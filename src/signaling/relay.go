package signaling

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// exchangeSdp relays an SDP to a peer (relay mode) or hands it to the media plane (MCU mode).
func (c *conn) exchangeSdp(ctx context.Context, d json.RawMessage) int {
	var req exchangeSdpRequest
	if code := decodeRequest(d, &req); code != 0 {
		return code
	}
	var v validation
	v.peerObject(req.To, req.SDP)
	if v.code != 0 {
		return v.code
	}
	if c.srv.opts.Mode == protocol.ModeRelay {
		return c.relay(protocol.ActionExchangeSdp, *req.To, true, protocol.EventExchangeSdp, "sdp", req.SDP)
	}
	return c.mediaSdp(ctx, *req.To, req.SDP)
}

// exchangeCandidate relays an ICE candidate to a peer (relay mode) or hands it to the media plane (MCU mode).
// A candidate {"completed":true} gets no reply on success, as in the original.
func (c *conn) exchangeCandidate(ctx context.Context, d json.RawMessage) int {
	var req exchangeCandidateRequest
	if code := decodeRequest(d, &req); code != 0 {
		return code
	}
	var v validation
	v.peerObject(req.To, req.Candidate)
	var completion candidateCompletion
	// Most candidates have no key "completed": they skip a third decoding of the same bytes.
	if v.code == 0 && mayHaveKeyCompleted(req.Candidate) && json.Unmarshal(req.Candidate, &completion) != nil {
		v.code = protocol.CodeJSON
	}
	if v.code != 0 {
		return v.code
	}
	answer := !completion.Completed
	if c.srv.opts.Mode == protocol.ModeRelay {
		return c.relay(protocol.ActionExchangeCandidate, *req.To, answer, protocol.EventExchangeCandidate, "candidate",
			req.Candidate)
	}
	return c.mediaCandidate(ctx, *req.To, req.Candidate, answer)
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
func (c *conn) sendMessage(_ context.Context, d json.RawMessage) int {
	var req sendMessageRequest
	if code := decodeRequest(d, &req); code != 0 {
		return code
	}
	var v validation
	v.id(req.To)
	// encoding/json hands a null to a RawMessage as the bytes null: a null message is a missing one.
	v.required(!isNull(req.Message))
	if v.code != 0 {
		return v.code
	}
	return c.relay(protocol.ActionSendMessage, *req.To, true, protocol.EventMessage, "message", req.Message)
}

// relay delivers the event {"a":name,"d":{"from":<sender>,field:raw}} to the member to of c's room and answers
// action (when answer is true), or returns the error code. The event is built before the room is locked.
func (c *conn) relay(action, to string, answer bool, name, field string, raw json.RawMessage) int {
	if c.p == nil {
		return protocol.CodeUserNotAuthenticated
	}
	msg := relayEvent(name, c.p.fromJSON, field, raw)
	return c.inRoom(func(p *participant) int {
		target := p.room.member(to)
		if target == nil || target == p {
			return protocol.CodeSocketIDDoesNotExist
		}
		target.deliver(msg, c.srv.bounds)
		if answer {
			c.reply(action, nil)
		}
		return 0
	})
}

// checkPeer returns c's participant when to is protocol.PublisherSocketID or another member of c's room, else the
// error code.
func (c *conn) checkPeer(to string) (p *participant, code int) {
	code = c.inRoom(func(joined *participant) int {
		if to != protocol.PublisherSocketID {
			if target := joined.room.member(to); target == nil || target == joined {
				return protocol.CodeSocketIDDoesNotExist
			}
		}
		p = joined
		return 0
	})
	return p, code
}

// mediaSdp serves exchangeSdp in MCU mode.
func (c *conn) mediaSdp(ctx context.Context, to string, raw json.RawMessage) int {
	media := c.srv.media
	if media == nil {
		return protocol.CodeMediaUnavailable
	}
	var desc protocol.SessionDescription
	if err := json.Unmarshal(raw, &desc); err != nil {
		return protocol.CodeJSON
	}
	p, code := c.checkPeer(to)
	if code != 0 {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, c.srv.opts.MediaTimeout)
	defer cancel()
	if to != protocol.PublisherSocketID {
		if desc.Type != "answer" || desc.SDP == "" {
			return protocol.CodeFieldInvalid
		}
		if err := media.Answer(ctx, p.room.id, p.socketID, to, desc.SDP); err != nil {
			c.log.Warn("media plane refused an answer", "peer", to, "err", err)
			return mediaCode(err)
		}
		c.reply(protocol.ActionExchangeSdp, nil)
		return 0
	}
	if desc.Type != "offer" || desc.SDP == "" {
		return protocol.CodeFieldInvalid
	}
	answer, err := media.Publish(ctx, p.room.id, p.socketID, desc.SDP)
	if err != nil {
		c.log.Warn("media plane refused an offer", "err", err)
		return mediaCode(err)
	}
	c.send(newEvent(protocol.EventExchangeSdp, protocol.ExchangeSdpEvent{
		From: protocol.From{SocketID: protocol.PublisherSocketID},
		SDP:  protocol.SessionDescription{Type: "answer", SDP: answer},
	}))
	c.reply(protocol.ActionExchangeSdp, nil)
	return 0
}

// mediaCandidate serves exchangeCandidate in MCU mode; without a media plane candidates are accepted and ignored.
func (c *conn) mediaCandidate(ctx context.Context, to string, candidate json.RawMessage, answer bool) int {
	p, code := c.checkPeer(to)
	if code != 0 {
		return code
	}
	if media := c.srv.media; media != nil {
		ctx, cancel := context.WithTimeout(ctx, c.srv.opts.MediaTimeout)
		defer cancel()
		if err := media.Candidate(ctx, p.room.id, p.socketID, to, candidate); err != nil {
			c.log.Warn("media plane refused a candidate", "peer", to, "err", err)
			return mediaCode(err)
		}
	}
	if answer {
		c.reply(protocol.ActionExchangeCandidate, nil)
	}
	return 0
}
