package gst

/*
#cgo pkg-config: gstreamer-1.0 gstreamer-app-1.0 gstreamer-video-1.0
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// NoTime marks an unknown timestamp or duration (GST_CLOCK_TIME_NONE).
const NoTime time.Duration = -1

var (
	// ErrClosed is returned by every call on a closed Pipeline or on its elements.
	ErrClosed = errors.New("gst: pipeline closed")
	// ErrFlushing means the element refused data because it is not running
	// (pipeline below PAUSED, or being torn down).
	ErrFlushing = errors.New("gst: flushing")
	// ErrEOS means the element already received end-of-stream.
	ErrEOS = errors.New("gst: end of stream")
)

var (
	initOnce sync.Once
	initErr  error
)

// Init initialises GStreamer once per process. It is safe to call from any
// goroutine, any number of times; NewPipeline calls it itself, so calling it
// at start-up only serves to report a broken installation early.
func Init() error {
	initOnce.Do(func() {
		initErr = takeError(C.shim_init())
	})
	return initErr
}

// takeError turns a message allocated by the shim into a Go error and frees it.
func takeError(msg *C.char) error {
	if msg == nil {
		return nil
	}
	defer C.g_free(C.gpointer(msg))
	return errors.New("gst: " + C.GoString(msg))
}

// cString copies s into C memory, freed by the caller with C.free. C strings
// end at the first NUL, so a Go string holding one is refused rather than
// silently truncated.
func cString(what, s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, fmt.Errorf("gst: %s contains a NUL byte", what)
	}
	return C.CString(s), nil
}

func freeCString(s *C.char) {
	C.free(unsafe.Pointer(s))
}

// clockTime converts a Go duration into a GstClockTime; NoTime maps to
// GST_CLOCK_TIME_NONE and any other negative value is an error.
func clockTime(d time.Duration) (C.guint64, error) {
	switch {
	case d == NoTime:
		return C.guint64(math.MaxUint64), nil
	case d < 0:
		return 0, fmt.Errorf("gst: negative time %v", d)
	default:
		return C.guint64(d), nil
	}
}

// goDuration converts a GstClockTime into a Go duration (NoTime when unset or
// beyond what a Duration holds).
func goDuration(t C.guint64) time.Duration {
	if uint64(t) > math.MaxInt64 {
		return NoTime
	}
	return time.Duration(t)
}
