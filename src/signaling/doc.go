// Package signaling is the websocket API of the server: connections, the action dispatch, rooms, reconnection and
// the relay of SDP and ICE candidates between peers. docs/API.md is the protocol it implements.
//
// Concurrency, in one paragraph: every websocket has a read goroutine (which runs the action handlers one at a
// time) and a write goroutine (which drains a bounded queue). A room's mutex guards its members and every mutable
// field of those members; handlers change a room and enqueue the messages it causes while holding that mutex, so
// each client receives messages in the order of the changes. Enqueueing never blocks: a full queue closes the slow
// connection. Messages are encoded to JSON by the write goroutines, never under a room lock. Lock order:
// room.mu, then hub.mu; hub.mu is never held while taking a room's.
package signaling
