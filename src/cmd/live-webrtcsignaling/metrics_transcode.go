package main

import (
	"slices"

	"github.com/heytribe/live-webrtcsignaling/src/histogram"
	"github.com/heytribe/live-webrtcsignaling/src/media"
	"github.com/heytribe/live-webrtcsignaling/src/metrics"
	"github.com/heytribe/live-webrtcsignaling/src/transcode"
)

// transcodeCollector exposes the transcoding: decoders and encoders running, by codec and tier, their times, the
// receivers by choice, tier switches and guard refusals.
func transcodeCollector(plane *media.Plane, tc *transcoder) metrics.Collector {
	return metrics.CollectorFunc(func(e *metrics.Emitter) {
		ps := plane.TranscodeStats()
		st := tc.stats()
		e.Gauge(metricPrefix+"transcode_decoders", "Decoders running (one per publisher video track that some "+
			"tier needs, a few seconds more after the last).", float64(st.Decoders))
		for _, c := range st.Encoders {
			e.Gauge(metricPrefix+"transcode_encoders", "Encoders running, by codec and tier.", float64(c.Count),
				label("codec", string(c.Codec)), label("tier", c.Tier))
		}
		for _, c := range sortedCodecs(st.DecodeTime) {
			e.Histogram(metricPrefix+"transcode_decode_seconds", "Time from a frame's push into a decoder to "+
				"its decoded picture, by the decoder's codec.", doublingHistogram(st.DecodeTime[c]), label("codec", string(c)))
		}
		for _, c := range sortedCodecs(st.EncodeTime) {
			e.Histogram(metricPrefix+"transcode_encode_seconds", "Time from a decoded picture to the encoder's "+
				"output (scaling included), by the encoder's codec.", doublingHistogram(st.EncodeTime[c]),
				label("codec", string(c)))
		}
		const receiversHelp = "Video receivers by choice at the last adaptation pass: the publisher's own stream " +
			"(forwarded), a tier in its codec (tier), a tier in another codec (translated)."
		e.Gauge(metricPrefix+"transcode_receivers", receiversHelp, float64(ps.Forwarded), label("choice", "forwarded"))
		e.Gauge(metricPrefix+"transcode_receivers", receiversHelp, float64(ps.Tiered), label("choice", "tier"))
		e.Gauge(metricPrefix+"transcode_receivers", receiversHelp, float64(ps.Translated), label("choice", "translated"))
		e.Counter(metricPrefix+"transcode_tier_switches_total", "Receivers moved from one choice to another.",
			float64(ps.TierSwitches))
		e.Counter(metricPrefix+"transcode_guard_refusals_total", "Encoders not started because "+
			"TRANSCODE_MAX_ENCODERS were running.", float64(ps.GuardRefusals))
		counters(e, "transcode_frames_total", "Frames encoded, and decoded frames an encoder had no time for.",
			"kind", map[string]uint64{"encoded": st.FramesEncoded, "dropped": st.DroppedFrames})
		counters(e, "transcode_losses_total", "Publisher packets lost for good, frames that could not be rebuilt, "+
			"frames dropped by a decoder too far behind: each costs a keyframe request.", "kind",
			map[string]uint64{"gap": st.Gaps, "broken": st.BrokenFrames, "queue": st.QueueDrops})
		counters(e, "transcode_keyframes_total", "Keyframes asked of publishers by decoders, and made by encoders "+
			"on request.", "kind", map[string]uint64{"requested": st.KeyframeRequests, "forced": st.ForcedKeyframes})
		counters(e, "transcode_errors_total", "GStreamer errors and warnings, pipelines rebuilt, panics recovered.",
			"kind", map[string]uint64{"pipeline": st.PipelineErrors, "restart": st.Restarts, "panic": st.Panics})
	})
}

func sortedCodecs(m map[transcode.Codec]histogram.Doubling) []transcode.Codec {
	out := make([]transcode.Codec, 0, len(m))
	for c := range m {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}
