package layers

import (
	"errors"
	"fmt"
	"go/build"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/heytribe/live-webrtcsignaling/"

// The layers of docs/ARCHITECTURE.md. Imports flow one way: codecs and cgo <- transport, webrtc <- media (and
// transcode) <- cmd; config, auth, bus, cluster <- signaling <- cmd; cgo imports nothing of src. The leaves, the client
// API's vocabulary, the default settings and the reconnection backoff, import nothing but each other, and anyone may
// import them.
const (
	leaf      = "leaf (protocol, defaults, backoff, histogram)"
	cgo       = "cgo"
	codec     = "codec (stun, sdp, rtp, rtcp, congestion)"
	transport = "transport"
	webrtc    = "webrtc"
	media     = "media (media, transcode)"
	service   = "signaling's parts (config, auth, bus, cluster)"
	signaling = "signaling"
	ops       = "ops (admin, metrics, web)"
	top       = "top (commands, load tools, browser tests)"
	support   = "support (src/internal: the test helpers testkit and brokertest, for tests only; the load tools' loadtool)"
)

// mayImport lists, for each layer, the layers its product code may import.
var mayImport = map[string][]string{
	leaf:      {leaf},
	cgo:       {cgo},
	codec:     {codec, leaf},
	transport: {codec, leaf},
	webrtc:    {codec, cgo, transport, leaf},
	media:     {codec, cgo, transport, webrtc, leaf},
	service:   {leaf},
	signaling: {service, leaf},
	ops:       {leaf},
	top:       {leaf, cgo, codec, transport, webrtc, media, service, signaling, ops, top, support},
	support:   {leaf, codec, service, support},
}

// testOnly are the support packages for tests alone: only _test.go files, and each other, may import them.
var testOnly = []string{"src/internal/testkit", "src/internal/brokertest"}

// layerOf places a package of the module (its path inside the module) in a layer; "" for a package not placed yet.
func layerOf(pkg string) string {
	switch pkg {
	case "src/protocol", "src/defaults", "src/backoff", "src/histogram":
		return leaf
	case "src/stun", "src/sdp", "src/sdp/negotiate", "src/rtp", "src/rtp/codecs", "src/rtcp", "src/congestion":
		return codec
	case "src/transport":
		return transport
	case "src/webrtc":
		return webrtc
	case "src/media", "src/transcode":
		return media
	case "src/config", "src/auth", "src/bus", "src/cluster":
		return service
	case "src/signaling":
		return signaling
	case "src/admin", "src/metrics", "src/web":
		return ops
	case "src/e2e":
		return top
	}
	switch {
	case strings.HasPrefix(pkg, "cgo/"):
		return cgo
	case strings.HasPrefix(pkg, "src/cmd/"):
		return top
	case strings.HasPrefix(pkg, "src/internal/"):
		return support
	}
	return ""
}

// pkgImports are a package's imports of the module's packages, by the code that makes them.
type pkgImports struct {
	path    string // inside the module, e.g. src/signaling
	product []string
	// test maps each import of the package's tests to the test files that make it.
	test map[string][]string
}

// modulePackages reads the imports of every package under src and cgo, with go/build (cgo files included), leaving
// out testdata and the separate module src/interop.
func modulePackages(t *testing.T) []pkgImports {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	ctxt := build.Default
	ctxt.CgoEnabled = true
	var pkgs []pkgImports
	for _, top := range []string{"src", "cgo"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(dir string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				return filepath.SkipDir
			}
			p, err := ctxt.ImportDir(dir, 0)
			var noGo *build.NoGoError
			if errors.As(err, &noGo) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", dir, err)
			}
			rel, err := filepath.Rel(root, dir)
			if err != nil {
				return err
			}
			pkgs = append(pkgs, pkgImports{path: filepath.ToSlash(rel), product: ofModule(p.Imports),
				test: testImportsOfModule(root, p)})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(pkgs) < 20 {
		t.Fatalf("found only %d packages: the walk no longer finds the module", len(pkgs))
	}
	return pkgs
}

// ofModule keeps the module's packages of imports, as paths inside the module.
func ofModule(imports []string) []string {
	var out []string
	for _, imp := range imports {
		if rel, ok := strings.CutPrefix(imp, module); ok && !slices.Contains(out, rel) {
			out = append(out, rel)
		}
	}
	return out
}

// testImportsOfModule maps the imports of p's tests of the module's packages to the files that make them.
func testImportsOfModule(root string, p *build.Package) map[string][]string {
	out := map[string][]string{}
	for _, positions := range []map[string][]token.Position{p.TestImportPos, p.XTestImportPos} {
		for imp, at := range positions {
			rel, ok := strings.CutPrefix(imp, module)
			if !ok {
				continue
			}
			for _, pos := range at {
				file, err := filepath.Rel(root, pos.Filename)
				if err != nil {
					file = pos.Filename
				}
				if file = filepath.ToSlash(file); !slices.Contains(out[rel], file) {
					out[rel] = append(out[rel], file)
				}
			}
		}
	}
	return out
}

// violations lists the imports of pkg against the rule, given the layers its code may import.
func violations(pkg string, imports []string, allowed []string) []string {
	var out []string
	for _, imp := range imports {
		if imp == pkg {
			continue // an external test package importing its subject
		}
		l := layerOf(imp)
		if l == "" || !slices.Contains(allowed, l) {
			out = append(out, fmt.Sprintf("%s (%s) imports %s (%s)", pkg, layerOf(pkg), imp, l))
		}
	}
	return out
}

// TestProductImports: no package's product code imports against the rule.
func TestProductImports(t *testing.T) {
	for _, p := range modulePackages(t) {
		l := layerOf(p.path)
		if l == "" {
			t.Errorf("%s is in no layer: place it in layerOf (and in docs/ARCHITECTURE.md)", p.path)
			continue
		}
		for _, v := range violations(p.path, p.product, mayImport[l]) {
			t.Error(v)
		}
		for _, v := range testOnlyImports(p.path, p.product) {
			t.Error(v)
		}
	}
}

// testOnlyImports lists the imports of the test-only packages by pkg's product code.
func testOnlyImports(pkg string, imports []string) []string {
	if slices.Contains(testOnly, pkg) {
		return nil
	}
	var out []string
	for _, imp := range imports {
		if slices.Contains(testOnly, imp) {
			out = append(out, fmt.Sprintf("%s imports %s outside its tests: it is for tests only", pkg, imp))
		}
	}
	return out
}

// TestTestImports: a package's tests import what its code may import, and the test-support packages.
func TestTestImports(t *testing.T) {
	for _, p := range modulePackages(t) {
		l := layerOf(p.path)
		if l == "" {
			continue // TestProductImports reports it
		}
		allowed := append(slices.Clone(mayImport[l]), support)
		for imp, files := range p.test {
			for _, v := range violations(p.path, []string{imp}, allowed) {
				t.Errorf("%s, in %s", v, strings.Join(files, ", "))
			}
		}
	}
}

// TestRuleRefusesWrongImports: the rule refuses what docs/ARCHITECTURE.md forbids, so the tests above can fail.
func TestRuleRefusesWrongImports(t *testing.T) {
	for _, bad := range [][2]string{
		{"src/media", "src/signaling"},
		{"src/signaling", "src/media"},
		{"src/signaling", "src/webrtc"},
		{"cgo/dtls", "src/rtp"},
		{"src/transport", "src/webrtc"},
		{"src/webrtc", "src/media"},
		{"src/rtp", "src/transport"},
		{"src/config", "src/signaling"},
		{"src/bus", "src/signaling"},
		{"src/cluster", "src/signaling"},
		{"src/cluster", "src/bus"},
		{"src/backoff", "src/bus"},
		{"src/protocol", "src/config"},
		{"src/media", "src/config"},
		{"src/stun", "src/cmd/loadtest"},
	} {
		if v := violations(bad[0], []string{bad[1]}, mayImport[layerOf(bad[0])]); len(v) == 0 {
			t.Errorf("%s importing %s is allowed", bad[0], bad[1])
		}
	}
	for _, bad := range [][2]string{
		{"src/cmd/loadtest", "src/internal/testkit"},
		{"src/internal/loadtool", "src/internal/brokertest"},
		{"src/signaling", "src/internal/testkit"},
	} {
		if len(testOnlyImports(bad[0], []string{bad[1]})) == 0 {
			t.Errorf("%s importing %s outside its tests is allowed", bad[0], bad[1])
		}
	}
	if v := testOnlyImports("src/internal/brokertest", []string{"src/internal/testkit"}); len(v) != 0 {
		t.Errorf("refused: %v", v)
	}
	for _, good := range [][2]string{
		{"src/media", "src/webrtc"},
		{"src/media", "src/protocol"},
		{"src/signaling", "src/bus"},
		{"src/signaling", "src/cluster"},
		{"src/cluster", "src/backoff"},
		{"src/bus", "src/backoff"},
		{"src/webrtc", "cgo/srtp"},
		{"src/sdp/negotiate", "src/stun"},
		{"src/cmd/live-webrtcsignaling", "src/media"},
	} {
		if v := violations(good[0], []string{good[1]}, mayImport[layerOf(good[0])]); len(v) != 0 {
			t.Errorf("refused: %v", v)
		}
	}
}
