package metrics

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
)

// ContentType is the media type of the text exposition format.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// maxLoggedErrors bounds the error lines one scrape writes to the log.
const maxLoggedErrors = 5

// Collector adds samples to a scrape. Collect runs at every scrape, on the scraping goroutine: it reads counters
// (atomics, a Stats() call) and must not block for long.
type Collector interface {
	Collect(e *Emitter)
}

// CollectorFunc adapts a function to Collector.
type CollectorFunc func(e *Emitter)

// Collect calls f(e).
func (f CollectorFunc) Collect(e *Emitter) { f(e) }

// Registry holds the collectors and serves their samples as one exposition.
type Registry struct {
	log *slog.Logger

	mu         sync.Mutex
	collectors []Collector
}

// NewRegistry returns an empty registry; errors of scrapes are logged on logger (nil: not logged).
func NewRegistry(logger *slog.Logger) *Registry {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Registry{log: logger}
}

// Register adds c; its samples follow those of the collectors registered before it.
func (r *Registry) Register(c Collector) error {
	if c == nil {
		return errors.New("metrics: Register: nil collector")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.collectors = append(r.collectors, c)
	return nil
}

// Gather runs every collector and returns the exposition, with the errors of the samples it had to drop and of
// the collectors that panicked.
func (r *Registry) Gather() ([]byte, []error) {
	r.mu.Lock()
	collectors := append([]Collector(nil), r.collectors...)
	r.mu.Unlock()
	e := newEmitter()
	for _, c := range collectors {
		if err := collectSafely(c, e); err != nil {
			e.errs = append(e.errs, err)
		}
	}
	var out bytes.Buffer
	for _, f := range e.order {
		if len(f.lines) == 0 {
			continue
		}
		out.WriteString("# HELP ")
		out.WriteString(f.name)
		out.WriteByte(' ')
		out.Write(appendEscaped(nil, f.help, false))
		out.WriteString("\n# TYPE ")
		out.WriteString(f.name)
		out.WriteByte(' ')
		out.WriteString(f.kind)
		out.WriteByte('\n')
		out.Write(f.lines)
	}
	return out.Bytes(), e.errs
}

// collectSafely runs c; a panic becomes an error, and the samples c emitted before it are kept.
func collectSafely(c Collector, e *Emitter) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("metrics: collector %T panicked: %v\n%s", c, v, debug.Stack())
		}
	}()
	c.Collect(e)
	return nil
}

// ServeHTTP serves the exposition (GET and HEAD).
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, errs := r.Gather()
	for i, err := range errs {
		if i == maxLoggedErrors {
			r.log.Error("metrics: more scrape errors", "count", len(errs)-maxLoggedErrors)
			break
		}
		r.log.Error("metrics: sample dropped", "err", err)
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Cache-Control", "no-store")
	if _, err := w.Write(body); err != nil {
		r.log.Debug("metrics: write failed", "remote", req.RemoteAddr, "err", err)
	}
}
