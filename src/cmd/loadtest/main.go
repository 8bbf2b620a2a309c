package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"syscall"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/loadtool"
)

// config is the command line.
type config struct {
	url              string
	conns            int
	roomMin, roomMax int
	joinRate         float64
	msgRate          float64
	duration         time.Duration
	settle           time.Duration
	joinTimeout      time.Duration
	secret           string
	pid              int
	via              string
	seed             uint64
}

const (
	viaAuto      = "auto"
	viaCandidate = "candidate"
	viaMessage   = "message"
)

func parseFlags(args []string, lookup func(string) string, errOut io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&cfg.url, "url", "ws://127.0.0.1:8080/api", "websocket URL of the server's API")
	fs.IntVar(&cfg.conns, "conns", 1000, "number of websocket connections (each joins a room)")
	fs.IntVar(&cfg.roomMin, "room-min", 2, "smallest room")
	fs.IntVar(&cfg.roomMax, "room-max", 8, "largest room (at most the server's ROOM_MAX_SIZE)")
	fs.Float64Var(&cfg.joinRate, "join-rate", 500, "new connections joined per second")
	fs.Float64Var(&cfg.msgRate, "msg-rate", 5000, "relayed messages per second, over all connections")
	fs.DurationVar(&cfg.duration, "duration", 30*time.Second, "length of the relay phase")
	fs.DurationVar(&cfg.settle, "settle", 3*time.Second, "pause after the joins before the idle RSS is read")
	fs.DurationVar(&cfg.joinTimeout, "join-timeout", 10*time.Second, "how long the last joins may take")
	fs.StringVar(&cfg.secret, "secret", lookup("JWT_SECRET"),
		"the server's JWT_SECRET, to sign HS256 bearers (default $JWT_SECRET; empty: ask the dev mode /dev/token)")
	fs.IntVar(&cfg.pid, "pid", 0, "server process id, to read its RSS from /proc (0: no RSS figures)")
	fs.StringVar(&cfg.via, "via", viaAuto,
		"what to relay: candidate (exchangeCandidate, relay mode), message (sendMessage) or auto (by joinR's mode)")
	fs.Uint64Var(&cfg.seed, "seed", uint64(time.Now().UnixNano()), "seed of the room sizes and message routes")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	var problems []error
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if cfg.conns < 2 || cfg.roomMin < 2 || cfg.roomMax < cfg.roomMin {
		problems = append(problems, errors.New("need -conns >= 2 and 2 <= -room-min <= -room-max"))
	}
	if cfg.joinRate <= 0 || cfg.msgRate < 0 || cfg.duration < 0 || cfg.settle < 0 || cfg.joinTimeout <= 0 {
		problems = append(problems, errors.New("-join-rate and -join-timeout must be positive, the others not negative"))
	}
	if cfg.via != viaAuto && cfg.via != viaCandidate && cfg.via != viaMessage {
		problems = append(problems, fmt.Errorf("-via %q: want auto, candidate or message", cfg.via))
	}
	return cfg, errors.Join(problems...)
}

func main() {
	loadtool.Command[config]{Name: "loadtest", Parse: parseFlags, Run: runAndPrint}.Main()
}

// runAndPrint raises the file limit for the connections, runs the load test and prints its summary.
func runAndPrint(ctx context.Context, cfg config, logger *slog.Logger) error {
	if soft, hard, err := raiseFileLimit(); err != nil {
		logger.Warn("cannot raise RLIMIT_NOFILE", "err", err)
	} else if soft < uint64(cfg.conns)+64 {
		logger.Warn("RLIMIT_NOFILE is below the number of connections", "limit", soft, "hard", hard, "conns", cfg.conns)
	} else {
		logger.Info("RLIMIT_NOFILE raised", "limit", soft)
	}
	res, err := newLoadTestWith(cfg, logger).run(ctx)
	if err != nil {
		return err
	}
	if err := res.print(os.Stdout); err != nil {
		return fmt.Errorf("cannot print the summary: %w", err)
	}
	return nil
}

// raiseFileLimit sets the soft RLIMIT_NOFILE to the hard limit and returns both.
func raiseFileLimit() (soft, hard uint64, err error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, 0, err
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, 0, err
	}
	return lim.Cur, lim.Max, nil
}
