package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// The frames built by hand are those encoding/json makes of the requests' structure.
func TestAppendRelayFrameIsTheJSONEncoding(t *testing.T) {
	type candidateInit struct {
		Candidate     string `json:"candidate"`
		SDPMid        string `json:"sdpMid"`
		SDPMLineIndex int    `json:"sdpMLineIndex"`
	}
	type envelope struct {
		A string `json:"a"`
		D any    `json:"d"`
	}
	const to = "0123456789abcdef0123456789abcdef"
	toJSON, err := json.Marshal(to)
	if err != nil {
		t.Fatal(err)
	}
	for _, since := range []time.Duration{0, 1234567, 1<<63 - 1} {
		candidate, err := json.Marshal(envelope{"exchangeCandidate", struct {
			To        string        `json:"to"`
			Candidate candidateInit `json:"candidate"`
		}{to, candidateInit{Candidate: stampedCandidate(since), SDPMid: "0"}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := appendRelayFrame([]byte("garbage"), toJSON, since, true); !bytes.Equal(got[7:], candidate) {
			t.Errorf("candidate frame\n got %s\nwant %s", got[7:], candidate)
		}
		message, err := json.Marshal(envelope{"sendMessage", struct {
			To      string         `json:"to"`
			Message stampedMessage `json:"message"`
		}{to, stampedMessage{Loadtest: int64(since)}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := appendRelayFrame(nil, toJSON, since, false); !bytes.Equal(got, message) {
			t.Errorf("message frame\n got %s\nwant %s", got, message)
		}
	}
}

func TestQuickStamp(t *testing.T) {
	const from = `{"socketId":"0123456789abcdef0123456789abcdef","userId":"lt-abc-u1"}`
	candidateEvent := func(line string) string {
		return `{"a":"eventExchangeCandidate","d":{"from":` + from + `,"candidate":{"candidate":"` + line +
			`","sdpMid":"0","sdpMLineIndex":0}}}`
	}
	tests := []struct {
		frame  string
		want   time.Duration
		wantOK bool
	}{
		{candidateEvent(stampedCandidate(42 * time.Millisecond)), 42 * time.Millisecond, true},
		{`{"a":"eventMessage","d":{"from":` + from + `,"message":{"loadtest":1500}}}`, 1500, true},
		{candidateEvent("candidate:842163049 1 udp 1677729535 203.0.113.7 50000 typ srflx generation 0"), 0, false},
		{candidateEvent(`candidate:12\u0020 1 udp 2122260223 192.0.2.1 9 typ host generation 0`), 0, false},
		{`{"a":"eventMessage","d":{"from":` + from + `,"message":{"loadtest":-3}}}`, 0, false},
		{`{"a":"eventMessage","d":{"from":` + from + `,"message":{"loadtest":1e3}}}`, 0, false},
		{`{"a":"eventMessage","d":{"from":` + from + `,"message":{"loadtest":012}}}`, 0, false},
		{`{"a":"eventMessage","d":{"from":` + from + `,"message":{"other":1}}}`, 0, false},
		{`{"a":"eventMessage","d":{"from":{}}}`, 0, false},
		{`{"a":"exchangeCandidateR","s":true}`, 0, false},
		{``, 0, false},
	}
	for _, tc := range tests {
		got, ok := quickStamp([]byte(tc.frame))
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("quickStamp(%s) = %v, %v; want %v, %v", tc.frame, got, ok, tc.want, tc.wantOK)
		}
	}
}

func TestIsRelayReply(t *testing.T) {
	for frame, want := range map[string]bool{
		`{"a":"exchangeCandidateR","s":true}`:  true,
		`{"a":"sendMessageR","s":true}`:        true,
		`{"a":"sendMessageR","s":false,"e":1}`: false,
		`{"a":"joinR","s":true}`:               false,
	} {
		if got := isRelayReply([]byte(frame)); got != want {
			t.Errorf("isRelayReply(%s) = %v", frame, got)
		}
	}
}
