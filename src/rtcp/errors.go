package rtcp

import "errors"

// Errors returned by the parsers and builders, wrapped with details; test them with errors.Is.
var (
	// ErrTruncated: the buffer is shorter than a header or than the length a header announces.
	ErrTruncated = errors.New("rtcp: truncated packet")
	// ErrVersion: the version field is not 2.
	ErrVersion = errors.New("rtcp: bad version")
	// ErrPadding: the padding count is impossible, or the first packet of a compound packet is padded.
	ErrPadding = errors.New("rtcp: bad padding")
	// ErrLength: a length field disagrees with the packet's content.
	ErrLength = errors.New("rtcp: bad length")
	// ErrNotCompound: a compound packet does not start with an SR or an RR (RFC 3550 section 6.1).
	ErrNotCompound = errors.New("rtcp: compound packet does not start with SR or RR")
	// ErrWrongType: Unmarshal was given a packet of another type or format.
	ErrWrongType = errors.New("rtcp: wrong packet type")
	// ErrInvalid: a field holds a value the specification forbids.
	ErrInvalid = errors.New("rtcp: invalid field")
	// ErrTooLarge: a value to encode does not fit its field (too many report blocks, a text over 255 bytes, ...).
	ErrTooLarge = errors.New("rtcp: value too large for its field")
)
