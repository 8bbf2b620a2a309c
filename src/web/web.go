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
)

//go:embed static
var files embed.FS

// Handler serves the reference web client.
func Handler() (http.Handler, error) {
	static, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	return http.FileServer(http.FS(static)), nil
}
