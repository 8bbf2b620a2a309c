package transcode

import (
	"fmt"
	"strconv"
)

// The pipelines are written in gst-launch syntax by the functions below, and nowhere else: the benchmark runs
// gst-launch-1.0 on the very same element descriptions, so that the comparison is between the same elements with
// the same settings.

// decoderCaps are the caps of the encoded frames pushed into a decoder: whole frames, H264 as Annex B access
// units (what codecs.FrameAssembler rebuilds).
func decoderCaps(c Codec) (string, error) {
	switch c {
	case VP8:
		return "video/x-vp8", nil
	case VP9:
		return "video/x-vp9", nil
	case H264:
		return "video/x-h264,stream-format=byte-stream,alignment=au", nil
	default:
		return "", fmt.Errorf("transcode: no decoder for codec %q", c)
	}
}

// decoderElements is the decoding part of a decoder pipeline, from encoded frames to I420 with the default
// layout (the appsink offers no video meta, so decoders write plain planes). One thread each: the server runs
// many pipelines, and a frame's decode then stays on one core. avdec_h264 drops frames that libav flags as
// corrupt instead of passing damaged pictures on to the encoders.
func decoderElements(c Codec) (string, error) {
	var dec string
	switch c {
	case VP8:
		dec = "vp8dec threads=1"
	case VP9:
		dec = "vp9dec threads=1"
	case H264:
		dec = "avdec_h264 max-threads=1 output-corrupt=false"
	default:
		return "", fmt.Errorf("transcode: no decoder for codec %q", c)
	}
	return dec + " ! videoconvert ! video/x-raw,format=I420", nil
}

// decoderDescription is a decoder pipeline: frames in through appsrc "src", I420 out through appsink "sink". The
// appsrc blocks when the decoder falls 4 frames behind; the packet queue in front of it drops instead.
func decoderDescription(c Codec) (string, error) {
	caps, err := decoderCaps(c)
	if err != nil {
		return "", err
	}
	elements, err := decoderElements(c)
	if err != nil {
		return "", err
	}
	return "appsrc name=src format=time is-live=true block=true max-buffers=4 caps=" + caps + " ! " + elements +
		" ! appsink name=sink sync=false", nil
}

// EncoderSettings are the encoder choices shared by every encoder of a Transcoder.
type EncoderSettings struct {
	// H264 is the H264 encoder element.
	H264 H264Encoder
	// VP8Speed is the libvpx speed of vp8enc, 1-16: higher is faster and blurrier. It is given as a negative
	// cpu-used, which fixes the speed; a positive one lets libvpx adapt the speed to the time each frame took,
	// so that the cost and the quality would follow the machine's load.
	VP8Speed int
}

// keyframeDistance is the most frames between two keyframes the encoders put on their own: keyframes come when
// asked for (joins, switches, receivers' PLI), and libwebrtc uses the same distance.
const keyframeDistance = 3000

// scaleElements is the scaling part of an encoder pipeline: I420 scaled to width x height, square pixels.
func scaleElements(width, height int) string {
	return "videoscale ! video/x-raw,width=" + strconv.Itoa(width) + ",height=" + strconv.Itoa(height) +
		",pixel-aspect-ratio=1/1"
}

// encoderElements is the encoding part of an encoder pipeline, named "enc", with the bitrate it starts at.
//
//   - VP8: vp8enc in realtime mode at a fixed speed, with the rate control libwebrtc uses for real-time video
//     (CBR, buffer of 1 s, initial 0.5 s, optimal 0.6 s, undershoot 100 %, overshoot 15 %), the whole quantizer
//     range (libwebrtc stops at 56, but it can drop frames to keep to the bitrate; these encoders do not, and a
//     weak receiver needs the bitrate kept more than a sharp picture), no frame lag, error resilient, one thread;
//     the time base is the RTP clock, so any frame rate keeps distinct timestamps.
//   - H264, constrained baseline, Annex B access units: x264enc tuned for zero latency at the ultrafast preset, or
//     openh264enc at low complexity, one thread each, no access unit delimiters (the payloader would drop them).
func encoderElements(c Codec, s EncoderSettings, bitrate int) (string, error) {
	const h264Caps = " ! video/x-h264,profile=constrained-baseline,stream-format=byte-stream,alignment=au"
	switch {
	case c == VP8:
		return fmt.Sprintf("vp8enc name=enc deadline=1 cpu-used=-%d end-usage=cbr target-bitrate=%d lag-in-frames=0"+
			" error-resilient=default keyframe-max-dist=%d buffer-size=1000 buffer-initial-size=500"+
			" buffer-optimal-size=600 undershoot=100 overshoot=15 min-quantizer=2 max-quantizer=63 threads=1"+
			" timebase=1/90000", s.VP8Speed, bitrate, keyframeDistance), nil
	case c == H264 && s.H264 == X264:
		return fmt.Sprintf("x264enc name=enc tune=zerolatency speed-preset=ultrafast bitrate=%d key-int-max=%d"+
			" threads=1 aud=false byte-stream=true", max(bitrate/1000, 1), keyframeDistance) + h264Caps, nil
	case c == H264 && s.H264 == OpenH264:
		return fmt.Sprintf("openh264enc name=enc complexity=low usage-type=camera rate-control=bitrate bitrate=%d"+
			" gop-size=%d multi-thread=1 enable-frame-skip=false", bitrate, keyframeDistance) + h264Caps, nil
	default:
		return "", fmt.Errorf("transcode: no encoder for codec %q with H264 encoder %q", c, s.H264)
	}
}

// bitrateProperty is the run-time bitrate property of an encoder and the value to give it for bps.
func bitrateProperty(c Codec, s EncoderSettings, bps int) (string, int64) {
	switch {
	case c == VP8:
		return "target-bitrate", int64(bps)
	case s.H264 == X264:
		return "bitrate", int64(max(bps/1000, 1)) // kbit/s
	default:
		return "bitrate", int64(bps)
	}
}

// rawCaps are the caps of the I420 frames pushed into an encoder; the frame rate is the tier's.
func rawCaps(width, height, frameRate int) string {
	return fmt.Sprintf("video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1,pixel-aspect-ratio=1/1",
		width, height, frameRate)
}

// encoderDescription is an encoder pipeline: I420 in through appsrc "src" (one frame queued at most: the encoder
// takes the freshest), scaled, encoded by "enc", out through appsink "sink".
func encoderDescription(c Codec, s EncoderSettings, in, out [2]int, frameRate, bitrate int) (string, error) {
	enc, err := encoderElements(c, s, bitrate)
	if err != nil {
		return "", err
	}
	return "appsrc name=src format=time is-live=true block=true max-buffers=1 caps=" +
		rawCaps(in[0], in[1], frameRate) + " ! " + scaleElements(out[0], out[1]) + " ! " + enc +
		" ! appsink name=sink sync=false", nil
}

// i420Size is the size of an I420 frame in GStreamer's default layout: rows padded to 4 bytes, chroma planes of
// half the (even-rounded) size.
func i420Size(width, height int) int {
	roundUp := func(n, to int) int { return (n + to - 1) / to * to }
	h := roundUp(height, 2)
	return roundUp(width, 4)*h + 2*roundUp(roundUp(width, 2)/2, 4)*(h/2)
}
