package rtp

import "errors"

// Errors returned for malformed packets and bad arguments. They are sentinel values so that the media plane can count
// drops by cause with errors.Is.
var (
	ErrHeaderTooShort        = errors.New("rtp: packet shorter than its header")
	ErrVersion               = errors.New("rtp: version is not 2")
	ErrTooManyCSRC           = errors.New("rtp: more than 15 CSRCs")
	ErrPayloadType           = errors.New("rtp: payload type above 127")
	ErrInvalidPadding        = errors.New("rtp: invalid padding length")
	ErrExtensionTruncated    = errors.New("rtp: header extension element runs past the extension block")
	ErrExtensionTooLong      = errors.New("rtp: header extension block longer than 65535 words")
	ErrExtensionID           = errors.New("rtp: header extension id out of range for its form")
	ErrExtensionValueLength  = errors.New("rtp: header extension value length out of range for its form")
	ErrExtensionNotSupported = errors.New("rtp: header extension profile is neither one-byte nor two-byte")
	ErrExtensionValue        = errors.New("rtp: header extension value has the wrong length")
	ErrExtensionNotFound     = errors.New("rtp: header extension element not found")
	ErrBufferTooSmall        = errors.New("rtp: buffer too small")
	ErrRTXPaddingOnly        = errors.New("rtp: RTX packet carries padding only")
	ErrRTXTooShort           = errors.New("rtp: RTX payload shorter than its original sequence number")
	ErrBeforeSwitch          = errors.New("rtp: packet older than the current source switch")
)
