package signaling

import (
	"strconv"

	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// mediaConfigurationFor computes the configuration as the original did, from others = the number of participants
// in the room besides the one it is computed for (the joiner, on join).
func mediaConfigurationFor(others int) protocol.UserMediaConfiguration {
	maxWidth, maxHeight := 640, 580
	if others > 1 {
		if others > 2 {
			maxWidth = 320
		}
		maxHeight = 580 / ((others + others%2) / 2)
	}
	return protocol.UserMediaConfiguration{
		Audio: true,
		Video: protocol.VideoRange{
			Width:     protocol.MinMax{Min: strconv.Itoa(maxWidth / 3), Max: strconv.Itoa(maxWidth)},
			Height:    protocol.MinMax{Min: strconv.Itoa(maxHeight / 3), Max: strconv.Itoa(maxHeight)},
			FrameRate: protocol.MinMax{Min: "10", Max: "30"},
		},
	}
}
