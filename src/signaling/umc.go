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

// userMediaConfiguration is the configuration of a participant with others in the room besides it. In MCU mode a
// publisher sends one stream, to the server, whatever the room's size, and the server gives each receiver what its
// link and decoder take (transcoding): the room does not shrink the cameras there, so the configuration is that of
// a participant alone. The original's rule (smaller pictures in larger rooms) is for relay mode, where each
// publisher sends a stream to every other participant.
func (s *Server) userMediaConfiguration(others int) protocol.UserMediaConfiguration {
	if s.media != nil {
		others = 0
	}
	return mediaConfigurationFor(others)
}
