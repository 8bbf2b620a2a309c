// Package web serves the embedded reference web client at "/".
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
