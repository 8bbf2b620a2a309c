package media

import (
	"errors"
	"fmt"
)

// API error codes of the media plane, sent in exchangeSdpR and exchangeCandidateR (docs/API.md, Error codes).
// 1320, 1330 and 1334 are the signaling server's codes reused with the same meaning; the others are the media
// plane's own, from 0x540 on.
const (
	CodeSDPDecode            = 0x528 // 1320: the SDP does not parse
	CodeSDPAlreadyNegotiated = 0x532 // 1330: an answer to an offer already answered
	CodeFieldInvalid         = 0x536 // 1334: a candidate that does not parse
	CodeSDPRejected          = 0x540 // 1344: nothing in the offer can be received, or the answer does not fit the offer
	CodeNoOffer              = 0x541 // 1345: an answer for a stream the server has offered nothing for
	CodeMediaCapacity        = 0x542 // 1346: no session can be made now (no UDP port free, shutting down)
)

// Errors of the media plane. Each carries its API code (APICode), so that the signaling server answers it.
var (
	ErrSDPDecode   = &Error{Code: CodeSDPDecode, msg: "media: SDP does not parse"}
	ErrAlreadyDone = &Error{Code: CodeSDPAlreadyNegotiated, msg: "media: offer already answered"}
	ErrCandidate   = &Error{Code: CodeFieldInvalid, msg: "media: invalid ICE candidate"}
	ErrSDPRejected = &Error{Code: CodeSDPRejected, msg: "media: SDP rejected"}
	ErrNoOffer     = &Error{Code: CodeNoOffer, msg: "media: no offer to answer"}
	ErrCapacity    = &Error{Code: CodeMediaCapacity, msg: "media: no session available"}
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
