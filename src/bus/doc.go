// Package bus publishes room events on RabbitMQ's live_events exchange for backend services.
//
// Signaling calls Publisher.Publish under the lock of the room an event describes, so the order of events is the
// order of committed changes. AMQPPublisher makes that call cheap and safe: Publish only appends the event to a
// bounded in-memory outbox; one goroutine takes events in order, encodes them to JSON (adding eventId and ts),
// publishes them with publisher confirms, and retries whatever the broker did not confirm after reconnecting with
// capped exponential backoff and jitter. Delivery is at least once: consumers dedupe by eventId.
//
// When the broker is away the outbox fills. Past Options.OutboxLimit it drops the oldest room.live snapshot, then
// the oldest client report, to make room; room.join and room.leave are kept up to Options.OutboxHardLimit, the bound
// on memory, past which they are dropped too. Every drop is counted (Stats) and logged.
//
// docs/OPERATIONS.md, section "Bus", describes the payloads, the guarantees and the configuration.
package bus
