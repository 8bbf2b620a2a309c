package loadtool

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// Exit codes of a load tool.
const (
	ExitOK     = 0
	ExitFailed = 1
	ExitUsage  = 2
)

// Command is a load tool's main function, apart from what the tool does.
type Command[C any] struct {
	// Name starts the log lines of a bad command line and of a failure.
	Name string
	// Parse reads the command line (without the program's name); lookup gives the environment variables that
	// flags default to, errOut takes the flags' usage. flag.ErrHelp (after -h) ends the command with ExitOK.
	Parse func(args []string, lookup func(string) string, errOut io.Writer) (C, error)
	// Run does the work and prints its figures; it stops early when ctx is cancelled.
	Run func(ctx context.Context, cfg C, log *slog.Logger) error
}

// Main runs the command on the process's arguments and environment, with a context that SIGINT and SIGTERM
// cancel, and exits with Exec's code.
func (c Command[C]) Main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := c.Exec(ctx, os.Args[1:], os.Getenv, os.Stderr)
	stop()
	os.Exit(code)
}

// Exec parses args, runs the command with a text logger on stderr and returns the exit code: ExitOK when it
// succeeded (or -h asked for the usage), ExitUsage on a bad command line, ExitFailed when it failed or panicked.
func (c Command[C]) Exec(ctx context.Context, args []string, lookup func(string) string, stderr io.Writer) (code int) {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if c.Parse == nil || c.Run == nil {
		log.Error(c.Name+": a command needs both Parse and Run", "err", errors.New("nil function"))
		return ExitFailed
	}
	cfg, err := c.Parse(args, lookup, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		log.Error(c.Name+": bad command line", "err", err)
		return ExitUsage
	}
	defer func() {
		if r := recover(); r != nil {
			log.Error(c.Name+" failed", "err", fmt.Errorf("panic: %v", r), "stack", string(debug.Stack()))
			code = ExitFailed
		}
	}()
	if err := c.Run(ctx, cfg, log); err != nil {
		log.Error(c.Name+" failed", "err", err)
		return ExitFailed
	}
	return ExitOK
}
