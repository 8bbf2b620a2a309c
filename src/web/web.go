// Package web serves the reference web client, embedded in the binary: a browser page that joins a room over the
// websocket API and calls the others in relay or MCU mode, as docs/API.md asks a client to. The server mounts it at
// "/":
//
//	client, err := web.Handler()
//	mux.Handle("/", client)
//
// Its files are in static/; the browser tests (src/e2e) drive it.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"unicode/utf8"
)

//go:embed static
var files embed.FS

// Handler serves the reference web client. A path that is not UTF-8 once unescaped (such as the overlong "%c0%ae" of
// directory traversal attempts) gets 400: it can name no file, and http.FileServer would answer 500.
func Handler() (http.Handler, error) {
	static, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	server := http.FileServer(http.FS(static))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !utf8.ValidString(r.URL.Path) {
			http.Error(w, "400 bad request: path is not UTF-8", http.StatusBadRequest)
			return
		}
		server.ServeHTTP(w, r)
	}), nil
}
