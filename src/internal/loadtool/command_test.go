package loadtool

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// testConfig is the command line of testCommand.
type testConfig struct {
	rounds int
	secret string
}

func parseTestFlags(args []string, lookup func(string) string, errOut io.Writer) (testConfig, error) {
	var cfg testConfig
	fs := flag.NewFlagSet("tool", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.IntVar(&cfg.rounds, "rounds", 1, "rounds")
	fs.StringVar(&cfg.secret, "secret", lookup("SECRET"), "secret")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if cfg.rounds < 1 {
		return cfg, errors.New("-rounds must be positive")
	}
	return cfg, nil
}

func TestCommandExec(t *testing.T) {
	env := func(k string) string {
		if k == "SECRET" {
			return "from-env"
		}
		return ""
	}
	for _, tc := range []struct {
		name     string
		args     []string
		run      func(context.Context, testConfig, *slog.Logger) error
		wantCode int
		wantLog  string
		wantRun  bool
	}{
		{name: "success", args: []string{"-rounds", "3"}, wantCode: ExitOK, wantRun: true,
			run: func(_ context.Context, cfg testConfig, _ *slog.Logger) error {
				if cfg.rounds != 3 || cfg.secret != "from-env" {
					return errors.New("wrong config")
				}
				return nil
			}},
		{name: "help", args: []string{"-h"}, wantCode: ExitOK, wantLog: "-rounds"},
		{name: "bad flag", args: []string{"-rounds", "x"}, wantCode: ExitUsage, wantLog: "tool: bad command line"},
		{name: "bad value", args: []string{"-rounds", "0"}, wantCode: ExitUsage, wantLog: "-rounds must be positive"},
		{name: "failure", wantCode: ExitFailed, wantLog: "tool failed", wantRun: true,
			run: func(context.Context, testConfig, *slog.Logger) error { return errors.New("server gone") }},
		{name: "panic", wantCode: ExitFailed, wantLog: "panic: out of range", wantRun: true,
			run: func(context.Context, testConfig, *slog.Logger) error { panic("out of range") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ran := false
			run := func(ctx context.Context, cfg testConfig, log *slog.Logger) error {
				ran = true
				if tc.run == nil {
					return nil
				}
				return tc.run(ctx, cfg, log)
			}
			var stderr bytes.Buffer
			cmd := Command[testConfig]{Name: "tool", Parse: parseTestFlags, Run: run}
			code := cmd.Exec(context.Background(), tc.args, env, &stderr)
			if code != tc.wantCode || !strings.Contains(stderr.String(), tc.wantLog) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tc.wantCode, tc.wantLog)
			}
			if ran != tc.wantRun {
				t.Errorf("Run called: %v, want %v", ran, tc.wantRun)
			}
		})
	}
}

func TestCommandExecPassesTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cmd := Command[testConfig]{Name: "tool", Parse: parseTestFlags,
		Run: func(ctx context.Context, _ testConfig, _ *slog.Logger) error { return ctx.Err() }}
	if code := cmd.Exec(ctx, nil, func(string) string { return "" }, io.Discard); code != ExitFailed {
		t.Errorf("a cancelled context ended with %d, want %d", code, ExitFailed)
	}
}

func TestCommandWithoutFunctions(t *testing.T) {
	var stderr bytes.Buffer
	if code := (Command[testConfig]{Name: "tool"}).Exec(context.Background(), nil, nil, &stderr); code != ExitFailed {
		t.Errorf("a command without Parse and Run ended with %d, want %d", code, ExitFailed)
	}
	if !strings.Contains(stderr.String(), "needs both Parse and Run") {
		t.Errorf("stderr %q does not say what is missing", stderr.String())
	}
}
