package main

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// A relayed candidate carries its send time, in nanoseconds since the tool's start, as its foundation (an ICE
// foundation is 1 to 32 ice-chars, digits allowed), so that it stays a well-formed candidate.
const (
	candidatePrefix = "candidate:"
	candidateRest   = " 1 udp 2122260223 192.0.2.1 9 typ host generation 0"
)

var errNoStamp = errors.New("loadtest: not a candidate of ours")

// stampedCandidate is the candidate line sent at since (the time elapsed since the tool's start).
func stampedCandidate(since time.Duration) string {
	return candidatePrefix + strconv.FormatInt(int64(since), 10) + candidateRest
}

// parseStamp returns the send time of a candidate line made by stampedCandidate.
func parseStamp(candidate string) (time.Duration, error) {
	rest, ok := strings.CutPrefix(candidate, candidatePrefix)
	if !ok {
		return 0, errNoStamp
	}
	foundation, tail, ok := strings.Cut(rest, " ")
	if !ok || tail != candidateRest[1:] {
		return 0, errNoStamp
	}
	n, err := strconv.ParseInt(foundation, 10, 64)
	// Only the canonical form is ours: no sign, no leading zero.
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != foundation {
		return 0, errNoStamp
	}
	return time.Duration(n), nil
}
