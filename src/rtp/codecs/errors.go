package codecs

import "errors"

// Errors for malformed payloads, to be counted with errors.Is.
var (
	ErrShortPayload     = errors.New("codecs: payload shorter than its headers")
	ErrVP8StartCode     = errors.New("codecs: VP8 key frame without its start code")
	ErrH264ForbiddenBit = errors.New("codecs: H264 NAL unit with the forbidden zero bit set")
	ErrH264NALType      = errors.New("codecs: H264 NAL unit type undefined or not allowed in packetization mode 1")
	ErrH264FUType       = errors.New("codecs: H264 FU-A fragment with an aggregation or fragmentation type inside")
	ErrH264Aggregation  = errors.New("codecs: H264 STAP-A with an empty or truncated NAL unit")
	ErrVP9References    = errors.New("codecs: VP9 descriptor with more than 3 reference differences")
	ErrAV1Header        = errors.New("codecs: AV1 aggregation header with N and Z both set")
	ErrOpusFrames       = errors.New("codecs: Opus packet with an invalid frame count or frame lengths")
)
