package signaling

import (
	"encoding/json"
	"sync"

	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// outMsg is one outgoing websocket message. It is encoded once, lazily, by the first write goroutine that sends it,
// so a broadcast is encoded once whatever the number of recipients, and never under a room lock.
type outMsg struct {
	once sync.Once
	v    any
	data []byte
	err  error
	// charge is what the message counts for in the byte bounds of queues and replay lists, fixed at its making.
	charge int
}

// lazyMsgBytes is the charge of a message encoded lazily: the server's own replies and events, which are small
// (joinR's list is bounded by RoomMaxSize). Whatever a client can make large is relayed pre-encoded, and
// Server.Send encodes the media plane's events before queueing them: those are charged their real size.
const lazyMsgBytes = 512

func newMsg(v any) *outMsg { return &outMsg{v: v, charge: lazyMsgBytes} }

// newEncodedMsg wraps bytes that are already JSON. Such a message may be shared by any number of connections.
func newEncodedMsg(data []byte) *outMsg {
	m := &outMsg{data: data, charge: len(data)}
	m.once.Do(func() {})
	return m
}

// okReplies are the data-less success replies, encoded once: most requests are answered with one of them.
var okReplies = func() map[string]*outMsg {
	actions := []string{protocol.ActionLeave, protocol.ActionExchangeSdp, protocol.ActionExchangeCandidate,
		protocol.ActionOrientationChange, protocol.ActionSendMessage}
	out := make(map[string]*outMsg, len(actions))
	for _, action := range actions {
		out[action] = newEncodedMsg([]byte(`{"a":"` + action + `R","s":true}`))
	}
	return out
}()

// relayEvent builds {"a":name,"d":{"from":from,field:raw}} by concatenation: from is pre-encoded JSON and raw was
// validated when the request was decoded, so the hot relay path skips reflection and a second validation.
func relayEvent(name string, from []byte, field string, raw []byte) *outMsg {
	b := make([]byte, 0, len(name)+len(field)+len(from)+len(raw)+32)
	b = append(b, `{"a":"`...)
	b = append(b, name...)
	b = append(b, `","d":{"from":`...)
	b = append(b, from...)
	b = append(b, `,"`...)
	b = append(b, field...)
	b = append(b, `":`...)
	b = append(b, raw...)
	b = append(b, "}}"...)
	return newEncodedMsg(b)
}

func newEvent(name string, data any) *outMsg { return newMsg(event{A: name, D: data}) }

func newReply(action string, data any) *outMsg {
	return newMsg(reply{A: action + "R", S: true, D: data})
}

func newError(action string, code int) *outMsg {
	return newMsg(reply{A: action + "R", S: false, E: code})
}

func (m *outMsg) bytes() ([]byte, error) {
	m.once.Do(func() {
		m.data, m.err = json.Marshal(m.v)
		m.v = nil
	})
	return m.data, m.err
}
