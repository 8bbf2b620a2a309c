package gst

import "strconv"

// State is a GStreamer element state.
type State int

// The states, with GStreamer's own numbering.
const (
	StateNull    State = 1
	StateReady   State = 2
	StatePaused  State = 3
	StatePlaying State = 4
)

func (s State) String() string {
	switch s {
	case StateNull:
		return "NULL"
	case StateReady:
		return "READY"
	case StatePaused:
		return "PAUSED"
	case StatePlaying:
		return "PLAYING"
	default:
		return "State(" + strconv.Itoa(int(s)) + ")"
	}
}

func (s State) valid() bool {
	return s >= StateNull && s <= StatePlaying
}
