package media

import (
	"encoding/json"
	"fmt"

	"github.com/heytribe/live-webrtcsignaling/src/sdp"
)

// candidateInit is an RTCIceCandidateInit, or {"completed":true} at the end of a client's candidates.
type candidateInit struct {
	Candidate     *string `json:"candidate"`
	SDPMid        *string `json:"sdpMid"`
	SDPMLineIndex *int    `json:"sdpMLineIndex"`
	Completed     bool    `json:"completed"`
}

// checkCandidate validates a trickled candidate: JSON of the right shape whose candidate line parses. An empty
// candidate string is the end of candidates, as browsers signal it.
func checkCandidate(raw json.RawMessage) error {
	var c candidateInit
	if err := json.Unmarshal(raw, &c); err != nil {
		return withCode(ErrCandidate, err)
	}
	if c.Completed || c.Candidate == nil || *c.Candidate == "" {
		return nil
	}
	if c.SDPMLineIndex != nil && *c.SDPMLineIndex < 0 {
		return withCode(ErrCandidate, fmt.Errorf("sdpMLineIndex %d", *c.SDPMLineIndex))
	}
	if _, err := sdp.ParseCandidate(*c.Candidate); err != nil {
		return withCode(ErrCandidate, err)
	}
	return nil
}
