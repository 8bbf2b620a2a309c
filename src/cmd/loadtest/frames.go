package main

import (
	"bytes"
	"strconv"
	"time"
)

// The relay phase's frames are built and recognised without encoding/json: the tool's CPU competes with the
// server's on the same machine, and its allocations make garbage collections that delay the receivers, so a costly
// tool inflates the very latency it measures. Anything else, and any frame that does not have the exact expected
// shape, goes through the general decoder (client.handle).

// Replies to the relayed requests, as the server encodes them.
var (
	candidateReply = []byte(`{"a":"exchangeCandidateR","s":true}`)
	messageReply   = []byte(`{"a":"sendMessageR","s":true}`)
)

// Parts of the relayed events, as the server builds them around the raw JSON the sender gave.
var (
	candidateEventPrefix = []byte(`{"a":"eventExchangeCandidate","d":{"from":{`)
	candidateEventField  = []byte(`},"candidate":{"candidate":"`)
	candidateEventSuffix = []byte(`","sdpMid":"0","sdpMLineIndex":0}}}`)
	messageEventPrefix   = []byte(`{"a":"eventMessage","d":{"from":{`)
	messageEventField    = []byte(`},"message":{"loadtest":`)
	messageEventSuffix   = []byte(`}}}`)
)

// appendRelayFrame appends the request relaying a message stamped since (the time elapsed since the tool's start)
// to the member whose socketId, encoded as a JSON string, is toJSON: the frame json.Marshal makes of
// exchangeCandidate or sendMessage.
func appendRelayFrame(dst, toJSON []byte, since time.Duration, viaCandidate bool) []byte {
	if viaCandidate {
		dst = append(dst, `{"a":"exchangeCandidate","d":{"to":`...)
		dst = append(dst, toJSON...)
		dst = append(dst, `,"candidate":{"candidate":"`...)
		dst = append(dst, candidatePrefix...)
		dst = strconv.AppendInt(dst, int64(since), 10)
		dst = append(dst, candidateRest...)
		return append(dst, `","sdpMid":"0","sdpMLineIndex":0}}}`...)
	}
	dst = append(dst, `{"a":"sendMessage","d":{"to":`...)
	dst = append(dst, toJSON...)
	dst = append(dst, `,"message":{"loadtest":`...)
	dst = strconv.AppendInt(dst, int64(since), 10)
	return append(dst, `}}}`...)
}

// isRelayReply reports whether frame is the success reply to a relayed request.
func isRelayReply(frame []byte) bool {
	return bytes.Equal(frame, candidateReply) || bytes.Equal(frame, messageReply)
}

// quickStamp returns the stamp of a relayed event made from one of appendRelayFrame's frames; ok is false for any
// other frame.
func quickStamp(frame []byte) (stamp time.Duration, ok bool) {
	if body, found := between(frame, candidateEventPrefix, candidateEventSuffix); found {
		i := bytes.LastIndex(body, candidateEventField)
		if i < 0 {
			return 0, false
		}
		line := body[i+len(candidateEventField):]
		if bytes.ContainsAny(line, `"\`) {
			return 0, false
		}
		d, err := parseStamp(string(line))
		return d, err == nil
	}
	if body, found := between(frame, messageEventPrefix, messageEventSuffix); found {
		i := bytes.LastIndex(body, messageEventField)
		if i < 0 {
			return 0, false
		}
		digits := body[i+len(messageEventField):]
		n, err := strconv.ParseInt(string(digits), 10, 64)
		// Only the canonical form is ours: no sign, no leading zero, no exponent.
		if err != nil || n < 0 || !bytes.Equal(strconv.AppendInt(nil, n, 10), digits) {
			return 0, false
		}
		return time.Duration(n), true
	}
	return 0, false
}

// between returns what frame holds between prefix and suffix.
func between(frame, prefix, suffix []byte) ([]byte, bool) {
	if len(frame) < len(prefix)+len(suffix) || !bytes.HasPrefix(frame, prefix) || !bytes.HasSuffix(frame, suffix) {
		return nil, false
	}
	return frame[len(prefix) : len(frame)-len(suffix)], true
}
