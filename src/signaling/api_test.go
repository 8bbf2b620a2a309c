package signaling

import (
	"bytes"
	"encoding/json"
	"testing"
)

var envelopeSeeds = []string{
	`{"a":"exchangeCandidate","d":{"to":"x","candidate":{"candidate":"c","sdpMid":"0"}}}`,
	`{"a":"sendMessage","d":null}`,
	`{"a":"sendMessage","d":1}`,
	`{"a":"leave","d":{}}`,
	`{"a":"leave"}`,
	`{"a":"leave","d":{} }`,
	`{"a":"leave","d": {}}`,
	`{"a":"leave","d":{},"a":"join"}`,
	`{"a":"leave","d":{},"d":2}`,
	`{"a":"leave","d":"}`,
	`{"a":"leave","d":}`,
	`{"a":"leave","d":{}}}`,
	`{"a":"le\u0061ve","d":{}}`,
	`{"a":"unknown","d":{}}`,
	`{"A":"leave","d":{}}`,
	`{"a":"leave","d":[1,2]}`,
}

// splitEnvelope, where it answers, gives what json.Unmarshal gives.
func FuzzSplitEnvelope(f *testing.F) {
	for _, seed := range envelopeSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		action, d, ok := splitEnvelope(frame)
		if !ok {
			return
		}
		var env envelope
		if err := json.Unmarshal(frame, &env); err != nil || env.A == nil {
			t.Fatalf("splitEnvelope(%s) = %q, %s; json.Unmarshal: %v", frame, action, d, err)
		}
		if *env.A != action || !bytes.Equal(env.D, d) {
			t.Fatalf("splitEnvelope(%s) = %q, %s; json.Unmarshal: %q, %s", frame, action, d, *env.A, env.D)
		}
	})
}

func TestSplitEnvelopeTakesTheClientsForm(t *testing.T) {
	for frame, want := range map[string]bool{
		`{"a":"exchangeCandidate","d":{"to":"x","candidate":{}}}`: true,
		`{"a":"sendMessage","d":null}`:                            true,
		`{"a":"leave","d":{},"a":"join"}`:                         false,
		`{"a":"le\u0061ve","d":{}}`:                               false,
		`{"a":"leave","d":{} }`:                                   false,
		`{"a":"leave"}`:                                           false,
	} {
		if _, _, ok := splitEnvelope([]byte(frame)); ok != want {
			t.Errorf("splitEnvelope(%s): ok %v, want %v", frame, ok, want)
		}
	}
}

// hasKeyCompleted is conservative: whenever json.Unmarshal would find the key, it says so.
func FuzzHasKeyCompleted(f *testing.F) {
	for _, seed := range []string{`{"completed":true}`, `{"COMPLETED":true}`, `{"c\u006fmpleted":true}`,
		`{"candidate":"candidate:1 1 udp 1 192.0.2.1 9 typ host","sdpMid":"0"}`, `{"completed":1}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) || mayHaveKeyCompleted(raw) {
			return
		}
		var completion candidateCompletion
		if err := json.Unmarshal(raw, &completion); completion.Completed {
			t.Fatalf("%s: no key completed found, but json.Unmarshal gives %+v, %v", raw, completion, err)
		}
	})
}
