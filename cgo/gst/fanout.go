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
)

// Fanout hands every buffer that reaches an appsink to the appsrcs of other pipelines: one decoder feeding
// several encoders, each in its own pipeline. The buffers are passed by reference, on the appsink's streaming
// thread, without calling into Go: a decoded video frame is hundreds of kilobytes, and a call from C into Go per
// frame costs the Go scheduler more than the copy. A target receives the appsink's caps before its first buffer
// and again whenever they change.
//
// Targets must never block the source: an appsrc with block=false, a leaky-type and max-buffers (leaky-type=
// downstream max-buffers=1 gives a target the freshest buffer when it falls behind). A buffer a target had no
// time for is counted in FanoutStats.Replaced.
type Fanout struct {
	*Element
	ptr *C.ShimFanout // freed with the appsink's callbacks when the pipeline is released

	mu      sync.Mutex // serialises Add and Remove
	targets map[*AppSrc]*Pipeline
}

// FanoutStats counts what a Fanout did.
type FanoutStats struct {
	// Buffers counts the buffers that reached the appsink. Thinned counts the buffers a target did not take to
	// keep to its rate, Replaced those a target dropped unseen for a newer one (at most one too many when the
	// target takes a buffer at the very moment), Refused the pushes a target refused (stopped or closed
	// pipeline): each once per target.
	Buffers, Thinned, Replaced, Refused uint64
}

// AppSinkFanout attaches a Fanout to the appsink with this name, instead of AppSink (an appsink is attached once).
func (p *Pipeline) AppSinkFanout(name string) (*Fanout, error) {
	var f *Fanout
	err := p.attachAppsink(name, func(e *Element, c *pipelineCore) error {
		f = &Fanout{Element: e, ptr: C.shim_fanout_attach(e.ptr), targets: make(map[*AppSrc]*Pipeline)}
		c.refsMu.Lock()
		c.fanouts = append(c.fanouts, e.ptr)
		c.refsMu.Unlock()
		return nil
	})
	return f, err
}

// Add makes src, an appsrc of another pipeline (or of this one), receive the buffers from now on: every one, or
// with maxRate > 0 at most maxRate per second by their timestamps, its caps then carrying that frame rate (video
// encoders that assume a constant rate take it from there). The thinning lets through a buffer up to a quarter of
// an interval early, so that a source at the target's rate with jittered timestamps loses none; a videorate
// element in drop-only mode would drop those. The fan-out holds its own reference to the element, so src's
// pipeline may be closed before Remove: pushes to it are then refused and counted.
func (f *Fanout) Add(src *AppSrc, maxRate int) error {
	if src == nil {
		return errors.New("gst: fan-out target is nil")
	}
	if maxRate < 0 || maxRate > 1000 {
		return fmt.Errorf("gst: fan-out rate %d outside 0-1000", maxRate)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.targets[src]; ok {
		return fmt.Errorf("gst: %s is already a target of this fan-out", src.name)
	}
	// Both pipelines must stay alive during the call: the source's owns the fan-out, src's owns src.ptr.
	c := f.p.core
	if err := c.enter(); err != nil {
		return err
	}
	defer c.leave()
	if src.p.core != c {
		if err := src.p.core.enter(); err != nil {
			return err
		}
		defer src.p.core.leave()
	}
	if err := takeError(C.shim_fanout_add(f.ptr, src.ptr, C.guint(maxRate))); err != nil {
		return err
	}
	f.targets[src] = src.p
	return nil
}

// Remove stops the pushes to src; when it returns, none is in progress. Removing a target that was not added is
// an error.
func (f *Fanout) Remove(src *AppSrc) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.targets[src]; !ok {
		return errors.New("gst: not a target of this fan-out")
	}
	c := f.p.core
	if err := c.enter(); err != nil {
		return err
	}
	defer c.leave()
	delete(f.targets, src)
	// The fan-out compares pointers only: src's pipeline may be closed already.
	if C.shim_fanout_remove(f.ptr, src.ptr) == 0 {
		return errors.New("gst: fan-out target not found")
	}
	return nil
}

// Stats returns the fan-out's counters.
func (f *Fanout) Stats() (FanoutStats, error) {
	c := f.p.core
	if err := c.enter(); err != nil {
		return FanoutStats{}, err
	}
	defer c.leave()
	var buffers, thinned, replaced, refused C.guint64
	C.shim_fanout_stats(f.ptr, &buffers, &thinned, &replaced, &refused)
	return FanoutStats{
		Buffers: uint64(buffers), Thinned: uint64(thinned), Replaced: uint64(replaced), Refused: uint64(refused),
	}, nil
}

// Arrival returns when (on the Now clock) the buffer of running time pts reached the appsink, for one of the 64
// latest buffers; ok is false for an older or unknown one.
func (f *Fanout) Arrival(pts time.Duration) (when time.Duration, ok bool) {
	t, err := clockTime(pts)
	if err != nil {
		return 0, false
	}
	c := f.p.core
	if err := c.enter(); err != nil {
		return 0, false
	}
	defer c.leave()
	var us C.gint64
	if C.shim_fanout_arrival(f.ptr, t, &us) == 0 {
		return 0, false
	}
	return time.Duration(us) * time.Microsecond, true
}

// Now reads GStreamer's monotonic clock (g_get_monotonic_time): the clock of Fanout.Arrival.
func Now() time.Duration {
	return time.Duration(C.shim_monotonic_time()) * time.Microsecond
}
