// Package cbench is the plain C loop that package srtp's benchmark measures itself against:
// libsrtp called directly, the limit a Go binding can approach. Only benchmarks use it.
package cbench

// #cgo pkg-config: libsrtp2
// #include <stdlib.h>
// #include "cbench.h"
import "C"

import (
	"errors"
	"strconv"
	"unsafe"
)

// Loop is a protecting and an unprotecting libsrtp context sharing a key, and an RTP packet.
type Loop struct {
	b *C.struct_cbench // C memory, so that C may keep the pointers it holds
}

// NewLoop sets up a loop for profile (a DTLS-SRTP profile value, which libsrtp's
// srtp_profile_t shares) and packets of pktLen bytes. libsrtp must already be initialised,
// which package srtp does once per process. Close it when done.
func NewLoop(profile uint16, pktLen int) (*Loop, error) {
	b := (*C.struct_cbench)(C.calloc(1, C.size_t(unsafe.Sizeof(C.struct_cbench{}))))
	if b == nil {
		return nil, errors.New("cbench: out of memory")
	}
	if err := check(C.cbench_new(b, C.int(profile), C.int(pktLen))); err != nil {
		C.free(unsafe.Pointer(b))
		return nil, err
	}
	return &Loop{b: b}, nil
}

// Run protects then unprotects the packet n times in C, with a fresh sequence number each time.
func (l *Loop) Run(n int) error {
	return check(C.cbench_run(l.b, C.long(n)))
}

// Close frees the contexts and the packet.
func (l *Loop) Close() error {
	err := check(C.cbench_free(l.b))
	C.free(unsafe.Pointer(l.b))
	l.b = nil
	return err
}

func check(status C.srtp_err_status_t) error {
	if status != C.srtp_err_status_ok {
		return errors.New("cbench: libsrtp status " + strconv.Itoa(int(status)))
	}
	return nil
}
