package gst

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"log/slog"
	"runtime/cgo"
	"unsafe"
)

// The functions below are called from C, on GStreamer's threads. They find
// their Go state through a cgo.Handle, never block, and recover from any
// panic: a panic must not unwind into C.

//export gstGoBusMessage
func gstGoBusMessage(handle C.uintptr_t, kind C.int, source, message, debug *C.char) {
	defer recoverCallback("bus message")
	bus, ok := cgo.Handle(handle).Value().(*busState)
	if !ok {
		panic(fmt.Sprintf("handle %d does not hold a bus", handle))
	}
	switch kind {
	case C.SHIM_BUS_EOS:
		bus.deliverEOS()
	case C.SHIM_BUS_ERROR, C.SHIM_BUS_WARNING:
		severity := SeverityError
		if kind == C.SHIM_BUS_WARNING {
			severity = SeverityWarning
		}
		bus.deliver(&BusError{
			Severity: severity,
			Source:   goStringOr(source, "unknown"),
			Message:  goStringOr(message, "no message"),
			Debug:    goStringOr(debug, ""),
		})
	}
}

//export gstGoSinkSample
func gstGoSinkSample(handle C.uintptr_t, data unsafe.Pointer, size C.gsize, pts, dts, duration C.guint64,
	delta C.int, caps *C.char, mapped C.int) {
	defer recoverCallback("appsink sample")
	st, ok := cgo.Handle(handle).Value().(*sinkState)
	if !ok {
		panic(fmt.Sprintf("handle %d does not hold an appsink", handle))
	}
	newCaps := goStringOr(caps, "")
	if mapped == 0 {
		st.setCaps(newCaps)
		st.drop("buffer could not be mapped")
		return
	}
	sample := Sample{
		Data:     make([]byte, int(size)),
		PTS:      goDuration(pts),
		DTS:      goDuration(dts),
		Duration: goDuration(duration),
		Keyframe: delta == 0,
	}
	if size > 0 {
		copy(sample.Data, unsafe.Slice((*byte)(data), int(size)))
	}
	st.deliver(sample, newCaps)
}

func goStringOr(s *C.char, fallback string) string {
	if s == nil {
		return fallback
	}
	return C.GoString(s)
}

// recoverCallback stops a panic at the edge of a callback (from C, or from
// the garbage collector's cleanup) and reports it.
func recoverCallback(what string) {
	if r := recover(); r != nil {
		slog.Error("gst: panic in callback", "callback", what, "panic", fmt.Sprint(r))
	}
}
