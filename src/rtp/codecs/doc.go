// Package codecs reads and writes the RTP payload formats of the media plane: VP8 (RFC 7741), VP9 (RFC 9628),
// H264 (RFC 6184, packetization mode 1), AV1 (the AOM RTP payload format) and Opus (RFC 7587 / RFC 6716).
//
// The parsers take a payload as found by rtp.Packet.Unmarshal (after CSRCs, header extensions and padding) and
// neither allocate nor keep it. The main question they answer is whether a packet starts a keyframe, so that a
// listener waiting for one can start forwarding there; KeyframeDetector picks the right function by codec name.
// Frames end on the RTP marker bit for every video format here.
//
// For the transcoder, the package also goes both ways between RTP packets and encoded frames: VP8Payloader and
// H264Payloader split an encoder's frames into payloads within a size budget, and FrameAssembler rebuilds the
// frames of a received VP8, VP9 or H264 stream for a decoder, never handing over an incomplete or broken frame and
// waiting for a keyframe after a loss.
package codecs
