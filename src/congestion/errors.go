package congestion

import (
	"errors"
	"fmt"
)

// Errors returned by the constructors and the feedback readers, wrapped with details; test them with errors.Is.
var (
	// ErrBadConfig: a configuration value is out of its documented range.
	ErrBadConfig = errors.New("congestion: bad configuration")
	// ErrBadFeedback: a transport-wide feedback contradicts itself (arrivals out of order or outside its range).
	// Feedback decoded by rtcp.TransportCC.Unmarshal never does; the check guards hand-built values.
	ErrBadFeedback = errors.New("congestion: inconsistent transport-wide feedback")
)

func badConfig(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadConfig}, args...)...)
}
