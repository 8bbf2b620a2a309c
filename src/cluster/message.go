package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Message is what nodes send each other: a small typed header and an opaque body, so that signaling carries its
// frames unchanged in Body.
type Message struct {
	// Kind is the caller's name for the message type, e.g. "signal"; at most MaxFieldBytes, not empty. Kinds that
	// start with "cluster." are the package's own.
	Kind string
	// Room and Socket say which room and which participant the message is about; optional, at most MaxFieldBytes.
	Room   string
	Socket string
	// Body is opaque to the package; at most Config.MaxMessageBytes.
	Body []byte
}

// internalKinds is the prefix of the package's own kinds.
const internalKinds = "cluster."

// The package's own kinds.
const (
	// kindOwner asks a room's owner for its node id (a request to the room's queue).
	kindOwner = internalKinds + "owner"
	// kindClaim asks a node to claim Message.Room (a request to the node's inbox); the answer is kindOwned.
	kindClaim = internalKinds + "claim"
	// kindOwned answers kindOwner and kindClaim: Body is the owner's node id.
	kindOwned = internalKinds + "owned"
	// kindRefused answers kindClaim from a node that takes no new rooms (draining, leaving).
	kindRefused = internalKinds + "refused"
)

// Header names of the AMQP messages; the kind is the message's type property.
const (
	headerFrom   = "from"
	headerRoom   = "room"
	headerSocket = "socket"
	// headerReply marks a reply: its correlation id names the request.
	headerReply = "reply"
	// headerDeadline is a request's deadline, in milliseconds since the Unix epoch.
	headerDeadline = "deadline"
)

var (
	// ErrNoRoute: no queue takes the message: the room has no owner, or the node is gone. The broker returned it.
	ErrNoRoute = errors.New("cluster: no owner or node for this address (the broker returned the message)")
	// ErrNotConnected: the node has no connection to the broker at the moment.
	ErrNotConnected = errors.New("cluster: not connected to the broker")
	// ErrConnectionLost: the connection ended before the broker confirmed the message; it may or may not have
	// been delivered.
	ErrConnectionLost = errors.New("cluster: connection lost before the broker confirmed the message")
	// ErrNacked: the broker refused the message (an internal error of the broker).
	ErrNacked = errors.New("cluster: the broker refused the message")
	// ErrClosed: the node is closed.
	ErrClosed = errors.New("cluster: node closed")
)

// Address is where a message goes: a node's inbox or a room's inbox (its owner, whoever it is). The zero Address
// is invalid.
type Address struct {
	room bool
	id   string
}

// NodeAddress addresses the node id.
func NodeAddress(id string) Address { return Address{id: id} }

// RoomAddress addresses the owner of room.
func RoomAddress(room string) Address { return Address{room: true, id: room} }

// Node returns the node id of a node address.
func (a Address) Node() (string, bool) { return a.id, !a.room && a.id != "" }

// Room returns the room of a room address.
func (a Address) Room() (string, bool) { return a.id, a.room && a.id != "" }

func (a Address) String() string {
	if a.room {
		return "room " + a.id
	}
	return "node " + a.id
}

// queue returns the address's queue name, or an error for an invalid address.
func (a Address) queue(n names) (string, error) {
	switch {
	case a.room && validField(a.id, false):
		return n.roomQueue(a.id), nil
	case !a.room && ValidNodeID(a.id):
		return n.nodeQueue(a.id), nil
	}
	return "", fmt.Errorf("cluster: invalid address (%s)", a.kind())
}

func (a Address) kind() string {
	if a.room {
		return "room"
	}
	return "node"
}

// validField reports whether s fits a header field: at most MaxFieldBytes, and not empty unless optional.
func validField(s string, optional bool) bool {
	return len(s) <= MaxFieldBytes && (optional || s != "")
}

// check validates a message the caller sends.
func (m Message) check(maxBody int) error {
	switch {
	case !validField(m.Kind, false):
		return errors.New("cluster: Kind must be 1 to 1024 bytes")
	case strings.HasPrefix(m.Kind, internalKinds):
		return fmt.Errorf("cluster: kinds starting with %q are reserved", internalKinds)
	case !validField(m.Room, true), !validField(m.Socket, true):
		return errors.New("cluster: Room and Socket are at most 1024 bytes")
	case len(m.Body) > maxBody:
		return fmt.Errorf("cluster: a body of %d bytes exceeds MaxMessageBytes (%d)", len(m.Body), maxBody)
	}
	return nil
}

