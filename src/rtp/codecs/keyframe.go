package codecs

import "strings"

// KeyframeDetector returns the function that tells whether a payload of the given codec starts a keyframe, by the
// encoding name of an SDP rtpmap ("VP8", "VP9", "H264", "AV1"; case-insensitive). ok is false for other codecs.
func KeyframeDetector(encodingName string) (detect func(payload []byte) bool, ok bool) {
	switch strings.ToUpper(encodingName) {
	case "VP8":
		return VP8StartsKeyframe, true
	case "VP9":
		return VP9StartsKeyframe, true
	case "H264":
		return H264StartsKeyframe, true
	case "AV1":
		return AV1StartsKeyframe, true
	default:
		return nil, false
	}
}
