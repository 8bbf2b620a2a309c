package main

import (
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/signaling"
)

// drainCalls is the first step of a graceful stop: /healthz answers 503 so that load balancers send no one new,
// join is answered 1335, and the calls in progress go on until their last participant leaves or timeout passes.
// The caller then ends what is left (websockets closed with 1001, clean leaves, bus flushed).
func drainCalls(srv *signaling.Server, draining *atomic.Bool, timeout time.Duration, logger *slog.Logger) {
	draining.Store(true)
	drained := srv.Drain()
	st := srv.Stats()
	logger.Info("draining: joins refused, waiting for the calls in progress to end", "rooms", st.Rooms,
		"participants", st.Participants, "drainTimeout", timeout.String())
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-drained:
		logger.Info("drain: every call has ended")
	case <-t.C:
		st := srv.Stats()
		logger.Warn("drain: DRAIN_TIMEOUT reached, ending the calls left", "rooms", st.Rooms,
			"participants", st.Participants)
	}
}
