package gst

import (
	"fmt"
	"log/slog"
	"sync"
)

// Severity tells a bus error from a bus warning.
type Severity int

// The severities of BusError.
const (
	SeverityError Severity = iota + 1
	SeverityWarning
)

func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// BusError is an ERROR or WARNING message posted on a pipeline's bus, carrying
// GStreamer's own text.
type BusError struct {
	Severity Severity
	Source   string // name of the element that posted it
	Message  string // the GError message
	Debug    string // GStreamer's debug detail, often the real reason ("not-negotiated")
}

func (e *BusError) Error() string {
	msg := fmt.Sprintf("gst: %s from %s: %s", e.Severity, e.Source, e.Message)
	if e.Debug != "" {
		msg += " (" + e.Debug + ")"
	}
	return msg
}

// busState receives the bus messages of one pipeline. Its deliver method runs
// on GStreamer threads (or inside a C call made from Go) and never blocks.
type busState struct {
	logger *slog.Logger
	errs   chan error
	eos    chan struct{} // closed at the first EOS
	failed chan struct{} // closed at the first ERROR

	mu       sync.Mutex
	closed   bool
	first    *BusError   // first ERROR
	recent   []*BusError // latest ERRORs, oldest first, at most recentErrors
	errCount uint64      // number of ERRORs seen, to tell fresh ones from old ones
	dropped  uint64
}

// recentErrors bounds the ERRORs kept to explain a failed state change.
const recentErrors = 8

func newBusState(logger *slog.Logger, capacity int) *busState {
	return &busState{
		logger: logger,
		errs:   make(chan error, capacity),
		eos:    make(chan struct{}),
		failed: make(chan struct{}),
	}
}

func (b *busState) deliverEOS() {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.eos:
	default:
		close(b.eos)
	}
}

// deliver records err and hands it to the Errors channel; when that channel
// is full the message is logged and dropped instead of blocking GStreamer.
func (b *busState) deliver(err *BusError) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err.Severity == SeverityError {
		if b.first == nil {
			b.first = err
			close(b.failed)
		}
		if len(b.recent) == recentErrors {
			b.recent = append(b.recent[:0], b.recent[1:]...)
		}
		b.recent = append(b.recent, err)
		b.errCount++
	}
	if b.closed {
		return
	}
	select {
	case b.errs <- err:
	default:
		b.dropped++
		b.logger.Warn("gst: bus message dropped, Errors channel full", "error", err.Error(), "dropped", b.dropped)
	}
}

// firstSince returns the first ERROR that arrived after the count mark, which
// usually explains a failure better than the ones that follow it.
func (b *busState) firstSince(mark uint64) *BusError {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.errCount == mark {
		return nil
	}
	// recent[k] is ERROR number errCount-len(recent)+k+1.
	oldest := b.errCount - uint64(len(b.recent))
	if mark <= oldest {
		return b.recent[0]
	}
	return b.recent[mark-oldest]
}

func (b *busState) lastError() *BusError {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.recent) == 0 {
		return nil
	}
	return b.recent[len(b.recent)-1]
}

func (b *busState) errorMark() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.errCount
}

func (b *busState) firstError() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.first == nil {
		return nil
	}
	return b.first
}

func (b *busState) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		close(b.errs)
	}
}
