// Package codecs reads the RTP payload formats a forwarding media plane looks into: VP8 (RFC 7741), VP9 (RFC 9628),
// H264 (RFC 6184, packetization mode 1), AV1 (the AOM RTP payload format) and Opus (RFC 7587 / RFC 6716).
//
// Every function takes a payload as found by rtp.Packet.Unmarshal (after CSRCs, header extensions and padding) and
// neither allocates nor keeps it. The main question each answers is whether a packet starts a keyframe, so that a
// listener waiting for one can start forwarding there; KeyframeDetector picks the right function by codec name. Frames
// end on the RTP marker bit for every video format here.
package codecs
