// Package metrics serves the Prometheus text exposition format (version 0.0.4) without the Prometheus client
// library: a Registry of collectors that read their packages' counters at scrape time, and an Emitter that checks
// names, groups the samples of each family, escapes label values and formats numbers.
//
//	reg := metrics.NewRegistry(logger)
//	err := reg.Register(metrics.CollectorFunc(func(e *metrics.Emitter) {
//		st := srv.Stats()
//		e.Gauge("app_rooms", "Live rooms.", float64(st.Rooms))
//	}))
//	mux.Handle("GET /metrics", reg)
//
// RuntimeCollector exposes the Go runtime and the process under client_golang's names. A sample that would make the
// exposition invalid (bad name, a family emitted with two types, a duplicate label set, an inconsistent histogram)
// is dropped and reported in the log; the rest of the scrape is served. Why the format is written here rather than
// with client_golang: docs/ARCHITECTURE.md, "Dependencies".
package metrics
