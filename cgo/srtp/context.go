package srtp

// #cgo pkg-config: libsrtp2
// #include "shim.h"
import "C"

import (
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// ReplayWindow is the replay window of every context, in packets per SSRC: how far behind the
// newest packet a reordered (or retransmitted, for outbound) packet is still accepted. libsrtp's
// default of 128 is short for video with NACK; 1024 is what libwebrtc and Firefox use.
const ReplayWindow = 1024

// initLibrary runs srtp_init once per process; libsrtp is never shut down.
var initLibrary = sync.OnceValue(func() error {
	if status := C.srtp_init(); status != C.srtp_err_status_ok {
		return statusError(opInit, int(status))
	}
	return nil
})

// leakedContexts counts the contexts freed by the garbage collector instead of Close.
var leakedContexts atomic.Int64

// context owns one libsrtp session (srtp_t). Its mutex serialises every use of the session,
// which libsrtp does not make thread-safe, and Close against those uses.
type context struct {
	mu           sync.Mutex
	session      C.srtp_t // nil once closed
	direction    string
	profile      Profile
	rtpOverhead  int
	rtcpOverhead int
	cleanup      runtime.Cleanup
}

// leak is what the garbage-collection safety net needs to free a session nobody closed.
type leak struct {
	session   C.srtp_t
	direction string
	profile   Profile
}

func newContext(direction string, profile Profile, key, salt []byte) (*context, error) {
	if !profile.Valid() {
		return nil, ErrBadProfile
	}
	if len(key) != profile.KeyLen() || len(salt) != profile.SaltLen() {
		return nil, ErrBadKey
	}
	if err := initLibrary(); err != nil {
		return nil, err
	}
	inbound := C.int(0)
	if direction == directionInbound {
		inbound = 1
	}
	var session C.srtp_t
	status := C.lws_srtp_create(&session, C.int(profile), inbound,
		(*C.uchar)(unsafe.Pointer(unsafe.SliceData(key))), C.int(len(key)),
		(*C.uchar)(unsafe.Pointer(unsafe.SliceData(salt))), C.int(len(salt)),
		ReplayWindow)
	if status != C.srtp_err_status_ok {
		return nil, statusError(opCreate, int(status))
	}
	c := &context{
		session:      session,
		direction:    direction,
		profile:      profile,
		rtpOverhead:  profile.RTPOverhead(),
		rtcpOverhead: profile.RTCPOverhead(),
	}
	c.cleanup = runtime.AddCleanup(c, freeLeaked, leak{session: session, direction: direction, profile: profile})
	return c, nil
}

// freeLeaked is the safety net for a context that was dropped without Close: it frees the C
// memory and says so, since the owner should have closed it.
func freeLeaked(l leak) {
	total := leakedContexts.Add(1)
	slog.Warn("srtp: context was not closed; the garbage collector freed it",
		"direction", l.direction, "profile", l.profile.String(), "leakedTotal", total)
	if status := C.srtp_dealloc(l.session); status != C.srtp_err_status_ok {
		slog.Error("srtp: freeing a leaked context failed", "error", statusError(opDealloc, int(status)))
	}
}

// transform runs one libsrtp packet operation in place on pkt, allowing it to grow by spare
// bytes, and returns the resulting packet (a reslice of pkt).
func (c *context) transform(o op, pkt []byte, spare int) ([]byte, error) {
	if err := checkBuffer(pkt, spare); err != nil {
		return nil, err
	}
	// The deferred unlock also keeps c reachable until the C call has returned, so the
	// garbage-collection safety net cannot free the session under it.
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session == nil {
		return nil, ErrClosed
	}
	n := int(C.lws_srtp_transform(c.session, C.int(o), unsafe.Pointer(unsafe.SliceData(pkt)), C.int(len(pkt))))
	if n < 0 {
		return nil, statusError(o, -n)
	}
	if n > len(pkt)+spare {
		return nil, &Error{Op: opNames[o], Status: C.srtp_err_status_fail, Name: statusText[C.srtp_err_status_fail].name,
			Message: "libsrtp returned a packet longer than its buffer"}
	}
	return pkt[:n], nil
}

// close frees the libsrtp session; later calls, and later packet operations, get ErrClosed.
func (c *context) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session == nil {
		return ErrClosed
	}
	c.cleanup.Stop()
	status := C.srtp_dealloc(c.session)
	c.session = nil
	if status != C.srtp_err_status_ok {
		return statusError(opDealloc, int(status))
	}
	return nil
}
