// Package admin serves the operator endpoints of the admin listener (ADMIN_ADDR): /state, /memstats, /loglevel,
// /debug/pprof/ and /debug/trace, plus what the caller adds with Handle. They are never mounted on the public
// listener.
//
//	h, err := admin.NewHandlerWith(admin.Options{
//		State: func() any { return srv.Snapshot() }, // JSON without secrets
//		Level: level,                                // the *slog.LevelVar of the server's logger
//		Token: token,                                // ADMIN_TOKEN; empty: no token asked
//	}, logger)
//	h.Handle("GET /metrics", registry)
//	adminServer := &http.Server{Handler: h}
//
// With a token every endpoint, added ones included, answers 401 without "Authorization: Bearer <token>"; the
// refusal is logged without what was sent. docs/OPERATIONS.md lists the endpoints and how to use them.
package admin
