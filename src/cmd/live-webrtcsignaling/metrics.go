package main

import (
	"log/slog"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/metrics"
	"github.com/heytribe/live-webrtcsignaling/src/signaling"
)

// metricPrefix names the server's own metrics; the Go runtime's keep their usual go_ and process_ names.
const metricPrefix = "live_webrtcsignaling_"

// newMetrics builds what /metrics exposes: the Go runtime and the process, the build, the signaling server and
// the drain state, the bus when RABBITMQ_URL is set, the cluster when CLUSTER is on, the WebRTC sessions and the media plane in MCU mode. Each
// collector reads its package's counters at scrape time.
func newMetrics(srv *signaling.Server, events *eventBus, mediaPlane *mediaPlane, node *clusterNode,
	draining *atomic.Bool, started time.Time, logger *slog.Logger) (*metrics.Registry, error) {
	reg := metrics.NewRegistry(logger)
	collectors := []metrics.Collector{metrics.RuntimeCollector(started), buildCollector(), signalingCollector(srv, draining)}
	if events.amqp != nil {
		collectors = append(collectors, busCollector(events.amqp))
	}
	if node != nil {
		collectors = append(collectors, clusterCollector(node.node, srv))
	}
	if mediaPlane != nil {
		collectors = append(collectors, webrtcCollector(mediaPlane.engine), mediaCollector(mediaPlane.plane))
		if mediaPlane.transcoder != nil {
			collectors = append(collectors, transcodeCollector(mediaPlane.plane, mediaPlane.transcoder))
		}
	}
	for _, c := range collectors {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return reg, nil
}

// buildCollector exposes which build runs: the version set at link time and the VCS revision Go stamped, if any.
func buildCollector() metrics.Collector {
	revision := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	return metrics.CollectorFunc(func(e *metrics.Emitter) {
		e.Gauge(metricPrefix+"build_info", "Always 1; the labels say which build runs.", 1,
			metrics.Label{Name: "version", Value: version}, metrics.Label{Name: "revision", Value: revision},
			metrics.Label{Name: "goversion", Value: runtime.Version()})
	})
}

func signalingCollector(srv *signaling.Server, draining *atomic.Bool) metrics.Collector {
	return metrics.CollectorFunc(func(e *metrics.Emitter) {
		st := srv.Stats()
		e.Gauge(metricPrefix+"rooms", "Live rooms.", float64(st.Rooms))
		e.Gauge(metricPrefix+"participants", "Participants in rooms, connected or waiting for a reconnect.",
			float64(st.Participants))
		e.Gauge(metricPrefix+"websockets", "Open websockets, joined or not.", float64(st.Connections))
		e.Counter(metricPrefix+"websockets_accepted_total", "Websockets accepted since start.", float64(st.AcceptedTotal))
		const messagesHelp = "Websocket messages handled, by action (general: unknown or unreadable) and result."
		for _, m := range st.Messages {
			action := metrics.Label{Name: "action", Value: m.Action}
			e.Counter(metricPrefix+"ws_messages_total", messagesHelp, float64(m.OK), action,
				metrics.Label{Name: "result", Value: "ok"})
			e.Counter(metricPrefix+"ws_messages_total", messagesHelp, float64(m.Failed), action,
				metrics.Label{Name: "result", Value: "error"})
		}
		for _, c := range st.Errors {
			e.Counter(metricPrefix+"api_errors_total", "Error replies sent, by API error code (docs/API.md).",
				float64(c.Count), metrics.Label{Name: "code", Value: strconv.Itoa(c.Code)})
		}
		e.Counter(metricPrefix+"reconnects_total", "Successful reconnects.", float64(st.Reconnects))
		e.Counter(metricPrefix+"rate_limited_messages_total", "Messages dropped by the per-connection rate limit.",
			float64(st.RateLimited))
		limitsCollector(e, st)
		e.Gauge(metricPrefix+"draining", "1 while the server drains after SIGTERM: joins are refused with 1335.",
			boolGauge(draining.Load()))
	})
}

// limitsCollector emits the figures of the limits against hostile clients (docs/OPERATIONS.md, "Limits").
func limitsCollector(e *metrics.Emitter, st signaling.Stats) {
	e.Counter(metricPrefix+"ws_rate_limit_closes_total",
		"Websockets closed for going on sending over their rate limit (close code 4429).", float64(st.RateLimitCloses))
	e.Gauge(metricPrefix+"ws_unauthenticated", "Open websockets without a participant (not joined yet, or left).",
		float64(st.Unauthenticated))
	e.Counter(metricPrefix+"ws_join_timeouts_total",
		"Websockets closed for not joining within WS_JOIN_TIMEOUT (close code 4408).", float64(st.JoinTimeouts))
	const refusedHelp = "Websockets refused: upgrade over WS_UNAUTH_PER_ADDRESS (address) or WS_UNAUTH_TOTAL " +
		"(total), join or reconnect over WS_SOCKETS_PER_USER (user)."
	for _, r := range []struct {
		reason string
		n      uint64
	}{{"address", st.RefusedAddress}, {"total", st.RefusedTotal}, {"user", st.RefusedUserSockets}} {
		e.Counter(metricPrefix+"ws_refused_total", refusedHelp, float64(r.n),
			metrics.Label{Name: "reason", Value: r.reason})
	}
	e.Gauge(metricPrefix+"ws_queued_bytes", "Bytes held in websocket send queues and replay lists.",
		float64(st.QueuedBytes))
	const slowHelp = "Websockets dropped as slow readers: queue full (WS_SEND_QUEUE_BYTES or 512 messages) " +
		"or process over WS_QUEUED_BYTES_TOTAL (budget)."
	e.Counter(metricPrefix+"ws_slow_dropped_total", slowHelp, float64(st.SlowQueue),
		metrics.Label{Name: "reason", Value: "queue"})
	e.Counter(metricPrefix+"ws_slow_dropped_total", slowHelp, float64(st.SlowBudget),
		metrics.Label{Name: "reason", Value: "budget"})
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
