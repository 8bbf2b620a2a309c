package bus

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// tsLayout is RFC 3339 in UTC with milliseconds, the format of ts.
const tsLayout = "2006-01-02T15:04:05.000Z07:00"

// errNotObject reports an event whose JSON is not an object, so eventId and ts cannot be added.
var errNotObject = errors.New("bus: event does not encode to a JSON object")

// newProcessID returns 16 random hex characters that make this process's eventIds unique among all processes.
func newProcessID() string {
	var b [8]byte
	// crypto/rand.Read never returns an error (Go 1.24+): it crashes the program if the OS source fails.
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// eventID returns "<process id>-<seq in 16 hex digits>": unique, and ordered within one process.
func eventID(processID string, seq uint64) string {
	digits := strconv.FormatUint(seq, 16)
	return processID + "-" + strings.Repeat("0", 16-len(digits)) + digits
}

// encode returns the message body of e: the event's JSON object with e.id as eventId and e.at as ts added at its
// end.
func encode(e *entry) ([]byte, error) {
	fields, err := json.Marshal(e.event)
	if err != nil {
		return nil, err
	}
	if len(fields) < 2 || fields[0] != '{' || fields[len(fields)-1] != '}' {
		return nil, errNotObject
	}
	body := make([]byte, 0, len(fields)+len(e.id)+48)
	body = append(body, fields[:len(fields)-1]...)
	if len(fields) > 2 {
		body = append(body, ',')
	}
	body = append(body, `"eventId":"`...)
	body = append(body, e.id...)
	body = append(body, `","ts":"`...)
	body = e.at.UTC().AppendFormat(body, tsLayout)
	return append(body, `"}`...), nil
}
