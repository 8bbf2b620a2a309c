// Package transcode decodes a publisher's video once and encodes it again per quality tier, so that a receiver
// whose link or decoder cannot take the publisher's own stream gets one it can: a smaller picture, a lower frame
// rate and bitrate, or another codec. It uses GStreamer through cgo/gst and the RTP codecs of src/rtp/codecs,
// and knows nothing of sessions, rooms or receivers: the media plane declares the small interface it needs and
// main adapts this package to it.
//
// A Transcoder makes the objects and keeps their counters (Stats):
//
//	t, err := transcode.New()
//	dec, err := t.NewDecoder(transcode.DecoderConfig{Codec: transcode.VP8, RequestKeyframe: sendPLI})
//	// on the publisher's goroutine, for every video packet after NACK recovery:
//	dec.Push(&pkt) // never blocks
//	enc, err := dec.NewEncoder(transcode.EncoderConfig{Codec: transcode.H264, Tier: tier, PayloadType: 102,
//		Output: func(p transcode.Packet) { /* fan p.Data out to the tier's receivers */ }})
//	enc.SetBitrate(450_000) // the weakest receiver's estimate, within the tier's range
//	enc.ForceKeyframe()     // a receiver joined, switched, or sent a PLI
//	enc.Close()             // the tier's last receiver left
//	dec.Close()             // the track ended
//
// # Decoder
//
// A Decoder is cheap until an encoder is attached: it then starts one goroutine that rebuilds frames from the
// packets (codecs.FrameAssembler) and pushes them into a GStreamer pipeline (appsrc ! vp8dec | vp9dec |
// avdec_h264 ! videoconvert ! appsink). A packet lost for good or a broken frame never reaches the decoder: the
// decoder asks the publisher for a keyframe (RequestKeyframe, throttled, repeated while it waits) and drops frames
// until one comes; a decoder warning does the same, and a pipeline error rebuilds the pipeline at the next
// keyframe. The decoding stops Config.DecoderLinger after the last encoder closed.
//
// # Encoder
//
// Each Encoder has its own pipeline (appsrc ! videoscale ! vp8enc | x264enc | openh264enc ! appsink) fed with the
// decoder's raw frames, which the decoder hands to every encoder without copying them in Go. An encoder thins
// the frames to its tier's frame rate by their timestamps (no videorate element: it would hold every frame until
// the next one arrives, a frame of latency), scales them into the tier's box keeping the aspect ratio, and
// packetizes the encoded frames itself (codecs.VP8Payloader, codecs.H264Payloader) into RTP packets with its own
// SSRC, sequence numbers and timestamps, the first packet of each keyframe flagged. Its timestamps are the
// publisher's plus a constant, so that the publisher's sender reports map them to wall-clock time as well. When
// the encoder falls behind, it skips to the freshest decoded frame and counts the ones it skipped.
//
// Why one pipeline per encoder rather than one pipeline per publisher with a tee and a branch per tier: branches
// added and removed while the pipeline plays need pad probes and careful unlinking in C, a branch that fails takes
// the whole pipeline (and every tier) down with it, and a frame-rate change needs videorate. Measured, the
// hand-over of raw frames through Go costs little next to the codecs: docs/ARCHITECTURE.md (Transcoding) has the
// figures.
//
// # Goroutines and errors
//
// A decoder runs one goroutine for its input and one for its pipeline's output; an encoder the same. Every one
// recovers from panics (counted in Stats.Panics and logged with the stack), per item where a loop handles items,
// so that one bad packet or frame cannot stop the loop. Every call into GStreamer is checked; a failure is
// logged and counted, and the pipeline concerned is rebuilt, at most once per second. Close releases every C
// object: the pipelines are closed, their goroutines waited for.
package transcode
