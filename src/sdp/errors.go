package sdp

import (
	"errors"
	"fmt"
)

// MaxSize is the largest document Unmarshal accepts, in bytes. Real offers are 3-20 KiB.
const MaxSize = 256 << 10

// ErrTooLarge is returned (inside a ParseError) for a document bigger than MaxSize.
var ErrTooLarge = errors.New("document larger than sdp.MaxSize")

// ParseError reports why a document was rejected and where.
type ParseError struct {
	// Line is the 1-based line number, or 0 when the problem concerns the whole document (a missing line).
	Line int
	// Text is the offending line, shortened to 80 bytes.
	Text string
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("sdp: %v", e.Err)
	}
	return fmt.Sprintf("sdp: line %d %q: %v", e.Line, e.Text, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

func newParseError(line int, text string, err error) *ParseError {
	const maxText = 80
	if len(text) > maxText {
		text = text[:maxText]
	}
	return &ParseError{Line: line, Text: text, Err: err}
}
