package srtp

// #cgo pkg-config: libsrtp2
// #include "shim.h"
import "C"

import (
	"errors"
	"strconv"
)

var (
	// ErrReplay reports a packet whose index was already seen or is older than the replay
	// window (srtp_err_status_replay_fail, srtp_err_status_replay_old). On inbound traffic it is
	// common (retransmissions, duplicated datagrams): count and drop. Test with errors.Is.
	ErrReplay = errors.New("srtp: replay check failed")
	// ErrAuth reports a packet whose authentication tag does not verify (srtp_err_status_auth_fail):
	// forged, corrupted or protected with another key. Test with errors.Is.
	ErrAuth = errors.New("srtp: authentication failed")
	// ErrMalformedPacket reports a packet too short for its headers and tag, or not version 2.
	ErrMalformedPacket = errors.New("srtp: malformed packet")
	// ErrShortBuffer reports a packet slice without the spare capacity that protection appends
	// (see Profile.RTPOverhead, Profile.RTCPOverhead, MaxRTPOverhead, MaxRTCPOverhead).
	ErrShortBuffer = errors.New("srtp: no spare capacity for the authentication tag")
	// ErrUnaligned reports a packet that does not start on a 4-byte boundary, which libsrtp requires.
	ErrUnaligned = errors.New("srtp: packet not aligned on 4 bytes")
	// ErrClosed reports a use of a closed (or nil) context.
	ErrClosed = errors.New("srtp: context closed")
	// ErrBadKey reports a master key or salt whose length does not fit the profile.
	ErrBadKey = errors.New("srtp: bad master key or salt length")
	// ErrBadProfile reports a profile this package does not support.
	ErrBadProfile = errors.New("srtp: unsupported protection profile")
)

// Error is a failed libsrtp call: the operation, libsrtp's status code and libsrtp's own
// description of it. Replay and authentication failures unwrap to ErrReplay and ErrAuth.
type Error struct {
	Op      string // what was called, e.g. "unprotect RTP"
	Status  int    // the srtp_err_status_t value
	Name    string // the srtp_err_status_t constant, e.g. "srtp_err_status_auth_fail"
	Message string // libsrtp's description of the status
}

func (e *Error) Error() string {
	return "srtp: " + e.Op + ": " + e.Message + " (" + e.Name + ")"
}

// Unwrap returns ErrReplay or ErrAuth for those failures, nil otherwise.
func (e *Error) Unwrap() error {
	switch e.Status {
	case C.srtp_err_status_replay_fail, C.srtp_err_status_replay_old:
		return ErrReplay
	case C.srtp_err_status_auth_fail:
		return ErrAuth
	}
	return nil
}

// statusText is libsrtp's description of each status, as srtp.h documents it: libsrtp 2
// has no function that returns them.
var statusText = [...]struct{ name, message string }{
	C.srtp_err_status_ok:            {"srtp_err_status_ok", "nothing to report"},
	C.srtp_err_status_fail:          {"srtp_err_status_fail", "unspecified failure"},
	C.srtp_err_status_bad_param:     {"srtp_err_status_bad_param", "unsupported parameter"},
	C.srtp_err_status_alloc_fail:    {"srtp_err_status_alloc_fail", "couldn't allocate memory"},
	C.srtp_err_status_dealloc_fail:  {"srtp_err_status_dealloc_fail", "couldn't deallocate properly"},
	C.srtp_err_status_init_fail:     {"srtp_err_status_init_fail", "couldn't initialize"},
	C.srtp_err_status_terminus:      {"srtp_err_status_terminus", "can't process as much data as requested"},
	C.srtp_err_status_auth_fail:     {"srtp_err_status_auth_fail", "authentication failure"},
	C.srtp_err_status_cipher_fail:   {"srtp_err_status_cipher_fail", "cipher failure"},
	C.srtp_err_status_replay_fail:   {"srtp_err_status_replay_fail", "replay check failed (bad index)"},
	C.srtp_err_status_replay_old:    {"srtp_err_status_replay_old", "replay check failed (index too old)"},
	C.srtp_err_status_algo_fail:     {"srtp_err_status_algo_fail", "algorithm failed test routine"},
	C.srtp_err_status_no_such_op:    {"srtp_err_status_no_such_op", "unsupported operation"},
	C.srtp_err_status_no_ctx:        {"srtp_err_status_no_ctx", "no appropriate context found"},
	C.srtp_err_status_cant_check:    {"srtp_err_status_cant_check", "unable to perform desired validation"},
	C.srtp_err_status_key_expired:   {"srtp_err_status_key_expired", "can't use key any more"},
	C.srtp_err_status_socket_err:    {"srtp_err_status_socket_err", "error in use of socket"},
	C.srtp_err_status_signal_err:    {"srtp_err_status_signal_err", "error in use POSIX signals"},
	C.srtp_err_status_nonce_bad:     {"srtp_err_status_nonce_bad", "nonce check failed"},
	C.srtp_err_status_read_fail:     {"srtp_err_status_read_fail", "couldn't read data"},
	C.srtp_err_status_write_fail:    {"srtp_err_status_write_fail", "couldn't write data"},
	C.srtp_err_status_parse_err:     {"srtp_err_status_parse_err", "error parsing data"},
	C.srtp_err_status_encode_err:    {"srtp_err_status_encode_err", "error encoding data"},
	C.srtp_err_status_semaphore_err: {"srtp_err_status_semaphore_err", "error while using semaphores"},
	C.srtp_err_status_pfkey_err:     {"srtp_err_status_pfkey_err", "error while using pfkey"},
	C.srtp_err_status_bad_mki:       {"srtp_err_status_bad_mki", "error MKI present in packet is invalid"},
	C.srtp_err_status_pkt_idx_old:   {"srtp_err_status_pkt_idx_old", "packet index is too old to consider"},
	C.srtp_err_status_pkt_idx_adv:   {"srtp_err_status_pkt_idx_adv", "packet index advanced, reset needed"},
}

// op names a libsrtp call in errors; the transforms use the shim's numbering.
type op int

const (
	opProtectRTP    op = C.LWS_SRTP_PROTECT_RTP
	opProtectRTCP   op = C.LWS_SRTP_PROTECT_RTCP
	opUnprotectRTP  op = C.LWS_SRTP_UNPROTECT_RTP
	opUnprotectRTCP op = C.LWS_SRTP_UNPROTECT_RTCP
	opInit          op = iota
	opCreate
	opDealloc
	numOps
)

var opNames = [numOps]string{
	opProtectRTP:    "protect RTP",
	opProtectRTCP:   "protect RTCP",
	opUnprotectRTP:  "unprotect RTP",
	opUnprotectRTCP: "unprotect RTCP",
	opInit:          "srtp_init",
	opCreate:        "srtp_create",
	opDealloc:       "srtp_dealloc",
}

// statusErrors holds one prebuilt *Error per operation and known status, so that a failing
// packet (a replay on inbound traffic is routine) costs no allocation.
var statusErrors = func() (table [numOps][len(statusText)]*Error) {
	for o := range table {
		for s := range table[o] {
			table[o][s] = &Error{Op: opNames[o], Status: s, Name: statusText[s].name, Message: statusText[s].message}
		}
	}
	return table
}()

// statusError returns the error for a libsrtp status other than srtp_err_status_ok.
func statusError(o op, status int) error {
	if status > 0 && status < len(statusText) {
		return statusErrors[o][status]
	}
	return &Error{Op: opNames[o], Status: status, Name: "srtp_err_status(" + strconv.Itoa(status) + ")",
		Message: "unknown status"}
}
