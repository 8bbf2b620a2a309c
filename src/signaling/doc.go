// Package signaling is the websocket API of the server (docs/API.md): it upgrades connections, dispatches the
// actions, keeps the rooms and their participants, holds a dropped participant's place for a reconnect, and relays
// SDP, candidates and messages between peers (relay mode) or hands them to the media plane (MCU mode).
//
//	srv, err := signaling.NewServerWith(signaling.DefaultOptions(), verifier, publisher, mediaPlane, logger)
//	mux.Handle("/api", srv) // each request is upgraded to a websocket that lives on in two goroutines
//	go srv.Run(ctx)         // room.live every Options.LiveInterval, until ctx ends
//	...
//	<-srv.Drain()           // on SIGTERM: join refused (1335) until every participant has left ...
//	err = srv.Shutdown(ctx) // ... then the websockets left are closed (1001) and their participants leave
//
// publisher receives the room events (bus.Discard{} for none). mediaPlane is nil in relay mode; in MCU mode it is
// the MediaPlane the server calls for exchangeSdp and exchangeCandidate, which reaches clients back through
// Server.Send and Server.Participant. Snapshot and Stats describe the server for the admin listener and /metrics.
//
// docs/ARCHITECTURE.md, "Signaling", describes the design: a read and a write goroutine per websocket, one lock
// per room under which a change and every message it causes are queued, and the lock order.
package signaling
