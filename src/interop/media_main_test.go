package interop

import (
	"fmt"
	"os"
	"testing"
)

// serverBinDir holds the server binaries the media tests build (media_server_test.go), removed at the end.
var serverBinDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "interop-media-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		os.Exit(1)
	}
	serverBinDir = dir
	code := m.Run()
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
	}
	os.Exit(code)
}
