package bus_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// shutdown stops p within timeout (0: a short one, when the test does not care about what is left).
func shutdown(t testing.TB, p *bus.AMQPPublisher, timeout time.Duration) error {
	t.Helper()
	if timeout == 0 {
		timeout = 100 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return p.Shutdown(ctx)
}
