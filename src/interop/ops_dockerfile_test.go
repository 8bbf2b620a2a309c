package interop

import (
	"bufio"
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// No Docker engine runs on the build machines: these tests read the Dockerfile with buildkit's own parser and check
// what a build would produce against this machine, which is the same Debian release (bookworm) as the images.

// repoRoot is the product module, two levels up from this test module.
const repoRoot = "../.."

// gstElements are the GStreamer elements the media and transcoding pipelines use (environment.md): the release
// image must install the package of each one's plugin.
var gstElements = []string{
	"appsrc", "appsink", "queue", "tee", "capsfilter", "videoconvert", "videoscale", "videorate", "videoflip",
	"compositor", "audiomixer", "vp8enc", "vp8dec", "vp9enc", "vp9dec", "x264enc", "openh264enc", "openh264dec",
	"avdec_h264", "h264parse", "opusenc", "opusdec", "rtpvp8pay", "rtpvp8depay", "rtph264pay", "rtph264depay",
	"rtpopuspay", "rtpopusdepay",
}

type dockerfile struct {
	stages   map[string]instructions.Stage
	order    []string
	metaArgs map[string]string
}

func parseDockerfile(t *testing.T) dockerfile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	ast, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Dockerfile does not parse: %v", err)
	}
	for _, w := range ast.Warnings {
		t.Errorf("parser warning: %s", w.Short)
	}
	stages, metaArgs, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		t.Fatalf("Dockerfile instructions: %v", err)
	}
	d := dockerfile{stages: map[string]instructions.Stage{}, metaArgs: map[string]string{}}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if kv.Value != nil {
				d.metaArgs[kv.Key] = *kv.Value
			}
		}
	}
	for _, s := range stages {
		d.stages[s.Name] = s
		d.order = append(d.order, s.Name)
	}
	return d
}

// baseImage is a stage's FROM with the global ARG defaults substituted.
func (d dockerfile) baseImage(stage string) string {
	name := d.stages[stage].BaseName
	for k, v := range d.metaArgs {
		name = strings.ReplaceAll(name, "${"+k+"}", v)
	}
	return name
}

// runLines are a stage's RUN commands as shell text.
func (d dockerfile) runLines(stage string) []string {
	var out []string
	for _, c := range d.stages[stage].Commands {
		if run, ok := c.(*instructions.RunCommand); ok {
			out = append(out, strings.Join(run.CmdLine, " "))
		}
	}
	return out
}

var aptInstall = regexp.MustCompile(`apt-get\s+install\s+([^&;|]*)`)

