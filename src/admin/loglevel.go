package admin

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// maxLevelBody bounds the body of PUT /loglevel.
const maxLevelBody = 64

func (h *Handler) getLevel(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, levelName(h.level.Level())+"\n")
}

// setLevel changes the level of the server's logger at once, until the next change or restart.
func (h *Handler) setLevel(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxLevelBody))
	if err != nil {
		http.Error(w, "body too large: send debug, info, warn or error", http.StatusRequestEntityTooLarge)
		return
	}
	level, err := parseLevel(string(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	old := h.level.Level()
	h.level.Set(level)
	// Warn, so that the change is recorded whatever the new level.
	h.log.Warn("admin: log level changed", "from", levelName(old), "to", levelName(level), "remote", r.RemoteAddr)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, levelName(level)+"\n")
}

// parseLevel reads debug, info, warn or error (any case, surrounding spaces ignored), as LOG_LEVEL does, and
// slog's offsets such as info+2.
func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(s))); err != nil {
		return 0, fmt.Errorf("level must be debug, info, warn or error, got %q", s)
	}
	return l, nil
}

// levelName spells a level as LOG_LEVEL does: "info", "warn+2".
func levelName(l slog.Level) string {
	return strings.ToLower(l.String())
}
