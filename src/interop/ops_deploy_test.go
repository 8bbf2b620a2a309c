package interop

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// fakeDocker is a docker client that writes its arguments, one per line, to the file $DOCKER_ARGS.
const fakeDocker = "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$DOCKER_ARGS\"\n"

// runScript runs ./run.sh with args against a fake docker and returns the exit status, the output and the
// arguments docker got.
func runScript(t *testing.T, envFile string, args ...string) (int, string, []string) {
	t.Helper()
	dir := t.TempDir()
	docker := filepath.Join(dir, "docker")
	if err := os.WriteFile(docker, []byte(fakeDocker), 0o755); err != nil {
		t.Fatal(err)
	}
	argsFile := filepath.Join(dir, "args")
	cmd := exec.Command("./run.sh", args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "DOCKER="+docker, "DOCKER_ARGS="+argsFile, "ENV_FILE="+envFile)
	out, err := cmd.CombinedOutput()
	code := 0
	if exitErr, ok := err.(*exec.ExitError); ok {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var dockerArgs []string
	if data, err := os.ReadFile(argsFile); err == nil {
		dockerArgs = strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	}
	return code, string(out), dockerArgs
}

func TestRunScript(t *testing.T) {
	envFile := filepath.Join(t.TempDir(), "test.env")
	if err := os.WriteFile(envFile, []byte("LOG_LEVEL=debug\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args        []string
		image, last string
		mountsTree  bool
	}{
		{nil, "live-webrtcsignaling:release", "live-webrtcsignaling:release", false},
		{[]string{"bash"}, "live-webrtcsignaling:release", "bash", false},
		{[]string{"builder"}, "live-webrtcsignaling:builder", "live-webrtcsignaling:builder", true},
		{[]string{"builder", "bash"}, "live-webrtcsignaling:builder", "bash", true},
	}
	for _, tt := range tests {
		code, out, docker := runScript(t, envFile, tt.args...)
		if code != 0 {
			t.Errorf("./run.sh %v: exit %d: %s", tt.args, code, out)
			continue
		}
		joined := strings.Join(docker, " ")
		if docker[0] != "run" || !slices.Contains(docker, "--network=host") || !slices.Contains(docker, tt.image) ||
			!strings.Contains(joined, "--env-file "+envFile) || docker[len(docker)-1] != tt.last {
			t.Errorf("./run.sh %v: docker %s", tt.args, joined)
		}
		if mounted := strings.Contains(joined, "-v "+root+":/src"); mounted != tt.mountsTree {
			t.Errorf("./run.sh %v: checkout mounted %v, want %v (docker %s)", tt.args, mounted, tt.mountsTree, joined)
		}
	}
	if code, out, _ := runScript(t, envFile, "release", "now"); code != 2 || !strings.Contains(out, "usage") {
		t.Errorf("bad arguments: exit %d: %s", code, out)
	}
	code, out, docker := runScript(t, filepath.Join(t.TempDir(), "missing.env"))
	if code != 1 || !strings.Contains(out, "live-webrtcsignaling.env.example") || docker != nil {
		t.Errorf("missing env file: exit %d, docker %v: %s", code, docker, out)
	}
}

// TestEnvExampleIsValid: every line of the example env file is a comment or NAME=value, as docker --env-file
// reads it, and what it sets is accepted by the server (checked in src/cmd/live-webrtcsignaling, docs_test.go).
func TestEnvExampleIsValid(t *testing.T) {
	f, err := os.Open(filepath.Join(repoRoot, "deploy", "live-webrtcsignaling.env.example"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok || name != strings.ToUpper(name) || strings.ContainsAny(name, " \t") || strings.HasPrefix(value, `"`) {
			t.Errorf("line %d is not NAME=value: %q", n, line)
		}
	}
	ignore, err := os.ReadFile(filepath.Join(repoRoot, "deploy", ".gitignore"))
	if err != nil || !slices.Contains(strings.Fields(string(ignore)), "*.env") {
		t.Errorf("deploy/.gitignore must keep real env files out of git: %q %v", ignore, err)
	}
}

// makeCommand runs make in the repository as a developer would, even when the test itself runs under make (make test):
// the parent's MAKEFLAGS and MAKELEVEL would otherwise make the child print "Entering directory" lines.
func makeCommand(args ...string) *exec.Cmd {
	cmd := exec.Command("make", append([]string{"--no-print-directory"}, args...)...)
	cmd.Dir = repoRoot
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name != "MAKEFLAGS" && name != "MFLAGS" && name != "MAKELEVEL" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}

func TestMakeImageTargets(t *testing.T) {
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	docker := filepath.Join(dir, "docker")
	if err := os.WriteFile(docker, []byte(fakeDocker), 0o755); err != nil {
		t.Fatal(err)
	}
	argsFile := filepath.Join(dir, "args")
	// A Docker engine that has every image: the build is the last command it gets.
	fakeEngine := []string{"IMAGE_ENGINE=docker", "DOCKER=" + docker, "DOCKER_ARGS=" + argsFile}
	for _, stage := range []string{"builder", "base", "release"} {
		out, err := makeCommand("-s", "-n", stage, "VERSION=v9.9.9").Output()
		want := "IMAGE=live-webrtcsignaling VERSION=v9.9.9 scripts/image-build.sh " + stage
		if err != nil || strings.TrimSpace(string(out)) != want {
			t.Errorf("make -n %s: %q, %v; want %q", stage, out, err, want)
		}
		cmd := exec.Command("scripts/image-build.sh", stage)
		cmd.Dir = repoRoot
		cmd.Env = append(append(os.Environ(), fakeEngine...), "VERSION=v9.9.9")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("scripts/image-build.sh %s: %v %s", stage, err, out)
		}
		args, err := os.ReadFile(argsFile)
		want = strings.Join([]string{"build", "--target", stage, "--build-arg", "VERSION=v9.9.9", "-t",
			"live-webrtcsignaling:" + stage, root}, "\n") + "\n"
		if err != nil || string(args) != want {
			t.Errorf("scripts/image-build.sh %s: docker %q, %v; want %q", stage, args, err, want)
		}
	}
	push := func(extra ...string) (string, error) {
		cmd := makeCommand(append([]string{"-s", "pushReleaseToDev", "CONTAINER=echo", "VERSION=v9.9.9"}, extra...)...)
		cmd.Env = append(cmd.Env, "IMAGE_ENGINE=docker", "DOCKER=echo")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := push(); err == nil || !strings.Contains(out, "set DEV_REGISTRY") || strings.Contains(out, "build") {
		t.Errorf("pushReleaseToDev without DEV_REGISTRY: %v %s", err, out)
	}
	out, err := push("DEV_REGISTRY=registry.example/team")
	if err != nil {
		t.Fatalf("pushReleaseToDev: %v %s", err, out)
	}
	for _, want := range []string{
		"build --target release --build-arg VERSION=v9.9.9 -t live-webrtcsignaling:release " + root,
		"tag live-webrtcsignaling:release registry.example/team/live-webrtcsignaling:v9.9.9",
		"push registry.example/team/live-webrtcsignaling:v9.9.9",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("pushReleaseToDev lacks %q:\n%s", want, out)
		}
	}
}

type composeFile struct {
	Services map[string]struct {
		Build struct {
			Context string `yaml:"context"`
			Target  string `yaml:"target"`
		} `yaml:"build"`
		Image           string            `yaml:"image"`
		NetworkMode     string            `yaml:"network_mode"`
		EnvFile         string            `yaml:"env_file"`
		Environment     map[string]string `yaml:"environment"`
		Ports           []string          `yaml:"ports"`
		Volumes         []string          `yaml:"volumes"`
		DependsOn       map[string]any    `yaml:"depends_on"`
		StopGracePeriod string            `yaml:"stop_grace_period"`
		Healthcheck     map[string]any    `yaml:"healthcheck"`
	} `yaml:"services"`
}

func TestComposeFile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	server, ok := c.Services["live-webrtcsignaling"]
	broker, ok2 := c.Services["rabbitmq"]
	if !ok || !ok2 || len(c.Services) != 2 {
		t.Fatalf("services %v, want live-webrtcsignaling and rabbitmq", c.Services)
	}
	if !slices.Contains(parseDockerfile(t).order, server.Build.Target) {
		t.Errorf("server builds target %q, not a stage of the Dockerfile", server.Build.Target)
	}
	if server.EnvFile != "deploy/live-webrtcsignaling.env" || server.NetworkMode != "host" ||
		!slices.Contains(server.Volumes, ".:/src") {
		t.Errorf("server: env_file %q, network %q, volumes %v", server.EnvFile, server.NetworkMode, server.Volumes)
	}
	if _, ok := server.DependsOn["rabbitmq"]; !ok {
		t.Error("server does not wait for the broker")
	}
	// docker stop must leave time for the drain (DRAIN_TIMEOUT 60 s), the closing (10 s) and the bus flush (5 s).
	if d, err := time.ParseDuration(server.StopGracePeriod); err != nil || d < 75*time.Second {
		t.Errorf("stop_grace_period %q, want at least 75s", server.StopGracePeriod)
	}
	for _, p := range broker.Ports {
		if !strings.HasPrefix(p, "127.0.0.1:") {
			t.Errorf("broker port %q is not on loopback", p)
		}
	}
	if broker.Healthcheck == nil {
		t.Error("broker has no healthcheck: the server would start before it")
	}
	// The example env file's RABBITMQ_URL is the dev broker's.
	example, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "live-webrtcsignaling.env.example"))
	if err != nil {
		t.Fatal(err)
	}
	wantURL := "RABBITMQ_URL=amqp://" + broker.Environment["RABBITMQ_DEFAULT_USER"] + ":" +
		broker.Environment["RABBITMQ_DEFAULT_PASS"] + "@127.0.0.1:5672/"
	if !slices.Contains(strings.Split(string(example), "\n"), wantURL) {
		t.Errorf("the example env file lacks %s", wantURL)
	}
}