// aptPackages are the packages a stage's RUN commands install with apt-get install.
func (d dockerfile) aptPackages(stage string) []string {
	var out []string
	for _, line := range d.runLines(stage) {
		for _, m := range aptInstall.FindAllStringSubmatch(line, -1) {
			for _, f := range strings.Fields(m[1]) {
				if !strings.HasPrefix(f, "-") && f != `\` {
					out = append(out, f)
				}
			}
		}
	}
	return out
}

func TestDockerfileStages(t *testing.T) {
	d := parseDockerfile(t)
	if !slices.Equal(d.order, []string{"builder", "base", "release"}) {
		t.Fatalf("stages %v, want builder, base, release", d.order)
	}
	if img := d.baseImage("builder"); !strings.HasPrefix(img, "golang:1.26") || !strings.Contains(img, "bookworm") {
		t.Errorf("builder FROM %q, want Go 1.26 on bookworm", img)
	}
	if img := d.baseImage("base"); img != "debian:bookworm-slim" {
		t.Errorf("base FROM %q, want debian:bookworm-slim", img)
	}
	if img := d.baseImage("release"); img != "base" {
		t.Errorf("release FROM %q, want base", img)
	}

	builder := d.aptPackages("builder")
	for _, p := range []string{"pkg-config", "libssl-dev", "libsrtp2-dev", "libgstreamer1.0-dev",
		"libgstreamer-plugins-base1.0-dev"} {
		if !slices.Contains(builder, p) {
			t.Errorf("builder does not install %s", p)
		}
	}
	if !slices.ContainsFunc(d.runLines("builder"), func(l string) bool {
		return strings.Contains(l, "CGO_ENABLED=1 go build") && strings.Contains(l, "./src/cmd/live-webrtcsignaling")
	}) {
		t.Error("builder does not build ./src/cmd/live-webrtcsignaling with cgo")
	}

	base := d.aptPackages("base")
	if len(base) == 0 {
		t.Fatal("base installs nothing")
	}
	for _, p := range base {
		if strings.HasSuffix(p, "-dev") || slices.Contains([]string{"gcc", "make", "git", "golang", "curl", "wget",
			"gstreamer1.0-tools", "pkg-config"}, p) {
			t.Errorf("base installs %s: only runtime libraries and plugins belong there", p)
		}
	}
}

func TestReleaseStage(t *testing.T) {
	d := parseDockerfile(t)
	var user, health, cmd string
	for _, c := range d.stages["release"].Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.HealthCheckCommand:
			health = strings.Join(c.Health.Test, " ")
		case *instructions.CmdCommand:
			cmd = strings.Join(c.CmdLine, " ")
		case *instructions.CopyCommand:
			if c.From != "builder" || !slices.Equal(c.SourcePaths, []string{"/src/bin/live-webrtcsignaling"}) {
				t.Errorf("release copies %v from %q: only the binary from builder belongs there", c.SourcePaths, c.From)
			}
		case *instructions.AddCommand:
			t.Errorf("release ADDs %v", c.SourcePaths)
		}
	}
	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "0" || u == "root" {
		t.Errorf("release runs as %q, want a non-root user", user)
	}
	if !strings.Contains(health, "live-webrtcsignaling healthcheck") {
		t.Errorf("release HEALTHCHECK %q, want the binary's healthcheck (GET /healthz)", health)
	}
	if cmd != "/usr/local/bin/live-webrtcsignaling" {
		t.Errorf("release CMD %q", cmd)
	}
}

// TestNoSecretInTheImage: no stage takes or sets a secret, writes credentials, or copies configuration files; the
// build context leaves out history, local builds and real env files.
func TestNoSecretInTheImage(t *testing.T) {
	d := parseDockerfile(t)
	secretName := regexp.MustCompile(`(?i)secret|password|passwd|token|credential|_key$|apikey`)
	check := func(where, key, value string) {
		if secretName.MatchString(key) || regexp.MustCompile(`://[^/\s]*:[^/\s]*@`).MatchString(value) {
			t.Errorf("%s: %s=%q looks like a secret", where, key, value)
		}
	}
	for k, v := range d.metaArgs {
		check("global ARG", k, v)
	}
	for _, name := range d.order {
		for _, c := range d.stages[name].Commands {
			switch c := c.(type) {
			case *instructions.ArgCommand:
				for _, kv := range c.Args {
					value := ""
					if kv.Value != nil {
						value = *kv.Value
					}
					check(name+" ARG", kv.Key, value)
				}
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					check(name+" ENV", kv.Key, kv.Value)
				}
			}
		}
		for _, line := range d.runLines(name) {
			if strings.Contains(line, ".gitconfig") || strings.Contains(line, "git config") {
				t.Errorf("%s writes git credentials: %s", name, line)
			}
		}
	}
	ignore, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".git", "bin", "deploy/*.env"} {
		if !slices.Contains(strings.Fields(string(ignore)), want) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
}

// dpkgDB is what dpkg knows of the installed packages: their dependencies and whether they are essential.
type dpkgDB struct {
	deps      map[string][]string
	essential map[string]bool
}

var dependencyName = regexp.MustCompile(`^\s*([a-z0-9][a-z0-9+.-]*)`)

