package main

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/config"
)

// configVariables are the environment variables src/config reads, taken from its source so that a new one cannot
// be forgotten in the documents.
func configVariables(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("../../config/config.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?:lookup|r\.[a-zA-Z]+)\("([A-Z][A-Z0-9_]+)"`)
	seen := map[string]bool{}
	var names []string
	for _, m := range re.FindAllStringSubmatch(string(src), -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			names = append(names, m[1])
		}
	}
	if len(names) < 20 {
		t.Fatalf("found only %v in config.go: the pattern no longer matches", names)
	}
	return names
}

// TestEveryVariableIsDocumented: docs/OPERATIONS.md has a configuration row and the example env file a line for
// every variable.
func TestEveryVariableIsDocumented(t *testing.T) {
	ops, err := os.ReadFile("../../../docs/OPERATIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../../deploy/live-webrtcsignaling.env.example")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(string(ops), "\n") {
		if strings.HasPrefix(line, "| `") {
			first, _, _ := strings.Cut(line[1:], "|")
			rows = append(rows, first)
		}
	}
	for _, name := range configVariables(t) {
		documented := false
		for _, first := range rows {
			if strings.Contains(first, "`"+name+"`") {
				documented = true
			}
		}
		if !documented {
			t.Errorf("docs/OPERATIONS.md has no configuration row for %s", name)
		}
		if !regexp.MustCompile(`(?m)^#? ?` + name + `=`).Match(example) {
			t.Errorf("deploy/live-webrtcsignaling.env.example has no line for %s", name)
		}
	}
}

// TestEnvExampleLoads: what the example env file sets is a valid configuration.
func TestEnvExampleLoads(t *testing.T) {
	f, err := os.Open("../../../deploy/live-webrtcsignaling.env.example")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, value, ok := strings.Cut(sc.Text(), "="); ok && !strings.HasPrefix(name, "#") {
			env[name] = value
		}
	}
	if len(env) == 0 {
		t.Fatal("the example sets nothing")
	}
	if _, err := config.Load(func(n string) (string, bool) { v, ok := env[n]; return v, ok }); err != nil {
		t.Fatalf("the example env file does not load: %v", err)
	}
}
