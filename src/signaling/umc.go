package signaling

import "strconv"

// userMediaConfiguration is the getUserMedia() constraint object. Its numbers are strings, as the original sent them.
type userMediaConfiguration struct {
	Audio bool       `json:"audio"`
	Video videoRange `json:"video"`
}

type videoRange struct {
	Width     minMax `json:"width"`
	Height    minMax `json:"height"`
	FrameRate minMax `json:"frameRate"`
}

type minMax struct {
	Min string `json:"min"`
	Max string `json:"max"`
}

// mediaConfigurationFor computes the configuration as the original did, from others = the number of participants
// in the room besides the one it is computed for (the joiner, on join).
func mediaConfigurationFor(others int) userMediaConfiguration {
	maxWidth, maxHeight := 640, 580
	if others > 1 {
		if others > 2 {
			maxWidth = 320
		}
		maxHeight = 580 / ((others + others%2) / 2)
	}
	return userMediaConfiguration{
		Audio: true,
		Video: videoRange{
			Width:     minMax{Min: strconv.Itoa(maxWidth / 3), Max: strconv.Itoa(maxWidth)},
			Height:    minMax{Min: strconv.Itoa(maxHeight / 3), Max: strconv.Itoa(maxHeight)},
			FrameRate: minMax{Min: "10", Max: "30"},
		},
	}
}
