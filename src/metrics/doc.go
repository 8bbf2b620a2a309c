// Package metrics serves the Prometheus text exposition format (version 0.0.4) without the Prometheus client
// library: a Registry of collectors that read their packages' counters at scrape time, and an Emitter that checks
// names, groups the samples of each family, escapes label values and formats numbers.
//
// Collectors are plain functions, so the packages that own the counters (signaling, bus, media) need not import
// this one: main registers a CollectorFunc that calls their Stats() and emits what it reads.
//
//	reg := metrics.NewRegistry(logger)
//	reg.Register(metrics.CollectorFunc(func(e *metrics.Emitter) {
//		st := srv.Stats()
//		e.Gauge("app_rooms", "Live rooms.", float64(st.Rooms))
//	}))
//	mux.Handle("GET /metrics", reg)
//
// A sample that would make the exposition invalid (bad name, a family emitted with two types, a duplicate label
// set, an inconsistent histogram) is dropped and reported in the log; the rest of the scrape is served.
package metrics
