package gst

/*
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"
)

// SampleQueue holds the samples of an appsink in C until they are popped, bounded (the oldest dropped when full),
// and wakes a goroutine blocked in Wait through the Go netpoller. It is AppSink without a call from C into Go
// per sample: on the build machines such a call costs the Go scheduler about 0.3 ms of CPU (sysmon is woken and
// polls for a millisecond after each one), more than a frame's packetizing; an eventfd read costs a third of it.
// Wait and Pop are meant for one goroutine.
type SampleQueue struct {
	*Element
	ptr     *C.ShimSinkQueue // freed with the appsink's callbacks when the pipeline is released
	file    *os.File         // the eventfd, closed after the queue is freed
	caps    string           // caps of the latest sample popped
	dropped atomic.Uint64    // samples whose buffer could not be read
}

// AppSinkQueue attaches a SampleQueue of the given capacity to the appsink with this name, instead of AppSink.
func (p *Pipeline) AppSinkQueue(name string, capacity int) (*SampleQueue, error) {
	if capacity < 1 {
		return nil, fmt.Errorf("gst: sample queue capacity %d, want at least 1", capacity)
	}
	var q *SampleQueue
	err := p.attachAppsink(name, func(e *Element, c *pipelineCore) error {
		var fd C.int
		ptr := C.shim_sinkqueue_attach(e.ptr, C.guint(capacity), &fd)
		if ptr == nil {
			return errors.New("gst: no eventfd for the sample queue")
		}
		file := os.NewFile(uintptr(fd), "sample queue of "+name)
		c.refsMu.Lock()
		c.queues = append(c.queues, attachedQueue{ptr: e.ptr, file: file})
		c.refsMu.Unlock()
		q = &SampleQueue{Element: e, ptr: ptr, file: file}
		return nil
	})
	return q, err
}

// Wait blocks until a sample may be waiting: call Pop until it reports none, then Wait again. It returns
// ErrClosed once the pipeline is closed.
func (q *SampleQueue) Wait() error {
	var buf [8]byte
	if _, err := q.file.Read(buf[:]); err != nil {
		if errors.Is(err, os.ErrClosed) {
			return ErrClosed
		}
		return fmt.Errorf("gst: waiting for samples: %w", err)
	}
	return nil
}

// Pop returns the oldest waiting sample, copied into Go memory; ok is false when none waits.
func (q *SampleQueue) Pop() (s Sample, ok bool, err error) {
	c := q.p.core
	if err := c.enter(); err != nil {
		return Sample{}, false, err
	}
	defer c.leave()
	for {
		var info C.ShimSampleInfo
		sample := C.shim_sinkqueue_pop(q.ptr, &info)
		if sample == nil {
			return Sample{}, false, nil
		}
		if info.caps != nil {
			q.caps = C.GoString(info.caps)
			C.g_free(C.gpointer(info.caps))
		}
		if info.has_buffer == 0 {
			C.shim_sample_unref(sample)
			q.dropped.Add(1)
			continue
		}
		s = Sample{
			Data: make([]byte, int(info.size)), PTS: goDuration(info.pts), DTS: goDuration(info.dts),
			Duration: goDuration(info.duration), Keyframe: info.delta == 0, Caps: q.caps,
		}
		if info.size > 0 && C.shim_sample_extract(sample, unsafe.Pointer(&s.Data[0]), info.size) != info.size {
			C.shim_sample_unref(sample)
			q.dropped.Add(1)
			continue
		}
		C.shim_sample_unref(sample)
		return s, true, nil
	}
}

// Dropped counts the samples dropped because the queue was full, or because their buffer could not be read.
func (q *SampleQueue) Dropped() uint64 {
	c := q.p.core
	if err := c.enter(); err != nil {
		return q.dropped.Load()
	}
	defer c.leave()
	return uint64(C.shim_sinkqueue_dropped(q.ptr)) + q.dropped.Load()
}
