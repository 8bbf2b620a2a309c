// Package bus publishes room events on RabbitMQ's live_events exchange for backend services.
//
//	opts := bus.DefaultOptions()
//	opts.URL = rabbitMQURL
//	p, err := bus.NewAMQPPublisherWith(opts, logger) // does not wait for the broker
//	p.Publish(bus.RoomJoin{RoomID: "r1", ...})       // never blocks, never does I/O
//	...
//	err = p.Shutdown(ctx) // delivers what is queued until ctx ends, then disconnects
//
// Publisher is what signaling needs; Discard is the Publisher of a server without a bus. Publish only appends the
// event to a bounded outbox, so signaling calls it under the lock of the room an event describes and the order
// of events is the order of committed changes; one goroutine encodes and publishes them with confirms, and
// delivers again what the broker did not confirm (at least once: consumers dedupe by eventId). Stats gives the
// counters.
//
// docs/ARCHITECTURE.md, "Bus", says what is dropped when the broker is away; docs/OPERATIONS.md, "Bus", gives the
// payloads, the guarantees and the configuration.
package bus
