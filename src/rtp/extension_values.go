package rtp

import (
	"encoding/binary"
	"time"
)

// Values of the header extensions the media plane reads and restamps. Each Parse function takes the value returned by
// Header.ExtensionValue; each Put function writes into that same view, changing the packet in place.

const (
	absSendTimeLen  = 3
	transportCCLen  = 2
	orientationLen  = 1
	audioLevelLen   = 1
	absSendTimeMask = 1<<24 - 1
)

// ParseAbsSendTime reads http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time: a 24-bit 6.18 fixed-point
// number of seconds that wraps every 64 s.
func ParseAbsSendTime(value []byte) (uint32, error) {
	if len(value) != absSendTimeLen {
		return 0, ErrExtensionValue
	}
	return uint32(value[0])<<16 | uint32(binary.BigEndian.Uint16(value[1:])), nil
}

// PutAbsSendTime writes the 24-bit abs-send-time t into value.
func PutAbsSendTime(value []byte, t uint32) error {
	if len(value) != absSendTimeLen || t > absSendTimeMask {
		return ErrExtensionValue
	}
	value[0], value[1], value[2] = byte(t>>16), byte(t>>8), byte(t)
	return nil
}

// AbsSendTime converts a time since any fixed origin to the 6.18 fixed-point abs-send-time, modulo 64 s.
func AbsSendTime(d time.Duration) uint32 {
	d %= 64 * time.Second
	if d < 0 {
		d += 64 * time.Second
	}
	return uint32((d<<18)/time.Second) & absSendTimeMask
}

// ParseTransportCC reads the transport-wide sequence number of
// http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01.
func ParseTransportCC(value []byte) (uint16, error) {
	if len(value) != transportCCLen {
		return 0, ErrExtensionValue
	}
	return binary.BigEndian.Uint16(value), nil
}

// PutTransportCC writes the transport-wide sequence number seq into value.
func PutTransportCC(value []byte, seq uint16) error {
	if len(value) != transportCCLen {
		return ErrExtensionValue
	}
	binary.BigEndian.PutUint16(value, seq)
	return nil
}

// TransportCC returns the transport-wide sequence number carried by the element id, the one-call form of
// ExtensionValue and ParseTransportCC for a receiver's per-packet path. ok is false when the header has no such
// element or its value is not 2 bytes long.
func (h *Header) TransportCC(id uint8) (seq uint16, ok bool) {
	v, found := h.ExtensionValue(id)
	if !found {
		return 0, false
	}
	seq, err := ParseTransportCC(v)
	return seq, err == nil
}

// StampTransportCC writes seq into the transport-wide sequence number element id of the RTP packet pkt, in place and
// without allocating: a sender numbers each packet as it leaves, so the packet's builder reserves the element and
// the send loop stamps it. It fails without changing pkt when pkt is not a valid RTP packet
// (the errors of Header.Unmarshal), when it has no element id (ErrExtensionNotFound), or when that element's value
// is not 2 bytes long (ErrExtensionValue).
func StampTransportCC(pkt []byte, id uint8, seq uint16) error {
	var h Header
	if _, err := h.Unmarshal(pkt); err != nil {
		return err
	}
	v, ok := h.ExtensionValue(id)
	if !ok {
		return ErrExtensionNotFound
	}
	return PutTransportCC(v, seq)
}

// VideoOrientation is the coordination of video orientation (urn:3gpp:video-orientation, 3GPP TS 26.114).
type VideoOrientation struct {
	// BackCamera is the C bit: the back-facing camera captured the frame.
	BackCamera bool
	// Flip is the F bit: the frame is mirrored horizontally.
	Flip bool
	// Rotation is the counter-clockwise rotation the receiver applies, in degrees: 0, 90, 180 or 270.
	Rotation uint16
}

// ParseVideoOrientation reads the 1-byte video-orientation value.
func ParseVideoOrientation(value []byte) (VideoOrientation, error) {
	if len(value) != orientationLen {
		return VideoOrientation{}, ErrExtensionValue
	}
	b := value[0]
	return VideoOrientation{BackCamera: b&0x08 != 0, Flip: b&0x04 != 0, Rotation: uint16(b&0x03) * 90}, nil
}

// Marshal returns the 1-byte value of o; Rotation must be a multiple of 90 below 360.
func (o VideoOrientation) Marshal() (byte, error) {
	if o.Rotation%90 != 0 || o.Rotation >= 360 {
		return 0, ErrExtensionValue
	}
	b := byte(o.Rotation / 90)
	if o.BackCamera {
		b |= 0x08
	}
	if o.Flip {
		b |= 0x04
	}
	return b, nil
}

// ParseAudioLevel reads urn:ietf:params:rtp-hdrext:ssrc-audio-level (RFC 6464): the level in -dBov (0 is loudest,
// 127 is silence) and the voice activity flag.
func ParseAudioLevel(value []byte) (level uint8, voice bool, err error) {
	if len(value) != audioLevelLen {
		return 0, false, ErrExtensionValue
	}
	return value[0] & 0x7f, value[0]&0x80 != 0, nil
}
