package admin

import (
	"fmt"
	"math"
	"net/http"
	"runtime/trace"
	"strconv"
	"time"
)

// Bounds of /debug/trace?seconds=N: a trace of a busy server grows by megabytes per second.
const (
	defaultTrace = time.Second
	maxTrace     = 60 * time.Second
)

// trace streams a runtime/trace of the requested duration, for `go tool trace`. One trace runs at a time: the Go
// runtime has one tracer. A client that goes away ends the trace early.
func (h *Handler) trace(w http.ResponseWriter, r *http.Request) {
	d, err := traceDuration(r.URL.Query().Get("seconds"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="trace.out"`)
	if err := trace.Start(w); err != nil {
		w.Header().Del("Content-Disposition")
		http.Error(w, "a trace is already running: "+err.Error(), http.StatusConflict)
		return
	}
	h.log.Info("admin: runtime trace started", "duration", d.String(), "remote", r.RemoteAddr)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
	trace.Stop()
}

// traceDuration reads the seconds parameter: empty for the default, else a number of seconds in (0, 60].
func traceDuration(seconds string) (time.Duration, error) {
	if seconds == "" {
		return defaultTrace, nil
	}
	s, err := strconv.ParseFloat(seconds, 64)
	if err != nil || math.IsNaN(s) || s <= 0 || s > maxTrace.Seconds() {
		return 0, fmt.Errorf("seconds must be a number in (0, %d], got %q", int(maxTrace.Seconds()), seconds)
	}
	return time.Duration(s * float64(time.Second)), nil
}
