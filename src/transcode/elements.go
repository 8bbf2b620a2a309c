package transcode

import "fmt"

// The pipelines are written in gst-launch syntax by the functions below, and nowhere else: the benchmark runs
// gst-launch-1.0 on the very same element descriptions, so that the comparison is between the same elements with
// the same settings.

// decoderCaps are the caps of the encoded frames pushed into a decoder: whole frames, H264 as Annex B access
// units (what codecs.FrameAssembler rebuilds). The frame rate is nominal: the timestamps carry the real one, and
// the fan-out gives each encoder its tier's.
func decoderCaps(c Codec) (string, error) {
	switch c {
	case VP8:
		return "video/x-vp8,framerate=30/1", nil
	case VP9:
		return "video/x-vp9,framerate=30/1", nil
	case H264:
		return "video/x-h264,stream-format=byte-stream,alignment=au,framerate=30/1", nil
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

// Names of the appsrc elements. GStreamer names each streaming thread after its element and pad, so a decoder's
// work shows as thread "decsrc:src" in top -H, an encoder's (scaling included) as "encsrc:src".
const (
	decoderSource = "decsrc"
	encoderSource = "encsrc"
)

// decoderDescription is a decoder pipeline: frames in through appsrc "decsrc", I420 out through appsink "sink"
// (where a gst.Fanout hands them to the encoders). The appsrc never blocks: Decoder.Push checks its level first
// and drops a frame (then waits for a keyframe) rather than let it leak.
func decoderDescription(c Codec) (string, error) {
	caps, err := decoderCaps(c)
	if err != nil {
		return "", err
	}
	elements, err := decoderElements(c)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("appsrc name=%s format=time is-live=true block=false leaky-type=upstream max-bytes=%d caps=%s"+
		" ! %s ! appsink name=sink sync=false", decoderSource, 2*maxQueuedBytes, caps, elements), nil
}

// encoderSettings are the encoder choices shared by every encoder of a Transcoder (from Config).
type encoderSettings struct {
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

// scaleElements is the first part of an encoder pipeline: the frames scaled into the tier's box. The box is a
// range of even sizes: videoscale keeps the picture's aspect ratio within it and never scales up, and when the
// publisher's picture changes size the pipeline negotiates again by itself (encoders restart with a keyframe).
// The frames come thinned to the tier's frame rate by the decoder's fan-out, which carries the rate in their caps:
// x264enc, given a frame rate, spends the bitrate over that many frames a second. (videorate would add a frame of
// latency, or in drop-only mode drop frames whose timestamps jitter.)
func scaleElements(t Tier) string {
	return fmt.Sprintf("videoscale ! video/x-raw,width=[2,%d,2],height=[2,%d,2],pixel-aspect-ratio=1/1", t.Width, t.Height)
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
func encoderElements(c Codec, s encoderSettings, bitrate int) (string, error) {
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
func bitrateProperty(c Codec, s encoderSettings, bps int) (string, int64) {
	switch {
	case c == VP8:
		return "target-bitrate", int64(bps)
	case s.H264 == X264:
		return "bitrate", int64(max(bps/1000, 1)) // kbit/s
	default:
		return "bitrate", int64(bps)
	}
}

// encoderDescription is an encoder pipeline: I420 in through appsrc "encsrc", fed by the decoder's fan-out (which
// sets its caps and thins the frames), scaled, encoded by "enc", out through appsink "sink". The appsrc holds one
// frame: a newer one replaces it when the encoder falls behind.
func encoderDescription(c Codec, s encoderSettings, t Tier, bitrate int) (string, error) {
	enc, err := encoderElements(c, s, bitrate)
	if err != nil {
		return "", err
	}
	return "appsrc name=" + encoderSource + " format=time is-live=true block=false leaky-type=downstream max-buffers=1" +
		" ! " + scaleElements(t) + " ! " + enc + " ! appsink name=sink sync=false", nil
}