// Delivery is a message that arrived at this node: in its own inbox, or in the inbox of a room it owns.
type Delivery struct {
	Message
	// From is the sending node's id.
	From string
	// To is where the message arrived: NodeAddress(this node) or RoomAddress(a room this node owns).
	To Address
	// Deadline is when the sender of a request stops waiting for the reply, by the sender's clock; zero for a
	// message that is not a request. A Handler may skip the work of a request past it: the reply would be dropped.
	Deadline time.Time

	correlationID string
	replyTo       string
	node          *Node
}

// IsRequest reports whether the sender waits for a reply (Node.Request).
func (d *Delivery) IsRequest() bool { return d.replyTo != "" }

// Reply answers a request with m. It does not wait for the broker: a reply that cannot be delivered (the requester
// gone, or given up) is counted in Stats.MessagesReturned. It fails when d is not a request or m is invalid.
func (d *Delivery) Reply(m Message) error {
	if !d.IsRequest() || d.node == nil {
		return errors.New("cluster: not a request")
	}
	if err := m.check(d.node.cfg.MaxMessageBytes); err != nil {
		return err
	}
	return d.node.reply(d, m)
}

// publishing builds the AMQP message of m from node from.
func publishing(from string, m Message) amqp.Publishing {
	h := amqp.Table{headerFrom: from}
	if m.Room != "" {
		h[headerRoom] = m.Room
	}
	if m.Socket != "" {
		h[headerSocket] = m.Socket
	}
	return amqp.Publishing{
		Headers:      h,
		Type:         m.Kind,
		DeliveryMode: amqp.Transient,
		Body:         m.Body,
	}
}

// incoming is an AMQP delivery read back into the package's terms.
type incoming struct {
	msg           Message
	from          string
	reply         bool
	correlationID string
	replyTo       string
	deadline      time.Time
}

// decodeDelivery reads a delivery's header, refusing anything that the package did not write: a message from
// outside the cluster, or from a newer version, is dropped and counted rather than handed to the caller.
func decodeDelivery(d *amqp.Delivery, maxBody int) (incoming, error) {
	in := incoming{
		msg:           Message{Kind: d.Type, Body: d.Body},
		correlationID: d.CorrelationId,
		replyTo:       d.ReplyTo,
	}
	var err error
	if in.from, err = headerString(d.Headers, headerFrom, false); err != nil {
		return in, err
	}
	if !ValidNodeID(in.from) {
		return in, errors.New("the sender's node id is invalid")
	}
	if in.msg.Room, err = headerString(d.Headers, headerRoom, true); err != nil {
		return in, err
	}
	if in.msg.Socket, err = headerString(d.Headers, headerSocket, true); err != nil {
		return in, err
	}
	if v, ok := d.Headers[headerDeadline]; ok {
		ms, isInt := v.(int64)
		if !isInt || ms <= 0 {
			return in, fmt.Errorf("header %q is not a positive integer", headerDeadline)
		}
		in.deadline = time.UnixMilli(ms)
	}
	if v, ok := d.Headers[headerReply]; ok {
		b, isBool := v.(bool)
		if !isBool {
			return in, fmt.Errorf("header %q is a %T, not a boolean", headerReply, v)
		}
		in.reply = b
	}
	switch {
	case !validField(in.msg.Kind, false):
		return in, errors.New("the kind is empty or too long")
	case len(in.msg.Body) > maxBody:
		return in, fmt.Errorf("a body of %d bytes exceeds MaxMessageBytes", len(in.msg.Body))
	case len(in.correlationID) > MaxFieldBytes || len(in.replyTo) > MaxFieldBytes:
		return in, errors.New("the correlation id or reply-to is too long")
	case in.reply && in.correlationID == "":
		return in, errors.New("a reply without a correlation id")
	case in.replyTo != "" && in.correlationID == "":
		return in, errors.New("a request without a correlation id")
	}
	return in, nil
}

// headerString returns the string header name of h; "" when absent and optional.
func headerString(h amqp.Table, name string, optional bool) (string, error) {
	v, ok := h[name]
	if !ok {
		if optional {
			return "", nil
		}
		return "", fmt.Errorf("header %q is missing", name)
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("header %q is a %T, not a string", name, v)
	}
	if !validField(s, optional) {
		return "", fmt.Errorf("header %q is empty or longer than %d bytes", name, MaxFieldBytes)
	}
	return s, nil
}

// Handler receives the messages that arrive at a node: in its inbox, or in the inbox of a room it owns. Each inbox
// calls it from one goroutine of its own, in the order the messages arrived, so it must not block for long: a
// blocked call holds back the next messages of that inbox (the other inboxes go on). A Handler must not make a
// Request to the inbox it is serving (its own room, or its own node): the answer would wait behind the call.
// ctx ends when the node closes.
type Handler func(ctx context.Context, d *Delivery)
