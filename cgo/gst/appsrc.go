package gst

/*
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"
)

// AppSrc feeds buffers from Go into a pipeline. Its queue must be bounded
// (see Pipeline.AppSrc). Push, SetCaps and EndOfStream are safe for concurrent
// use, but buffers keep the order of the calls, so one goroutine normally
// feeds one AppSrc.
type AppSrc struct {
	*Element

	capsMu sync.Mutex
	caps   string // last caps set, to skip repeated identical calls
}

// AppSrc returns the appsrc with this name. It must be configured for live
// timestamped data with a bounded queue, e.g.
//
//	appsrc name=src format=time is-live=true max-buffers=64 leaky-type=downstream
//
// An appsrc with format other than time, or which could queue without bound
// (no max-* limit, or leaky-type=none with block=false), is refused. With
// block=true, Push blocks while the queue is full (Close unblocks it).
func (p *Pipeline) AppSrc(name string) (*AppSrc, error) {
	e, err := p.Element(name)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if src, ok := p.appsrcs[name]; ok {
		return src, nil
	}
	c := p.core
	if err := c.enter(); err != nil {
		return nil, err
	}
	defer c.leave()
	if C.shim_is_appsrc(e.ptr) == 0 {
		return nil, fmt.Errorf("gst: element %q is not an appsrc", name)
	}
	if err := takeError(C.shim_appsrc_check(e.ptr)); err != nil {
		return nil, err
	}
	src := &AppSrc{Element: e}
	p.appsrcs[name] = src
	return src, nil
}

// Push copies data into a new buffer stamped with pts and duration (NoTime
// when unknown) and queues it; buffers pushed before the pipeline first
// starts wait in the queue. It returns ErrFlushing once the pipeline has been
// stopped, ErrEOS after EndOfStream, ErrClosed after Close.
func (s *AppSrc) Push(data []byte, pts, duration time.Duration) error {
	if len(data) == 0 {
		return errors.New("gst: push of an empty buffer")
	}
	cpts, err := clockTime(pts)
	if err != nil {
		return fmt.Errorf("gst: push pts: %w", err)
	}
	cdur, err := clockTime(duration)
	if err != nil {
		return fmt.Errorf("gst: push duration: %w", err)
	}
	c := s.p.core
	if err := c.enter(); err != nil {
		return err
	}
	defer c.leave()
	flow := C.shim_appsrc_push(s.ptr, unsafe.Pointer(&data[0]), C.gsize(len(data)), cpts, cdur)
	return s.flowError("push", flow)
}

// SetCaps sets the caps of the buffers pushed from now on (e.g. when the
// resolution changes). The change travels in order with the data; calling it
// again with the same caps costs nothing.
func (s *AppSrc) SetCaps(caps string) error {
	if caps == "" {
		return errors.New("gst: empty caps")
	}
	s.capsMu.Lock()
	defer s.capsMu.Unlock()
	if caps == s.caps {
		return nil
	}
	if err := checkTypedValues(caps); err != nil {
		return err
	}
	ccaps, err := cString("caps", caps)
	if err != nil {
		return err
	}
	defer freeCString(ccaps)
	c := s.p.core
	if err := c.enter(); err != nil {
		return err
	}
	defer c.leave()
	if err := takeError(C.shim_appsrc_set_caps(s.ptr, ccaps)); err != nil {
		return err
	}
	s.caps = caps
	return nil
}

// EndOfStream queues end-of-stream after the buffers already pushed; wait for
// it to reach the sinks with Pipeline.WaitEOS.
func (s *AppSrc) EndOfStream() error {
	c := s.p.core
	if err := c.enter(); err != nil {
		return err
	}
	defer c.leave()
	return s.flowError("end of stream", C.shim_appsrc_end_of_stream(s.ptr))
}

func (s *AppSrc) flowError(op string, flow C.int) error {
	switch flow {
	case C.GST_FLOW_OK:
		return nil
	case C.GST_FLOW_FLUSHING:
		return fmt.Errorf("gst: %s on %s: %w", op, s.name, ErrFlushing)
	case C.GST_FLOW_EOS:
		return fmt.Errorf("gst: %s on %s: %w", op, s.name, ErrEOS)
	default:
		return fmt.Errorf("gst: %s on %s: flow %s", op, s.name, C.GoString(C.shim_flow_name(flow)))
	}
}

// ForceKeyUnit asks the encoder downstream for a keyframe on the next buffer pushed after the call: it sends the
// standard downstream force-key-unit event (all headers included) through the appsrc, which queues it in order
// with its buffers. Unlike Element.ForceKeyUnit, which sends the event to an element's sink pad and waits for the
// frame being processed, it never blocks.
func (s *AppSrc) ForceKeyUnit() error {
	count := s.keyUnits.Add(1)
	c := s.p.core
	if err := c.enter(); err != nil {
		return err
	}
	defer c.leave()
	return takeError(C.shim_appsrc_force_key_unit(s.ptr, C.guint(count)))
}
