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
// the drain state, the bus when RABBITMQ_URL is set, the WebRTC sessions and the media plane in MCU mode. Each
// collector reads its package's counters at scrape time.
func newMetrics(srv *signaling.Server, events *eventBus, mediaPlane *mediaPlane, draining *atomic.Bool,
	started time.Time, logger *slog.Logger) (*metrics.Registry, error) {
	reg := metrics.NewRegistry(logger)
	collectors := []metrics.Collector{metrics.RuntimeCollector(started), buildCollector(), signalingCollector(srv, draining)}
	if events.amqp != nil {
		collectors = append(collectors, busCollector(events.amqp))
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
		e.Gauge(metricPrefix+"draining", "1 while the server drains after SIGTERM: joins are refused with 1335.",
			boolGauge(draining.Load()))
	})
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
