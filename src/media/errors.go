package media

import (
	"errors"
	"fmt"

	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// Errors of the media plane. Each carries its API code (APICode, docs/API.md "Media errors"), so that the
// signaling server answers it.
var (
	ErrSDPDecode   = &Error{Code: protocol.CodeSDPDecode, msg: "media: SDP does not parse"}
	ErrAlreadyDone = &Error{Code: protocol.CodeSDPAlreadyNegotiated, msg: "media: offer already answered"}
	ErrCandidate   = &Error{Code: protocol.CodeFieldInvalid, msg: "media: invalid ICE candidate"}
	ErrSDPRejected = &Error{Code: protocol.CodeSDPRejected, msg: "media: SDP rejected"}
	ErrNoOffer     = &Error{Code: protocol.CodeNoOffer, msg: "media: no offer to answer"}
	ErrCapacity    = &Error{Code: protocol.CodeMediaCapacity, msg: "media: no session available"}
	ErrClosed      = errors.New("media: plane closed")
	ErrBadConfig   = errors.New("media: bad configuration")
)

// Error is an error with an API code. Wrapped errors keep the code: errors.Is(err, ErrSDPDecode) and
// errors.As(err, *Error) both work on what Publish, Answer and Candidate return.
type Error struct {
	Code int
	msg  string
}

func (e *Error) Error() string { return e.msg }

// APICode is the code the signaling server answers (signaling.APICoder).
func (e *Error) APICode() int { return e.Code }

// codedError wraps cause under the coded error e, keeping both in the chain.
type codedError struct {
	coded *Error
	cause error
}

func (e *codedError) Error() string   { return fmt.Sprintf("%s: %v", e.coded.msg, e.cause) }
func (e *codedError) Unwrap() []error { return []error{e.coded, e.cause} }
func (e *codedError) APICode() int    { return e.coded.Code }

// withCode returns cause classified as e.
func withCode(e *Error, cause error) error {
	return &codedError{coded: e, cause: cause}
}
