package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/loadtool"
)

// config is the command line.
type config struct {
	url                            string
	pid                            int
	secret                         string
	admin, adminToken              string
	rooms, publishers, listeners   int
	shape                          mediaShape
	warmup, duration, setupTimeout time.Duration
	// tcp has every client connect over ICE-TCP, as a browser whose UDP is blocked does.
	tcp bool
	// listenerCodec, when set, is the only video codec the listeners accept: another than the publishers' (VP8)
	// makes the server transcode for them.
	listenerCodec string
	// transportCC has the listeners negotiate transport-wide congestion control and send its feedback.
	transportCC bool
}

// maxRun bounds warm-up and measurement together, so that a publisher's send clock never wraps (sendClockSize).
const maxRun = 10 * time.Minute

func parseFlags(args []string, lookup func(string) string, errOut io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("mediaload", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&cfg.url, "url", "http://127.0.0.1:8080", "the server's public listener")
	fs.IntVar(&cfg.pid, "pid", 0, "server process id, to read its CPU time from /proc (0: no CPU figures)")
	fs.StringVar(&cfg.admin, "admin", "",
		"the server's admin listener (http://127.0.0.1:6060), to read its own forwarding latency histogram from /metrics")
	fs.StringVar(&cfg.adminToken, "admin-token", lookup("ADMIN_TOKEN"), "the server's ADMIN_TOKEN (default $ADMIN_TOKEN)")
	fs.StringVar(&cfg.secret, "secret", lookup("JWT_SECRET"),
		"the server's JWT_SECRET, to sign HS256 bearers (default $JWT_SECRET; empty: ask the dev mode /dev/token)")
	fs.IntVar(&cfg.rooms, "rooms", 10, "rooms")
	fs.IntVar(&cfg.publishers, "publishers", 1, "publishing participants per room (each also receives the others)")
	fs.IntVar(&cfg.listeners, "listeners", 5, "receive-only participants per room")
	fs.IntVar(&cfg.shape.videoBitrate, "video-bitrate", 1_000_000, "video bit rate of each publisher, bit/s")
	fs.IntVar(&cfg.shape.fps, "fps", 30, "video frames per second")
	fs.Float64Var(&cfg.shape.pacing, "pacing", 2.5,
		"video packets leave at this many times the video bit rate, as browsers pace (0: each frame in one burst)")
	fs.DurationVar(&cfg.warmup, "warmup", 5*time.Second, "time between the last stream flowing and the measurement")
	fs.DurationVar(&cfg.duration, "duration", 30*time.Second, "length of the measurement")
	fs.DurationVar(&cfg.setupTimeout, "setup-timeout", time.Minute, "how long each participant may take to set up")
	fs.StringVar(&cfg.listenerCodec, "listener-codec", "", "the only video codec listeners accept (e.g. H264: "+
		"the server transcodes the publishers' VP8 for them; empty: every codec offered)")
	fs.BoolVar(&cfg.tcp, "tcp", false, "connect every client over ICE-TCP (the server's passive TCP candidate, "+
		"RFC 4571 frames) instead of UDP, as a browser whose UDP is blocked does")
	fs.BoolVar(&cfg.transportCC, "transport-cc", true, "listeners negotiate transport-wide congestion control (the "+
		"header extension and its feedback) and send its feedback every 50 ms, as browsers do; false: no header "+
		"extension, the server paces at the highest video bitrate and stamps nothing")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	var problems []error
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if cfg.rooms < 1 || cfg.publishers < 1 || cfg.listeners < 0 || cfg.publishers+cfg.listeners < 2 {
		problems = append(problems, errors.New("need -rooms >= 1, -publishers >= 1, -listeners >= 0, and two "+
			"participants a room at least"))
	}
	if cfg.shape.fps < 1 || cfg.shape.fps > 60 || cfg.shape.videoBitrate < 10_000 || cfg.shape.videoBitrate > 20_000_000 {
		problems = append(problems, errors.New("need 1 <= -fps <= 60 and 10000 <= -video-bitrate <= 20000000"))
	}
	if cfg.shape.pacing != 0 && (cfg.shape.pacing < 1 || cfg.shape.pacing > 100) {
		problems = append(problems, errors.New("-pacing: 0 (no pacing), or from 1 to 100"))
	}
	if cfg.warmup < 0 || cfg.duration <= 0 || cfg.setupTimeout <= 0 || cfg.warmup+cfg.duration > maxRun {
		problems = append(problems, fmt.Errorf("need -warmup >= 0, -duration and -setup-timeout > 0, "+
			"-warmup + -duration <= %s", maxRun))
	}
	return cfg, errors.Join(problems...)
}

func main() {
	loadtool.Command[config]{Name: "mediaload", Parse: parseFlags, Run: runAndPrint}.Main()
}

// runAndPrint runs the load described by cfg and prints its figures.
func runAndPrint(ctx context.Context, cfg config, log *slog.Logger) error {
	res, err := runLoad(ctx, cfg, log)
	if err != nil {
		return err
	}
	res.print(os.Stdout, cfg)
	return nil
}

// runLoad runs the load described by cfg and returns its figures once every participant has left.
func runLoad(ctx context.Context, cfg config, log *slog.Logger) (result, error) {
	l, err := newLoadWith(cfg, log)
	if err != nil {
		return result{}, err
	}
	res, err := l.run(ctx)
	if err != nil {
		return res, err
	}
	l.collect(&res)
	return res, nil
}
