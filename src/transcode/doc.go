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
// A Decoder is cheap until an encoder is attached: it then runs a GStreamer pipeline (appsrc ! vp8dec | vp9dec |
// avdec_h264 ! videoconvert ! appsink). Push, on the publisher's goroutine, rebuilds frames from the packets
// (codecs.FrameAssembler) and queues each complete frame in the pipeline without blocking. A packet lost for good
// or a broken frame never reaches the decoder: the decoder asks the publisher for a keyframe (RequestKeyframe,
// throttled, repeated while it waits) and drops frames until one comes; a decoder warning does the same, and a
// pipeline error replaces the pipeline, at the next keyframe. The decoding stops Config.DecoderLinger after the
// last encoder closed.
//
// # Encoder
//
// Each Encoder has its own pipeline (appsrc ! videoscale ! vp8enc | x264enc | openh264enc ! appsink). The decoded
// frames reach it through a gst.Fanout on the decoder's appsink: by reference, in C, thinned to the tier's frame
// rate; when the encoder falls behind, a newer frame replaces the one waiting, and the replacement is counted.
// videoscale fits the picture into the tier's box, keeping the aspect ratio and never scaling up, and negotiates
// again by itself when the publisher's picture changes size. The encoder packetizes its frames itself
// (codecs.VP8Payloader, codecs.H264Payloader) into RTP packets with its own SSRC, sequence numbers and timestamps,
// the first packet of each keyframe flagged. Its timestamps are the publisher's plus a constant, so that the
// publisher's sender reports map them to wall-clock time as well.
//
// Go touches each frame twice: the encoded frame in Push, and each encoder's output, read from a gst.SampleQueue
// woken through the netpoller. A call from C into Go per frame, or a hand-over of raw frames through Go, cost the
// Go scheduler more than the codecs on the build machines: docs/ARCHITECTURE.md (Transcoding) has the figures,
// and why the encoders have pipelines of their own rather than branches of a tee in the decoder's.
//
// # Goroutines and errors
//
// A decoder runs one goroutine that watches its pipeline's bus; an encoder one that packetizes its output and one
// that watches its bus. Every one recovers from panics (counted in Stats.Panics and logged with the stack), per
// item where a loop handles items, and so does Push. Every call into GStreamer is checked; a failure is logged
// and counted, and a pipeline that fails is replaced, after a second. Close releases every C object: the
// pipelines are closed, their goroutines waited for.
package transcode
