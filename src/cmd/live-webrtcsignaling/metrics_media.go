package main

import (
	"slices"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/histogram"
	"github.com/heytribe/live-webrtcsignaling/src/media"
	"github.com/heytribe/live-webrtcsignaling/src/metrics"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
	"github.com/heytribe/live-webrtcsignaling/src/webrtc"
)

func label(name, value string) metrics.Label { return metrics.Label{Name: name, Value: value} }

// busCollector exposes the live_events publisher: outbox, confirms, drops, connection.
func busCollector(p *bus.AMQPPublisher) metrics.Collector {
	return metrics.CollectorFunc(func(e *metrics.Emitter) {
		st := p.Stats()
		e.Gauge(metricPrefix+"bus_connected", "1 while a channel to the broker is open.", boolGauge(st.Connected))
		e.Gauge(metricPrefix+"bus_outbox_depth", "Events waiting in the outbox.", float64(st.Outbox))
		e.Gauge(metricPrefix+"bus_unconfirmed", "Events sent or to resend, not yet confirmed by the broker.",
			float64(st.Unconfirmed))
		e.Counter(metricPrefix+"bus_published_total", "Events confirmed by the broker.", float64(st.Published))
		e.Counter(metricPrefix+"bus_retried_total", "Events sent again (lost connection, nack, confirm timeout).",
			float64(st.Retried))
		e.Counter(metricPrefix+"bus_nacked_total", "Negative confirms from the broker.", float64(st.Nacked))
		const droppedHelp = "Events dropped because the outbox was full, by kind (join_leave: past the hard limit)."
		e.Counter(metricPrefix+"bus_dropped_total", droppedHelp, float64(st.DroppedSnapshots), label("kind", "room_live"))
		e.Counter(metricPrefix+"bus_dropped_total", droppedHelp, float64(st.DroppedTelemetry), label("kind", "telemetry"))
		e.Counter(metricPrefix+"bus_dropped_total", droppedHelp, float64(st.Lost), label("kind", "join_leave"))
		e.Counter(metricPrefix+"bus_abandoned_total", "Events undelivered when the shutdown flush gave up.",
			float64(st.Abandoned))
		e.Counter(metricPrefix+"bus_encode_errors_total", "Events that could not be encoded (a bug).",
			float64(st.EncodeErrors))
		e.Counter(metricPrefix+"bus_reconnects_total", "Channels opened to the broker after the first.",
			float64(max(st.Connects, 1)-1))
		e.Counter(metricPrefix+"bus_connection_errors_total", "Failed connection attempts and lost connections.",
			float64(st.ConnectionErrors))
	})
}

// webrtcCollector exposes the WebRTC sessions (ICE, DTLS, SRTP), the forwarding latency measured by their writers,
// and the UDP sockets under them.
func webrtcCollector(engine *webrtc.Engine) metrics.Collector {
	return metrics.CollectorFunc(func(e *metrics.Emitter) {
		st := engine.Stats()
		const sessionsHelp = "Live WebRTC sessions by state."
		e.Gauge(metricPrefix+"webrtc_sessions", sessionsHelp, float64(st.SessionsNew), label("state", "new"))
		e.Gauge(metricPrefix+"webrtc_sessions", sessionsHelp, float64(st.SessionsChecking), label("state", "checking"))
		e.Gauge(metricPrefix+"webrtc_sessions", sessionsHelp, float64(st.SessionsConnected), label("state", "connected"))
		ended := make(map[string]uint64, len(st.Ended))
		for reason, n := range st.Ended {
			if reason == webrtc.ReasonNone {
				reason = "none"
			}
			ended[string(reason)] += n
		}
		counters(e, "webrtc_sessions_ended_total", "Ended WebRTC sessions by reason.", "reason", ended)
		c := st.Counters
		counters(e, "webrtc_stun_dropped_total", "STUN checks dropped or refused, by cause.", "cause", map[string]uint64{
			"malformed": c.STUNMalformed, "username": c.STUNUsername, "integrity": c.STUNIntegrity,
			"fingerprint": c.STUNFingerprint, "role_conflict": c.STUNRoleConflict,
		})
		counters(e, "webrtc_srtp_dropped_total", "SRTP packets dropped, by cause.", "cause", map[string]uint64{
			"auth": c.SRTPAuth, "replay": c.SRTPReplay, "other": c.SRTPOther, "early": c.SRTPEarly,
		})
		counters(e, "webrtc_write_dropped_total", "Packets not sent, by cause.", "cause", map[string]uint64{
			"queue_full": c.WriteQueueFull, "not_connected": c.WriteNotConnected, "error": c.WriteErrors,
		})
		e.Counter(metricPrefix+"webrtc_dtls_dropped_total", "DTLS datagrams dropped.", float64(c.DTLSDropped))
		e.Counter(metricPrefix+"webrtc_dtls_records_dropped_total", "DTLS records of connected sessions dropped "+
			"because they could not authenticate (forged or corrupt).", float64(c.DTLSRecordsDropped))
		e.Counter(metricPrefix+"webrtc_address_switches_total", "ICE nominations that moved a session's address.",
			float64(c.AddressSwitches))
		e.Histogram(metricPrefix+"forward_latency_seconds", "Time from a publisher packet's receipt by its session "+
			"to the socket write of each copy forwarded to a listener.", doublingHistogram(c.Forwarding))
		t := st.Transport
		counters(e, "udp_datagrams_total", "UDP datagrams read (in) and written (out).", "direction",
			map[string]uint64{"in": t.DatagramsIn, "out": t.DatagramsOut})
		counters(e, "udp_bytes_total", "UDP bytes read (in) and written (out).", "direction",
			map[string]uint64{"in": t.BytesIn, "out": t.BytesOut})
		counters(e, "udp_dropped_total", "UDP datagrams dropped before any session, by reason.", "reason", map[string]uint64{
			"unknown_kind": t.DropUnknownKind, "unknown_ufrag": t.DropUnknownUfrag, "unknown_source": t.DropUnknownSource,
			"queue_full": t.DropQueueFull, "oversize": t.DropOversize,
		})
		counters(e, "udp_errors_total", "Failed socket reads and writes.", "op",
			map[string]uint64{"read": t.ReadErrors, "write": t.WriteErrors})
		iceTCPMetrics(e, t)
	})
}

