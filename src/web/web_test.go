package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

func TestServesTheClient(t *testing.T) {
	h, err := Handler()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, contentType, contains string
	}{
		{"/", "text/html", `<script type="module" src="app.js">`},
		{"/app.js", "text/javascript", "report=<url>"},
		{"/style.css", "text/css", "#videos"},
	}
	for _, tc := range tests {
		res, body := get(t, h, tc.path)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), tc.contentType) ||
			!strings.Contains(body, tc.contains) {
			t.Errorf("GET %s: %d %q, containing %q: %v", tc.path, res.StatusCode, res.Header.Get("Content-Type"),
				tc.contains, strings.Contains(body, tc.contains))
		}
	}
	if res, _ := get(t, h, "/missing.js"); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /missing.js: %d, want 404", res.StatusCode)
	}
}

// Hostile paths get a 4xx, never a 500.
func TestHostilePaths(t *testing.T) {
	h, err := Handler()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want int
	}{
		{"/%c0%ae%c0%ae/etc/passwd", http.StatusBadRequest},
		{"/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", http.StatusBadRequest},
		{"/%ff", http.StatusBadRequest},
		{"/app.js%c0", http.StatusBadRequest},
		{"/%2e%2e/%2e%2e/etc/passwd", http.StatusNotFound},
		{"/..%2f..%2fetc/passwd", http.StatusNotFound},
		{"/a%00b", http.StatusNotFound},
	}
	for _, tc := range tests {
		if res, _ := get(t, h, tc.path); res.StatusCode != tc.want {
			t.Errorf("GET %s: %d, want %d", tc.path, res.StatusCode, tc.want)
		}
	}
}

func FuzzPathNeverServerError(f *testing.F) {
	for _, path := range []string{"/", "/app.js", "/%c0%ae%c0%ae/etc/passwd", "/%2e%2e/x", "/a/../b", "//x", "/%ff"} {
		f.Add(path)
	}
	h, err := Handler()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path string) {
		u, err := url.ParseRequestURI(path)
		if err != nil || u.Host != "" {
			return
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL = u
		h.ServeHTTP(rec, req)
		if rec.Code >= http.StatusInternalServerError {
			t.Fatalf("GET %q: %d", path, rec.Code)
		}
	})
}

// The browser loads every module the pages name; a missing one breaks the client silently for the person.
var localRefs = regexp.MustCompile(`(?:from|src=|href=) *['"]\.?/?([a-z]+\.(?:js|css))['"]`)

func TestEveryReferencedFileIsServed(t *testing.T) {
	h, err := Handler()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	queue := []string{""} // index.html, served at "/"
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		res, body := get(t, h, "/"+name)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET /%s: %d", name, res.StatusCode)
			continue
		}
		for _, m := range localRefs.FindAllStringSubmatch(body, -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				queue = append(queue, m[1])
			}
		}
	}
	for _, module := range []string{"app.js", "call.js", "signaling.js", "relay.js", "mcu.js", "peer.js", "media.js",
		"stats.js", "ui.js", "style.css"} {
		if !seen[module] {
			t.Errorf("%s is not reachable from index.html", module)
		}
	}
}
