// Package gst is a thin, defensive cgo binding to GStreamer 1.22 for
// pipelines fed from Go through appsrc and drained to Go through appsink: the
// decoder and encoder pipelines of the transcoding layer.
//
// A Pipeline is built from a gst-launch description; its elements are found
// by name:
//
//	p, err := gst.NewPipeline("appsrc name=src format=time is-live=true max-buffers=64 leaky-type=downstream" +
//		" caps=video/x-raw,format=I420,width=640,height=480,framerate=30/1" +
//		" ! vp8enc name=enc deadline=1 cpu-used=16 lag-in-frames=0 ! rtpvp8pay ! appsink name=sink sync=false")
//	src, err := p.AppSrc("src")        // src.Push(frame, pts, duration); src.SetCaps(...) when the size changes
//	sink, err := p.AppSink("sink", 16) // for s := range sink.Samples() { ... }
//	enc, err := p.Element("enc")       // enc.SetInt("target-bitrate", 500_000); enc.ForceKeyUnit()
//	err = p.SetState(gst.StatePlaying)
//	...
//	err = p.Close() // NULL state, callbacks detached, every C object released
//
// The package Example builds a complete encoder tier.
//
// # Fan-out and sample queues
//
// A Fanout (Pipeline.AppSinkFanout) hands every buffer of an appsink to appsrcs of other pipelines, by reference
// and in C: one decoder pipeline feeding the encoder pipelines of several tiers, with no copy and no call into Go
// per frame, optionally thinned to each target's frame rate. Its targets are appsrcs that never block
// (block=false, leaky-type=downstream max-buffers=1 takes the freshest frame); AppSrc.ForceKeyUnit then asks their
// encoder for a keyframe in order with the frames, without waiting for the streaming thread.
//
// A SampleQueue (Pipeline.AppSinkQueue) is AppSink without its per-sample call from C into Go: the samples wait in
// C and an eventfd wakes the reading goroutine through the netpoller. Measured on the build machines, each call
// from C into Go costs the Go scheduler about 0.3-0.5 ms of CPU (sysmon polls for a millisecond after it), three
// times an eventfd wake-up: at 30 frames a second per pipeline, that was most of the Go side's cost.
//
// # Errors
//
// Every C return value is checked, and failures carry GStreamer's own text:
// parse errors, property errors (unknown property, wrong type, value outside
// the property's range, unknown enum nick with the valid ones listed), flow
// returns (ErrFlushing, ErrEOS) and state change failures (with the bus ERROR
// that explains them). ERROR and WARNING messages of the bus arrive as
// *BusError on Pipeline.Errors; the first ERROR is also kept (Pipeline.Err)
// and ends Pipeline.WaitEOS. Strings holding a NUL byte are refused instead of
// being truncated at the C boundary.
//
// # Threading
//
// Every exported method is safe for concurrent use from any goroutine;
// GStreamer has no thread affinity and no GLib main loop is needed. Buffers
// pushed to one AppSrc keep the order of the Push calls, so one goroutine
// normally feeds it, while others change properties or request keyframes.
// Close may be called from any goroutine, any number of times: it sets the
// NULL state first (which unblocks a Push waiting on a full queue and stops
// the streaming threads), waits for the calls in flight, and fails later
// calls with ErrClosed.
//
// GStreamer calls into Go on the thread that posts a bus message (a streaming
// thread, or the caller of SetState) and on the streaming thread of each
// appsink (its new-sample callback). C keeps no Go pointer: each callback
// carries a runtime/cgo.Handle value as its user data. The Go side of a
// callback never blocks and never calls back into C: it copies the sample
// into Go memory and offers it to a bounded channel, dropping the oldest
// queued sample when the channel is full (live media wants the freshest data;
// AppSink.Dropped counts them); bus messages beyond the Errors capacity are
// logged and dropped. Callbacks recover from panics, which must not unwind
// into C. Because Close stops the streaming threads before it detaches the
// callbacks and deletes the handles, no callback runs after Close returns; it
// then closes the Errors and Samples channels.
//
// # Memory
//
// A Pipeline owns every C object it handed out (elements looked up, appsink
// callback state) and releases them all in Close. Pushed data is copied into
// GStreamer buffers and samples are copied into Go slices (one allocation
// per sample), so no memory is shared across the boundary. The bus handler
// drops every message after reading it, so the bus never accumulates. A
// Pipeline garbage collected without Close is released by a cleanup that
// logs the leak: a safety net, not a way to manage pipelines.
//
// # State changes
//
// SetState reports an immediate failure. GStreamer completes some changes
// asynchronously: in an appsrc pipeline the sinks reach PAUSED or PLAYING
// only when the first buffer arrives (unless created with async=false), so
// SetState does not wait for that; WaitState does, for callers that need the
// final state.
//
// # Timestamps
//
// Push takes the PTS and duration of a buffer. Sample.PTS and Sample.DTS are
// running times, on the same timeline as the pushed timestamps even through
// elements that shift their segment (x264enc adds 1000 hours to its buffer
// timestamps and segment).
//
// GLib and GStreamer's own diagnostics (g_warning, GST_DEBUG) still go to
// stderr; everything this package reports goes through log/slog.
package gst
