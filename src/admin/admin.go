package admin

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"runtime"
)

// StateFunc returns a JSON-encodable snapshot of the server. It must hold no secret.
type StateFunc func() any

// Options configure the admin endpoints.
type Options struct {
	// State serves /state.
	State StateFunc
	// Level is the level of the server's logger, read and changed at /loglevel.
	Level *slog.LevelVar
	// Token, when not empty, is required on every endpoint as "Authorization: Bearer <token>".
	Token []byte
}

// Handler routes the admin endpoints.
type Handler struct {
	mux   *http.ServeMux
	log   *slog.Logger
	level *slog.LevelVar
	token *tokenChecker
}

// index lists the endpoints at GET /.
const index = `live-webrtcsignaling admin endpoints
  GET  /metrics              Prometheus metrics
  GET  /state                rooms and participants (JSON)
  GET  /memstats             Go memory figures after a GC (JSON)
  GET  /loglevel             current log level
  PUT  /loglevel             change it: body debug, info, warn or error
  GET  /debug/pprof/         Go profiles (go tool pprof)
  GET  /debug/trace?seconds=N  runtime trace of N seconds (go tool trace)
`

// NewHandlerWith builds the admin endpoints.
func NewHandlerWith(opts Options, logger *slog.Logger) (*Handler, error) {
	if opts.State == nil || opts.Level == nil || logger == nil {
		return nil, errors.New("admin: State, Level and logger are required")
	}
	h := &Handler{mux: http.NewServeMux(), log: logger, level: opts.Level, token: newTokenChecker(opts.Token)}
	h.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, index)
	})
	h.mux.HandleFunc("GET /state", func(w http.ResponseWriter, _ *http.Request) { h.writeJSON(w, opts.State()) })
	h.mux.HandleFunc("GET /memstats", h.memstats)
	h.mux.HandleFunc("GET /loglevel", h.getLevel)
	h.mux.HandleFunc("PUT /loglevel", h.setLevel)
	h.mux.HandleFunc("/debug/pprof/", pprof.Index)
	h.mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	h.mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	h.mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	// One runtime trace handler under both names: the README's /debug/trace and the one pprof's index links.
	h.mux.HandleFunc("GET /debug/trace", h.trace)
	h.mux.HandleFunc("GET /debug/pprof/trace", h.trace)
	return h, nil
}

// Handle adds an endpoint, for instance /metrics. The token, if any, protects it too.
func (h *Handler) Handle(pattern string, handler http.Handler) {
	h.mux.Handle(pattern, handler)
}

// ServeHTTP checks the token, then serves the endpoint.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.token.allows(r.Header.Get("Authorization")) {
		h.log.Warn("admin: request without a valid token refused", "remote", r.RemoteAddr, "path", r.URL.Path)
		w.Header().Set("WWW-Authenticate", `Bearer realm="admin"`)
		http.Error(w, "admin token required: Authorization: Bearer <ADMIN_TOKEN>", http.StatusUnauthorized)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// MemStats is what /memstats reports, after a garbage collection (as the original did).
type MemStats struct {
	Goroutines  int    `json:"goroutines"`
	NumGC       uint32 `json:"numGC"`
	HeapAlloc   uint64 `json:"heapAlloc"`
	HeapInuse   uint64 `json:"heapInuse"`
	HeapSys     uint64 `json:"heapSys"`
	HeapObjects uint64 `json:"heapObjects"`
	TotalAlloc  uint64 `json:"totalAlloc"`
	StackInuse  uint64 `json:"stackInuse"`
	StackSys    uint64 `json:"stackSys"`
	Sys         uint64 `json:"sys"`
}

func (h *Handler) memstats(w http.ResponseWriter, _ *http.Request) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	h.writeJSON(w, MemStats{
		Goroutines: runtime.NumGoroutine(), NumGC: m.NumGC, HeapAlloc: m.HeapAlloc, HeapInuse: m.HeapInuse,
		HeapSys: m.HeapSys, HeapObjects: m.HeapObjects, TotalAlloc: m.TotalAlloc, StackInuse: m.StackInuse,
		StackSys: m.StackSys, Sys: m.Sys,
	})
}

func (h *Handler) writeJSON(w http.ResponseWriter, v any) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		h.log.Error("admin: cannot encode", "err", err)
		http.Error(w, "cannot encode", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if _, err := w.Write(append(body, '\n')); err != nil {
		h.log.Debug("admin: write failed", "err", err)
	}
}
