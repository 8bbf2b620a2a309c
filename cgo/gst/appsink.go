package gst

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"log/slog"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"time"
)

// Sample is one buffer that reached an appsink, copied into Go memory.
type Sample struct {
	Data []byte
	// PTS and DTS are running times (the buffer timestamps mapped through
	// the segment), on the same timeline as the timestamps pushed into the
	// pipeline's appsrc; NoTime when unset or outside the segment.
	PTS      time.Duration
	DTS      time.Duration
	Duration time.Duration // NoTime when unset
	// Keyframe is true unless GStreamer flagged the buffer as a delta unit:
	// meaningful for encoded video (raw frames are never delta units).
	Keyframe bool
	// Caps describe the data ("video/x-raw, format=(string)I420, width=...");
	// consecutive samples with the same caps share the same string.
	Caps string
}

// AppSink delivers the samples of an appsink on a bounded channel.
type AppSink struct {
	*Element
	state *sinkState
}

// AppSink returns the appsink with this name and starts delivering its
// samples on a channel of the given capacity. The appsink's new-sample
// callback copies each sample and hands it over without ever blocking the
// streaming thread: when the channel is full, the oldest queued sample is
// dropped to make room (live media wants the freshest data) and counted in
// Dropped. Attach before PLAYING; samples that were already waiting are
// delivered at the next one. An appsink can be attached only once.
func (p *Pipeline) AppSink(name string, capacity int) (*AppSink, error) {
	if capacity < 1 {
		return nil, fmt.Errorf("gst: appsink capacity %d, want at least 1", capacity)
	}
	var sink *AppSink
	err := p.attachAppsink(name, func(e *Element, c *pipelineCore) error {
		state := newSinkState(c.logger.With("appsink", name), capacity)
		handle := cgo.NewHandle(state)
		c.refsMu.Lock()
		c.sinks = append(c.sinks, attachedSink{ptr: e.ptr, state: state, handle: handle})
		c.refsMu.Unlock()
		C.shim_appsink_attach(e.ptr, C.uintptr_t(handle))
		sink = &AppSink{Element: e, state: state}
		return nil
	})
	return sink, err
}

// attachAppsink runs attach on the appsink with this name, under the pipeline's lock and inside its core. An
// appsink takes one consumer (AppSink, AppSinkQueue or AppSinkFanout): a second attach fails.
func (p *Pipeline) attachAppsink(name string, attach func(e *Element, c *pipelineCore) error) error {
	e, err := p.Element(name)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.appsinks[name] {
		return fmt.Errorf("gst: appsink %q is already attached", name)
	}
	c := p.core
	if err := c.enter(); err != nil {
		return err
	}
	defer c.leave()
	if C.shim_is_appsink(e.ptr) == 0 {
		return fmt.Errorf("gst: element %q is not an appsink", name)
	}
	if err := attach(e, c); err != nil {
		return err
	}
	p.appsinks[name] = true
	return nil
}

// Samples delivers the samples in order. It is closed by Pipeline.Close.
func (s *AppSink) Samples() <-chan Sample {
	return s.state.samples
}

// Dropped counts the samples dropped because the channel was full, or because
// their buffer could not be read.
func (s *AppSink) Dropped() uint64 {
	return s.state.dropped.Load()
}

// sinkState is what the C callback reaches through its cgo handle.
type sinkState struct {
	logger  *slog.Logger
	samples chan Sample
	dropped atomic.Uint64

	mu     sync.Mutex // serialises delivery with close
	closed bool
	caps   string // caps of the latest sample
}

func newSinkState(logger *slog.Logger, capacity int) *sinkState {
	return &sinkState{logger: logger, samples: make(chan Sample, capacity)}
}

// setCaps records the caps of the samples to come; "" means unchanged.
func (st *sinkState) setCaps(caps string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if caps != "" {
		st.caps = caps
	}
}

// deliver stamps s with the current caps (newCaps, unless "") and hands it
// over without blocking, dropping the oldest queued sample when the channel
// is full.
func (st *sinkState) deliver(s Sample, newCaps string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if newCaps != "" {
		st.caps = newCaps
	}
	s.Caps = st.caps
	if st.closed {
		return
	}
	for {
		select {
		case st.samples <- s:
			return
		default:
		}
		select {
		case <-st.samples:
			st.drop("channel full")
		default:
		}
	}
}

// drop counts a lost sample; it logs the first one and then every 1000th, so a
// stuck consumer cannot flood the log.
func (st *sinkState) drop(reason string) {
	if n := st.dropped.Add(1); n%1000 == 1 {
		st.logger.Warn("gst: appsink sample dropped", "reason", reason, "dropped", n)
	}
}

func (st *sinkState) close() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.closed {
		st.closed = true
		close(st.samples)
	}
}
