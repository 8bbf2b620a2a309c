// Package admin serves the operator endpoints of the admin listener (ADMIN_ADDR, loopback by default): /state,
// /memstats, /loglevel, /debug/pprof/ and /debug/trace, plus what main adds with Handle (/metrics). They are never
// mounted on the public listener.
//
// When a token is configured (ADMIN_TOKEN) every endpoint requires "Authorization: Bearer <token>"; a request
// without it gets 401 and a log line that never contains what was sent.
package admin
