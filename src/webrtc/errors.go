package webrtc

import "errors"

var (
	// ErrBadConfig is returned by NewEngineWith for an invalid Config.
	ErrBadConfig = errors.New("webrtc: bad configuration")
	// ErrBadParams is returned by NewSessionWith and SetRemote for invalid parameters.
	ErrBadParams = errors.New("webrtc: bad session parameters")
	// ErrRemoteSet is returned by SetRemote when the remote transport is already known: renegotiating ICE or DTLS
	// needs a new Session.
	ErrRemoteSet = errors.New("webrtc: remote transport already set")
	// ErrEngineClosed is returned by NewSessionWith after Engine.Close.
	ErrEngineClosed = errors.New("webrtc: engine closed")
	// ErrClosed is returned by writes once the Session is closing or has ended.
	ErrClosed = errors.New("webrtc: session closed")
	// ErrNotConnected is returned by writes before the Session is connected; the packet is dropped.
	ErrNotConnected = errors.New("webrtc: session not connected")
	// ErrQueueFull is returned by writes when the write queue is full; the packet is dropped.
	ErrQueueFull = errors.New("webrtc: write queue full")
	// ErrPacketSize is returned by writes for a packet that is empty or larger than MaxPacketSize.
	ErrPacketSize = errors.New("webrtc: packet size out of range")
)