// iceTCPMetrics exposes the ICE-TCP connections: how many, why they closed, what they carried and dropped.
func iceTCPMetrics(e *metrics.Emitter, t transport.Stats) {
	tcp := t.TCP
	const connsHelp = "Open ICE-TCP connections, by whether a check on them was verified (bound) or not yet."
	e.Gauge(metricPrefix+"ice_tcp_connections", connsHelp, float64(t.TCPConns-t.TCPUnbound), label("state", "bound"))
	e.Gauge(metricPrefix+"ice_tcp_connections", connsHelp, float64(t.TCPUnbound), label("state", "unbound"))
	counters(e, "ice_tcp_accepted_total", "ICE-TCP connections accepted, or rejected at once (too many unbound).",
		"result", map[string]uint64{"accepted": tcp.Accepted, "rejected": tcp.Rejected})
	counters(e, "ice_tcp_closed_total", "ICE-TCP connections closed, by cause.", "cause", map[string]uint64{
		"peer": tcp.ClosedPeer, "garbage": tcp.ClosedGarbage, "oversize": tcp.ClosedOversize,
		"bind_timeout": tcp.ClosedBindTimeout, "write_stall": tcp.ClosedWriteStall, "local": tcp.ClosedLocal,
	})
	counters(e, "ice_tcp_frames_total", "ICE-TCP frames read (in) and written (out).", "direction",
		map[string]uint64{"in": tcp.FramesIn, "out": tcp.FramesOut})
	counters(e, "ice_tcp_bytes_total", "ICE-TCP bytes read (in, payload) and written (out, with framing).",
		"direction", map[string]uint64{"in": tcp.BytesIn, "out": tcp.BytesOut})
	e.Counter(metricPrefix+"ice_tcp_dropped_total", "ICE-TCP frames dropped because the connection's write "+
		"queue was full (its peer reads too slowly).", float64(tcp.DropQueueFull))
	e.Counter(metricPrefix+"ice_tcp_accept_errors_total", "Failed ICE-TCP accepts.", float64(tcp.AcceptErrors))
}

