package signaling

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"unicode/utf8"

	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// handler runs one action for c and returns 0 when the action succeeded, or the error code the request is refused
// with, which the caller answers and counts. On success the handler has sent the action's reply itself, if the action
// has one, because the reply must be queued in order with the messages the action causes, under the room's lock.
// ctx is the connection's (it ends with the connection, or when Shutdown gives up waiting) and bounds the calls to
// the media plane. d is the action's raw data (nil when absent); it may share the storage of the frame, which is
// reused once the handler returns: a handler decodes it (json.Unmarshal copies), never keeps it.
type handler func(c *conn, ctx context.Context, d json.RawMessage) int

// handlers maps each action to its handler. join and reconnect are the only ones allowed before joining.
var handlers = map[string]handler{
	protocol.ActionJoin:               (*conn).join,
	protocol.ActionReconnect:          (*conn).reconnect,
	protocol.ActionLeave:              (*conn).leave,
	protocol.ActionExchangeSdp:        (*conn).exchangeSdp,
	protocol.ActionExchangeCandidate:  (*conn).exchangeCandidate,
	protocol.ActionOrientationChange:  (*conn).orientationChange,
	protocol.ActionSendMessage:        (*conn).sendMessage,
	protocol.ActionEventFreeze:        (*conn).eventFreeze,
	protocol.ActionEventCPU:           (*conn).eventCPU,
	protocol.ActionEventNetworkChange: (*conn).eventNetworkChange,
}

// handle dispatches one frame. It returns the action the frame names, which its error reply answers
// (protocol.ActionGeneral when unreadable; an unknown name cut by echoable), and the handler's result: 0 or an
// error code. Text frames must be UTF-8 (RFC 6455); gorilla does not check it, and a relayed invalid sequence would
// make the receiving browser fail its websocket.
func (c *conn) handle(ctx context.Context, frame []byte) (action string, code int) {
	if !utf8.Valid(frame) {
		return protocol.ActionGeneral, protocol.CodeJSON
	}
	action, d, ok := splitEnvelope(frame)
	if !ok {
		var env envelope
		if err := json.Unmarshal(frame, &env); err != nil || env.A == nil {
			return protocol.ActionGeneral, protocol.CodeJSON
		}
		action, d = *env.A, env.D
	}
	h, ok := handlers[action]
	if !ok {
		return echoable(action), protocol.CodeUnknownAction
	}
	if c.p == nil && action != protocol.ActionJoin && action != protocol.ActionReconnect {
		return action, protocol.CodeUserNotAuthenticated
	}
	return action, h(c, ctx, d)
}

// actionNames maps each action of handlers to itself, so that a name read from a frame becomes a string without
// an allocation.
var actionNames = func() map[string]string {
	m := make(map[string]string, len(handlers))
	for action := range handlers {
		m[action] = action
	}
	return m
}()

// envelopeStart and envelopeData frame the action's name in the envelope as clients write it:
// {"a":"<action>","d":<data>}.
const (
	envelopeStart = `{"a":"`
	envelopeData  = `","d":`
)

// splitEnvelope reads a frame of exactly the form {"a":"<action>","d":<data>}, the action one of handlers' (no
// escapes, no spaces around the tokens), without reflection and without copying data: it returns what json.Unmarshal
// would put in an envelope. ok is false for any other frame, which then goes through json.Unmarshal; so the two
// always agree.
func splitEnvelope(frame []byte) (action string, d json.RawMessage, ok bool) {
	rest, found := bytes.CutPrefix(frame, []byte(envelopeStart))
	if !found {
		return "", nil, false
	}
	name, rest, found := bytes.Cut(rest, []byte(envelopeData))
	if !found {
		return "", nil, false
	}
	// A name with escapes or quotes is none of these; the lookup allocates no string.
	action = actionNames[string(name)]
	if action == "" || len(rest) < 2 || rest[len(rest)-1] != '}' {
		return "", nil, false
	}
	d = rest[:len(rest)-1]
	// d must be one JSON value with nothing around it: {"a":"x","d":1,"a":"y"} has another key after it.
	if isSpace(d[0]) || isSpace(d[len(d)-1]) || !json.Valid(d) {
		return "", nil, false
	}
	return action, d, true
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// echoable cuts an unknown action name to a harmless length on a rune boundary; JSON encoding escapes it.
func echoable(action string) string {
	if len(action) <= maxActionEcho {
		return action
	}
	cut := maxActionEcho
	for cut > 0 && !utf8.RuneStart(action[cut]) {
		cut--
	}
	return action[:cut]
}

// decodeRequest unmarshals an action's data into v. It returns 0, or the code to refuse the request with: 1283 when
// d is missing, 1282 when it is not JSON of the right shape.
func decodeRequest(d json.RawMessage, v any) int {
	if isNull(d) {
		return protocol.CodeJSONFieldMissing
	}
	if err := json.Unmarshal(d, v); err != nil {
		return protocol.CodeJSON
	}
	return 0
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

func isObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{'
}

// validation checks fields in order and keeps the first error's code.
type validation struct{ code int }

func (v *validation) required(ok bool) {
	if !ok && v.code == 0 {
		v.code = protocol.CodeJSONFieldMissing
	}
}

func (v *validation) valid(ok bool) {
	if !ok && v.code == 0 {
		v.code = protocol.CodeFieldInvalid
	}
}

// text checks an optional string field.
func (v *validation) text(s string) {
	v.valid(len(s) <= maxFieldBytes && utf8.ValidString(s))
}

// peerObject checks the "to" and the JSON object of a request for a peer (an SDP, a candidate): missing or null is
// 1283, any other JSON value than an object (a string, a number) is of the wrong type, 1282.
func (v *validation) peerObject(to *string, object json.RawMessage) {
	v.id(to)
	v.required(!isNull(object))
	v.wellTyped(isNull(object) || isObject(object))
}

// wellTyped checks that a field has the documented JSON type.
func (v *validation) wellTyped(ok bool) {
	if !ok && v.code == 0 {
		v.code = protocol.CodeJSON
	}
}

// id checks a required identifier given as *string.
func (v *validation) id(s *string) {
	v.required(s != nil && *s != "")
	if s != nil {
		v.text(*s)
	}
}

// mediaCode is the code a media plane error is answered with: its APICode, else 1280.
func mediaCode(err error) int {
	var coder APICoder
	if errors.As(err, &coder) {
		return coder.APICode()
	}
	return protocol.CodeSystem
}
