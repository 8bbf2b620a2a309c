package gst

/*
#include "shim.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// defaultErrorQueue is the capacity of Errors when the config leaves it 0.
	defaultErrorQueue = 16
	// stateWaitSlice bounds each wait for an asynchronous state change, so
	// that cancellation and Close are noticed between slices.
	stateWaitSlice = 100 * time.Millisecond
	// teardownWait bounds the wait for the NULL state in Close.
	teardownWait = 5 * time.Second
)

// PipelineConfig describes a pipeline to build.
type PipelineConfig struct {
	// Description in gst-launch syntax, e.g.
	// "appsrc name=src format=time ... ! vp8enc name=enc ! appsink name=sink".
	Description string
	// Name of the pipeline in logs and GStreamer debug output; optional.
	Name string
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// ErrorQueue is the capacity of the Errors channel; 0 means 16.
	ErrorQueue int
}

// Pipeline is a GStreamer pipeline built from a description. Every method is
// safe for concurrent use. Close releases everything; a Pipeline dropped
// without Close is released by the garbage collector, which logs a leak.
type Pipeline struct {
	core    *pipelineCore
	cleanup runtime.Cleanup

	mu       sync.Mutex // guards the wrapper caches below
	elements map[string]*Element
	appsrcs  map[string]*AppSrc
	appsinks map[string]bool // the appsinks a consumer is attached to
}

// pipelineCore owns the C objects. It never points back to the Pipeline, so
// that an unreachable Pipeline can be collected and its cleanup can run.
type pipelineCore struct {
	logger *slog.Logger
	bus    *busState
	done   chan struct{} // closed once everything is released

	// mu is held shared by every call into C on the pipeline or its
	// elements, and exclusively by release: nothing is freed under a caller.
	mu        sync.RWMutex
	closing   atomic.Bool
	ptr       *C.GstElement
	busHandle cgo.Handle

	refsMu  sync.Mutex // guards refs, sinks, fanouts and queues
	refs    []*C.GstElement
	sinks   []attachedSink
	fanouts []*C.GstElement // appsinks with a fan-out attached
	queues  []attachedQueue

	closeOnce sync.Once
	closeErr  error
}

// attachedQueue is an appsink with a SampleQueue, and the queue's eventfd.
type attachedQueue struct {
	ptr  *C.GstElement
	file *os.File
}

type attachedSink struct {
	ptr    *C.GstElement
	state  *sinkState
	handle cgo.Handle
}

// NewPipeline builds a pipeline from a gst-launch description, in the NULL
// state.
func NewPipeline(description string) (*Pipeline, error) {
	return NewPipelineWith(PipelineConfig{Description: description})
}

// NewPipelineWith builds a pipeline, in the NULL state, and starts
// watching its bus.
func NewPipelineWith(cfg PipelineConfig) (*Pipeline, error) {
	if err := Init(); err != nil {
		return nil, err
	}
	if cfg.Description == "" {
		return nil, errors.New("gst: empty pipeline description")
	}
	if cfg.ErrorQueue < 0 {
		return nil, fmt.Errorf("gst: negative error queue %d", cfg.ErrorQueue)
	}
	if cfg.ErrorQueue == 0 {
		cfg.ErrorQueue = defaultErrorQueue
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ptr, err := parsePipeline(cfg.Description)
	if err != nil {
		return nil, err
	}
	if cfg.Name != "" {
		if err := setName(ptr, cfg.Name); err != nil {
			C.shim_unref(ptr)
			return nil, err
		}
	}
	logger := cfg.Logger
	if cfg.Name != "" {
		logger = logger.With("pipeline", cfg.Name)
	}
	core := &pipelineCore{
		logger: logger,
		bus:    newBusState(logger, cfg.ErrorQueue),
		done:   make(chan struct{}),
		ptr:    ptr,
	}
	core.busHandle = cgo.NewHandle(core.bus)
	if C.shim_bus_watch(ptr, C.uintptr_t(core.busHandle)) == 0 {
		core.busHandle.Delete()
		C.shim_unref(ptr)
		return nil, errors.New("gst: pipeline has no bus")
	}
	p := &Pipeline{
		core:     core,
		elements: make(map[string]*Element),
		appsrcs:  make(map[string]*AppSrc),
		appsinks: make(map[string]bool),
	}
	p.cleanup = runtime.AddCleanup(p, releaseLeaked, core)
	return p, nil
}

func parsePipeline(description string) (*C.GstElement, error) {
	if err := checkTypedValues(description); err != nil {
		return nil, err
	}
	desc, err := cString("pipeline description", description)
	if err != nil {
		return nil, err
	}
	defer freeCString(desc)
	var msg *C.char
	ptr := C.shim_pipeline_new(desc, &msg)
	if ptr == nil {
		if err := takeError(msg); err != nil {
			return nil, fmt.Errorf("gst: parse pipeline: %w", err)
		}
		return nil, errors.New("gst: parse pipeline failed")
	}
	return ptr, nil
}

func setName(ptr *C.GstElement, name string) error {
	prop := C.CString("name")
	defer freeCString(prop)
	value, err := cString("pipeline name", name)
	if err != nil {
		return err
	}
	defer freeCString(value)
	return takeError(C.shim_set_string(ptr, prop, value))
}

// releaseLeaked is the garbage collector's safety net for a Pipeline that was
// never closed.
func releaseLeaked(c *pipelineCore) {
	defer recoverCallback("leaked pipeline cleanup")
	c.logger.Warn("gst: pipeline leaked: garbage collected without Close; releasing it now")
	if err := c.close(); err != nil {
		c.logger.Error("gst: releasing leaked pipeline", "error", err)
	}
}

// enter guards a call into C: it fails once Close has begun.
func (c *pipelineCore) enter() error {
	c.mu.RLock()
	if c.closing.Load() {
		c.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

func (c *pipelineCore) leave() {
	c.mu.RUnlock()
}

// SetState asks for a state change and reports its immediate failure, with
// the bus error that explains it when GStreamer posted one. A change that
// GStreamer completes asynchronously (sinks prerolling: in an appsrc pipeline
// that happens only once data is pushed) is accepted and returns nil; its
// completion can be awaited with WaitState, and a later failure arrives on
// Errors.
func (p *Pipeline) SetState(target State) error {
	if !target.valid() {
		return fmt.Errorf("gst: invalid state %v", target)
	}
	c := p.core
	if err := c.enter(); err != nil {
		return err
	}
	defer c.leave()
	mark := c.bus.errorMark()
	if C.shim_set_state(c.ptr, C.int(target)) == C.GST_STATE_CHANGE_FAILURE {
		return c.stateError(target, mark)
	}
	return nil
}

// WaitState waits until no state change is pending and returns the state
// reached; a change asked for meanwhile is followed to its end. It fails if
// the change failed, ctx is done, or the pipeline is closed.
func (p *Pipeline) WaitState(ctx context.Context) (State, error) {
	c := p.core
	if err := c.enter(); err != nil {
		return 0, err
	}
	defer c.leave()
	for {
		var current C.int
		switch C.shim_get_state(c.ptr, C.guint64(stateWaitSlice), &current) {
		case C.GST_STATE_CHANGE_FAILURE:
			if busErr := c.bus.lastError(); busErr != nil {
				return State(current), fmt.Errorf("gst: state change: %w", busErr)
			}
			return State(current), errors.New("gst: state change failed")
		case C.GST_STATE_CHANGE_SUCCESS, C.GST_STATE_CHANGE_NO_PREROLL:
			return State(current), nil
		}
		if c.closing.Load() {
			return State(current), ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return State(current), fmt.Errorf("gst: waiting for a state change: %w", err)
		}
	}
}

func (c *pipelineCore) stateError(target State, mark uint64) error {
	if busErr := c.bus.firstSince(mark); busErr != nil {
		return fmt.Errorf("gst: set state %s: %w", target, busErr)
	}
	return fmt.Errorf("gst: set state %s: state change failed", target)
}

// Errors delivers the pipeline's bus errors and warnings (*BusError) as they
// are posted. It is buffered (PipelineConfig.ErrorQueue); when it is full,
// further messages are logged and dropped. It is closed by Close.
func (p *Pipeline) Errors() <-chan error {
	return p.core.bus.errs
}

// EOS is closed when end-of-stream has reached every sink of the pipeline.
func (p *Pipeline) EOS() <-chan struct{} {
	return p.core.bus.eos
}

// Err returns the first bus ERROR of the pipeline, or nil.
func (p *Pipeline) Err() error {
	return p.core.bus.firstError()
}

// WaitEOS waits until end-of-stream has reached every sink. It returns the
// first bus ERROR instead if the pipeline fails, ErrClosed if it is closed,
// or ctx's error.
func (p *Pipeline) WaitEOS(ctx context.Context) error {
	bus := p.core.bus
	select {
	case <-bus.eos:
		// An ERROR that came before EOS still means failure.
		return bus.firstError()
	case <-bus.failed:
		return bus.firstError()
	case <-p.core.done:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("gst: waiting for EOS: %w", ctx.Err())
	}
}

// Element returns the element with this name (searched recursively). The
// Element stays valid until the pipeline is closed.
func (p *Pipeline) Element(name string) (*Element, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.elements[name]; ok {
		return e, nil
	}
	ptr, err := p.core.lookup(name)
	if err != nil {
		return nil, err
	}
	e := newElement(p, name, ptr)
	p.elements[name] = e
	return e, nil
}

// lookup finds an element and keeps the reference until release.
func (c *pipelineCore) lookup(name string) (*C.GstElement, error) {
	cname, err := cString("element name", name)
	if err != nil {
		return nil, err
	}
	defer freeCString(cname)
	if err := c.enter(); err != nil {
		return nil, err
	}
	defer c.leave()
	ptr := C.shim_bin_get(c.ptr, cname)
	if ptr == nil {
		return nil, fmt.Errorf("gst: no element named %q in the pipeline", name)
	}
	c.refsMu.Lock()
	c.refs = append(c.refs, ptr)
	c.refsMu.Unlock()
	return ptr, nil
}

// Close stops the pipeline (NULL state, waiting for it), detaches every
// callback, closes the Errors and Samples channels and releases every C
// object. No callback runs after Close returns. It is idempotent; calls made
// after it return ErrClosed.
func (p *Pipeline) Close() error {
	p.cleanup.Stop()
	return p.core.close()
}

func (c *pipelineCore) close() error {
	c.closeOnce.Do(func() {
		c.closeErr = c.release()
	})
	return c.closeErr
}

func (c *pipelineCore) release() error {
	c.closing.Store(true)
	// Going to NULL first flushes the pipeline: it unblocks pushes and stops
	// the streaming threads, so the callers holding mu can finish.
	err := c.toNull()
	c.mu.Lock()
	defer c.mu.Unlock()
	// A state change that was in flight may have restarted the pipeline.
	if err2 := c.toNull(); err == nil {
		err = err2
	}
	c.refsMu.Lock()
	defer c.refsMu.Unlock()
	for _, s := range c.sinks {
		C.shim_appsink_detach(s.ptr)
		s.state.close()
		s.handle.Delete()
	}
	// Detaching frees each fan-out with its references to its targets, and each sample queue with its samples;
	// closing a queue's eventfd afterwards ends its Wait.
	for _, sink := range c.fanouts {
		C.shim_appsink_detach(sink)
	}
	for _, q := range c.queues {
		C.shim_appsink_detach(q.ptr)
		if closeErr := q.file.Close(); closeErr != nil && err == nil {
			err = fmt.Errorf("gst: closing a sample queue's eventfd: %w", closeErr)
		}
	}
	if C.shim_bus_unwatch(c.ptr) == 0 && err == nil {
		err = errors.New("gst: pipeline has no bus to unwatch")
	}
	c.bus.close()
	c.busHandle.Delete()
	for _, ref := range c.refs {
		C.shim_unref(ref)
	}
	C.shim_unref(c.ptr)
	c.ptr, c.refs, c.sinks, c.fanouts, c.queues = nil, nil, nil, nil, nil
	close(c.done)
	return err
}

// toNull sets the NULL state and waits for it; it is synchronous in practice.
func (c *pipelineCore) toNull() error {
	mark := c.bus.errorMark()
	switch C.shim_set_state(c.ptr, C.int(StateNull)) {
	case C.GST_STATE_CHANGE_FAILURE:
		return c.stateError(StateNull, mark)
	case C.GST_STATE_CHANGE_ASYNC:
		var current C.int
		if C.shim_get_state(c.ptr, C.guint64(teardownWait), &current) != C.GST_STATE_CHANGE_SUCCESS {
			return fmt.Errorf("gst: set state NULL: not reached within %v", teardownWait)
		}
	}
	return nil
}