// mediaCollector exposes the MCU's forwarding: streams, RTP in and out, drops, NACK/RTX, keyframe requests and
// REMB. The forwarding latency is measured where packets reach the socket, by webrtcCollector.
func mediaCollector(plane *media.Plane) metrics.Collector {
	return metrics.CollectorFunc(func(e *metrics.Emitter) {
		st := plane.Stats()
		const sessionsHelp = "Media sessions by role, and whether media flows (up) or not yet (starting)."
		for _, s := range []struct {
			role           string
			total, flowing int64
		}{{"publisher", st.Publishers, st.PublishersUp}, {"listener", st.Listeners, st.ListenersUp}} {
			e.Gauge(metricPrefix+"media_sessions", sessionsHelp, float64(s.flowing), label("role", s.role),
				label("state", "up"))
			e.Gauge(metricPrefix+"media_sessions", sessionsHelp, float64(max(s.total-s.flowing, 0)),
				label("role", s.role), label("state", "starting"))
		}
		e.Counter(metricPrefix+"media_sessions_failed_total", "Media sessions ended by a failure (eventWebrtcDown).",
			float64(st.SessionsFailed))
		counters(e, "rtp_packets_total", "RTP packets from publishers (in) and to listeners (out, retransmissions "+
			"included).", "direction", map[string]uint64{"in": st.PacketsIn, "out": st.PacketsOut})
		counters(e, "rtp_bytes_total", "RTP bytes from publishers (in) and to listeners (out).", "direction",
			map[string]uint64{"in": st.BytesIn, "out": st.BytesOut})
		counters(e, "rtp_dropped_total", "Media packets dropped, by reason.", "reason", map[string]uint64{
			"malformed": st.DropMalformed, "unknown_stream": st.DropUnknownStream,
			"waiting_keyframe": st.DropWaitingKeyframe, "too_large": st.DropTooLarge,
			"before_switch": st.DropBeforeSwitch, "write_failed": st.DropWriteFailed,
			"request_queue_full": st.DropRequestQueueFull, "resend_budget": st.DropResendBudget,
			"resend_stale": st.DropResendStale, "rtcp_malformed": st.DropRTCPMalformed,
		})
		counters(e, "nack_total", "Sequence numbers NACKed by listeners (in) and asked of publishers (out).",
			"direction", map[string]uint64{"in": st.NACKsIn, "out": st.NACKsOut})
		e.Counter(metricPrefix+"rtx_total", "Packets retransmitted to listeners (RTX or plain).",
			float64(st.Retransmissions))
		e.Counter(metricPrefix+"rtx_misses_total", "NACKed packets no longer in the send history.",
			float64(st.RetransmitMisses))
		e.Counter(metricPrefix+"nack_recovered_total", "Packets asked of publishers that came back.",
			float64(st.RecoveredIn))
		counters(e, "keyframe_requests_total", "PLI and FIR received from listeners (in), and PLI and FIR sent to "+
			"publishers (throttled).", "type", map[string]uint64{
			"in": st.KeyframeRequestsIn, "pli_out": st.PLIsOut, "fir_out": st.FIRsOut,
		})
		counters(e, "remb_total", "REMB bandwidth estimates from listeners (in) and to publishers (out).",
			"direction", map[string]uint64{"in": st.REMBsIn, "out": st.REMBsOut})
		counters(e, "transport_feedback_total", "Transport-wide congestion control feedback packets from listeners "+
			"(in) and to publishers (out).", "direction",
			map[string]uint64{"in": st.TransportFeedbacksIn, "out": st.TransportFeedbacksOut})
		e.Counter(metricPrefix+"pacer_drops_total", "Packets to listeners dropped because their pacer's queue was full.",
			float64(st.PacerDrops))
		estimateGauges(e, plane.Estimates())
	})
}

// estimateGauges exposes the listeners' bandwidth estimates by kind (tcc: the server's own, from transport-wide
// feedback; remb: the receiver's): how many are fresh, their lowest and their mean. Each listener's own is in
// /state.
func estimateGauges(e *metrics.Emitter, estimates []media.ListenerEstimate) {
	for _, kind := range []string{media.EstimateTransportCC, media.EstimateREMB} {
		var n, sum, lowest uint64
		for _, est := range estimates {
			if est.Kind != kind || !est.Fresh {
				continue
			}
			if n == 0 || est.Bitrate < lowest {
				lowest = est.Bitrate
			}
			n++
			sum += est.Bitrate
		}
		mean := 0.0
		if n > 0 {
			mean = float64(sum) / float64(n)
		}
		l := label("kind", kind)
		e.Gauge(metricPrefix+"listener_estimates", "Listener sessions with a fresh bandwidth estimate, by kind.",
			float64(n), l)
		e.Gauge(metricPrefix+"listener_estimate_min_bits_per_second", "Lowest fresh listener bandwidth estimate, by "+
			"kind (0: none).", float64(lowest), l)
		e.Gauge(metricPrefix+"listener_estimate_mean_bits_per_second", "Mean fresh listener bandwidth estimate, by "+
			"kind (0: none).", mean, l)
	}
}

// counters emits one counter family with one label, its values sorted by label value for a stable output.
func counters(e *metrics.Emitter, name, help, labelName string, values map[string]uint64) {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		e.Counter(metricPrefix+name, help, float64(values[k]), label(labelName, k))
	}
}

// doublingHistogram converts a histogram of doubling buckets (webrtc's forwarding latency, transcode's times) to
// Prometheus upper bounds in seconds.
func doublingHistogram(h histogram.Doubling) metrics.Histogram {
	n := len(h.Counts)
	out := metrics.Histogram{Bounds: make([]float64, max(n-1, 0)), Counts: slices.Clone(h.Counts), Sum: h.Sum.Seconds()}
	for i := range out.Bounds {
		out.Bounds[i] = h.UpperBound(i).Seconds()
	}
	return out
}