func readDpkgDB(t *testing.T) dpkgDB {
	t.Helper()
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Package}\t${Essential}\t${Pre-Depends}, ${Depends}\n").Output()
	if err != nil {
		t.Fatalf("dpkg-query: %v", err)
	}
	db := dpkgDB{deps: map[string][]string{}, essential: map[string]bool{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), "\t", 3)
		if len(fields) != 3 {
			continue
		}
		pkg := fields[0]
		db.essential[pkg] = fields[1] == "yes"
		for _, dep := range strings.Split(fields[2], ",") {
			// "a (>= 1) | b": every alternative may be the one installed; the closure takes them all.
			for _, alt := range strings.Split(dep, "|") {
				if m := dependencyName.FindStringSubmatch(alt); m != nil {
					db.deps[pkg] = append(db.deps[pkg], strings.TrimSuffix(m[1], ":any"))
				}
			}
		}
	}
	return db
}

// closure is roots and everything they depend on.
func (db dpkgDB) closure(roots []string) map[string]bool {
	seen := map[string]bool{}
	todo := slices.Clone(roots)
	for len(todo) > 0 {
		p := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if seen[p] {
			continue
		}
		seen[p] = true
		todo = append(todo, db.deps[p]...)
	}
	return seen
}

// slimBaseline approximates debian:bookworm-slim: the essential packages and what they depend on (libc6 among them).
func (db dpkgDB) slimBaseline() map[string]bool {
	var roots []string
	for p, e := range db.essential {
		if e {
			roots = append(roots, p)
		}
	}
	return db.closure(roots)
}

// packageOf is the Debian package that installed path. With merged /usr, dpkg may know a file under /lib or /usr/lib.
func packageOf(t *testing.T, path string) string {
	t.Helper()
	candidates := []string{path}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		candidates = append(candidates, real)
	}
	for _, c := range slices.Clone(candidates) {
		if rest, ok := strings.CutPrefix(c, "/usr"); ok {
			candidates = append(candidates, rest)
		} else {
			candidates = append(candidates, "/usr"+c)
		}
	}
	for _, c := range candidates {
		out, err := exec.Command("dpkg-query", "-S", c).Output()
		if err != nil {
			continue
		}
		pkg, _, _ := strings.Cut(strings.TrimSpace(string(out)), ": ")
		pkg, _, _ = strings.Cut(pkg, ":")
		return pkg
	}
	t.Fatalf("no Debian package owns %s", path)
	return ""
}

// buildServer builds the server binary as the builder stage does.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "live-webrtcsignaling")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./src/cmd/live-webrtcsignaling")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// linkedLibraries runs ldd and returns every shared library the binary loads, by path.
func linkedLibraries(t *testing.T, bin string) []string {
	t.Helper()
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		t.Fatalf("ldd: %v", err)
	}
	var paths []string
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if strings.Contains(line, "not found") {
			t.Errorf("ldd: %s", line)
		}
		if _, after, ok := strings.Cut(line, "=> "); ok {
			if path, _, _ := strings.Cut(after, " ("); strings.HasPrefix(path, "/") {
				paths = append(paths, path)
			}
		} else if strings.HasPrefix(line, "/") {
			path, _, _ := strings.Cut(line, " (")
			paths = append(paths, path)
		}
	}
	return paths
}

