package transcode

import (
	"fmt"
	"strings"
)

// Codec is a video codec, by its SDP encoding name.
type Codec string

// The codecs the transcoder decodes (all three) and encodes (VP8 and H264).
const (
	VP8  Codec = "VP8"
	VP9  Codec = "VP9"
	H264 Codec = "H264"
)

// ParseCodec reads an encoding name, case-insensitive ("vp8", "H264").
func ParseCodec(name string) (Codec, error) {
	switch c := Codec(strings.ToUpper(name)); c {
	case VP8, VP9, H264:
		return c, nil
	default:
		return "", fmt.Errorf("transcode: unknown codec %q (VP8, VP9, H264)", name)
	}
}

// Encodable reports whether the transcoder has an encoder for c.
func (c Codec) Encodable() bool {
	return c == VP8 || c == H264
}

// H264Encoder names the GStreamer H264 encoder the transcoder uses.
type H264Encoder string

// The H264 encoders present: x264 (x264enc) and Cisco's OpenH264 (openh264enc).
const (
	X264     H264Encoder = "x264"
	OpenH264 H264Encoder = "openh264"
)

// ParseH264Encoder reads "x264" or "openh264".
func ParseH264Encoder(name string) (H264Encoder, error) {
	switch e := H264Encoder(strings.ToLower(name)); e {
	case X264, OpenH264:
		return e, nil
	default:
		return "", fmt.Errorf("transcode: unknown H264 encoder %q (x264, openh264)", name)
	}
}
