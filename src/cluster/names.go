package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
)

// Limits on the names that go into AMQP names and headers. An AMQP short string, the type of queue and exchange
// names, holds at most 255 bytes; with these limits every name the package builds stays far below it (see
// roomQueueName).
const (
	// MaxNodeIDBytes bounds a NODE_ID.
	MaxNodeIDBytes = 64
	// MaxNamespaceBytes bounds Config.Namespace.
	MaxNamespaceBytes = 64
	// MaxFieldBytes bounds a Message's Kind, Room and Socket.
	MaxFieldBytes = 1024
	// plainRoomBytes is the longest room id used as is in its queue's name; longer ones are hashed.
	plainRoomBytes = 128
)

var (
	errBadNodeID    = errors.New("cluster: a node id is 1 to 64 characters among A-Z a-z 0-9 . _ : -")
	errBadNamespace = errors.New("cluster: Namespace is 1 to 64 characters among A-Z a-z 0-9 . _ : -")
)

// nameChar reports whether c may appear as is in a name: the characters of the AMQP grammar for names, which every
// broker tool displays and quotes without trouble.
func nameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' ||
		c == ':' || c == '-'
}

// plainName reports whether s is made of 1 to maxBytes name characters.
func plainName(s string, maxBytes int) bool {
	if s == "" || len(s) > maxBytes {
		return false
	}
	for i := range len(s) {
		if !nameChar(s[i]) {
			return false
		}
	}
	return true
}

// ValidNodeID reports whether id can name a node: 1 to MaxNodeIDBytes characters among A-Z a-z 0-9 . _ : -.
func ValidNodeID(id string) bool { return plainName(id, MaxNodeIDBytes) }

// names builds the broker's names of one cluster (one Namespace): the announcement exchange, the node inboxes and
// the room queues.
type names struct{ ns string }

// exchange receives every node's announcements (a fanout exchange).
func (n names) exchange() string { return n.ns + ".cluster" }

// nodeQueue is the inbox of node id.
func (n names) nodeQueue(id string) string { return n.ns + ".node." + id }

// roomQueue is the queue whose exclusive owner owns room, and the room's inbox.
//
// A room id made of 1 to 128 name characters is used as is, so that operators recognise it in the broker's tools;
// any other (longer, other characters, any UTF-8 or none) is replaced by "~" and the hex SHA-256 of its bytes. "~"
// is not a name character, so the two forms never collide, and a collision of SHA-256 is not a practical concern.
// The longest name is the namespace (64), ".room." (6) and 128 bytes: 198 of the 255 an AMQP name may hold.
func (n names) roomQueue(room string) string {
	if plainName(room, plainRoomBytes) {
		return n.ns + ".room." + room
	}
	sum := sha256.Sum256([]byte(room))
	return n.ns + ".room.~" + hex.EncodeToString(sum[:])
}