// TestBaseStageHasTheRuntimeLibraries checks, against this machine's dpkg database, that the base stage installs
// the package of every library the server needs: those the built binary links directly (ELF NEEDED) and those of
// every cgo package's pkg-config (linked once the package is wired in); that every library ldd loads comes with
// them; and that the plugin of every GStreamer element the pipelines use is installed too.
func TestBaseStageHasTheRuntimeLibraries(t *testing.T) {
	d := parseDockerfile(t)
	db := readDpkgDB(t)
	base := d.aptPackages("base")
	for _, p := range base {
		if _, known := db.essential[p]; !known {
			t.Errorf("base installs %s, which is no installed Debian package here (a typo, or not in bookworm)", p)
		}
	}
	baseline := db.slimBaseline()
	explicit := func(pkg string) bool { return slices.Contains(base, pkg) || baseline[pkg] }
	installed := db.closure(append(slices.Clone(base), "libc6"))
	for p := range baseline {
		installed[p] = true
	}

	bin := buildServer(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	needed, err := f.ImportedLibraries()
	_ = f.Close()
	if err != nil {
		t.Fatal(err)
	}
	paths := linkedLibraries(t, bin)
	for _, soname := range needed {
		i := slices.IndexFunc(paths, func(p string) bool { return filepath.Base(p) == soname })
		if i < 0 {
			t.Errorf("NEEDED %s not resolved by ldd", soname)
			continue
		}
		if pkg := packageOf(t, paths[i]); !explicit(pkg) {
			t.Errorf("the binary links %s (package %s), which the base stage does not install", soname, pkg)
		}
	}
	for _, path := range paths {
		if pkg := packageOf(t, path); !installed[pkg] {
			t.Errorf("the binary loads %s (package %s), which comes with no package the base stage installs", path, pkg)
		}
	}

	for _, lib := range pkgConfigLibraries(t) {
		pkg := packageOf(t, lib)
		if !explicit(pkg) {
			t.Errorf("a cgo package links %s (package %s), which the base stage does not install", lib, pkg)
		}
	}

	for _, element := range gstElements {
		out, err := exec.Command("gst-inspect-1.0", element).Output()
		if err != nil {
			t.Errorf("gst-inspect-1.0 %s: %v (is the element installed here?)", element, err)
			continue
		}
		var plugin string
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) == 2 && f[0] == "Filename" {
				plugin = f[1]
			}
		}
		if plugin == "" {
			t.Errorf("gst-inspect-1.0 %s names no plugin file", element)
			continue
		}
		if pkg := packageOf(t, plugin); !explicit(pkg) {
			t.Errorf("element %s comes from %s (package %s), which the base stage does not install", element, plugin, pkg)
		}
	}
}

// pkgConfigLibraries returns the runtime library (the file behind the -lNAME link) of every library the product's
// cgo packages name through pkg-config.
func pkgConfigLibraries(t *testing.T) []string {
	t.Helper()
	list := exec.Command("go", "list", "-f", "{{join .CgoPkgConfig \" \"}}", "./...")
	list.Dir = repoRoot
	out, err := list.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var modules []string
	for _, m := range strings.Fields(string(out)) {
		if !slices.Contains(modules, m) {
			modules = append(modules, m)
		}
	}
	if len(modules) == 0 {
		t.Fatal("no cgo package uses pkg-config: the check would prove nothing")
	}
	flags, err := exec.Command("pkg-config", append([]string{"--libs-only-l"}, modules...)...).Output()
	if err != nil {
		t.Fatalf("pkg-config %v: %v", modules, err)
	}
	ldconfig, err := exec.Command("ldconfig", "-p").Output()
	if err != nil {
		t.Fatalf("ldconfig -p: %v", err)
	}
	var libs []string
	for _, flag := range strings.Fields(string(flags)) {
		name, ok := strings.CutPrefix(flag, "-l")
		if !ok {
			continue
		}
		// "libssl.so (libc6,x86-64) => /lib/x86_64-linux-gnu/libssl.so": the development link, whose target is
		// the runtime library.
		re := regexp.MustCompile(`(?m)^\s*lib` + regexp.QuoteMeta(name) + `\.so \([^)]*\) => (\S+)$`)
		m := re.FindSubmatch(ldconfig)
		if m == nil {
			t.Errorf("-l%s: no lib%s.so known to ldconfig", name, name)
			continue
		}
		real, err := filepath.EvalSymlinks(string(m[1]))
		if err != nil {
			t.Errorf("-l%s: %v", name, err)
			continue
		}
		libs = append(libs, real)
	}
	return libs
}
