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

// Errors of the payloaders and of FrameAssembler.
var (
	ErrEmptyFrame = errors.New("codecs: empty frame")
	// ErrFrameGap reports packets lost before the one pushed: the frame they belonged to, and every frame until the
	// next keyframe, cannot be decoded.
	ErrFrameGap = errors.New("codecs: packets lost")
	// ErrFrameBroken reports a frame whose packets arrived but do not make a valid frame (a missing start, a
	// fragmentation error, a malformed payload, a frame over the size limit); the error wraps the reason.
	ErrFrameBroken = errors.New("codecs: broken frame")

	errFrameRestart    = errors.New("a frame start inside a frame")
	errNoMarker        = errors.New("the timestamp changed before the frame's marker bit")
	errNoStart         = errors.New("the frame does not begin with a frame start")
	errFrameTooLarge   = errors.New("the frame is larger than the limit")
	errFragmentOrder   = errors.New("H264 FU-A fragments out of order")
	errFragmentUnended = errors.New("H264 FU-A fragment without its end")
)
