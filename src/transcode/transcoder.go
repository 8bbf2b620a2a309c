package transcode

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/gst"
	"github.com/heytribe/live-webrtcsignaling/src/rtp/codecs"
)

// Defaults of Config.
const (
	DefaultH264Encoder             = X264
	DefaultVP8Speed                = 8
	DefaultDecoderLinger           = 3 * time.Second
	DefaultKeyframeInterval        = 500 * time.Millisecond
	DefaultKeyframeRequestInterval = 500 * time.Millisecond
	// restartDelay spaces the rebuilds of a pipeline that keeps failing.
	restartDelay = time.Second
)

// Config configures a Transcoder. Zero fields take the defaults.
type Config struct {
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// H264Encoder is the H264 encoder element; "" means DefaultH264Encoder.
	H264Encoder H264Encoder
	// VP8Speed is the libvpx speed of vp8enc (cpu-used=-VP8Speed), 1-16, faster and blurrier as it grows; 0
	// means DefaultVP8Speed.
	VP8Speed int
	// PayloadBudget is the most bytes of an RTP payload the encoders send; 0 means codecs.DefaultPayloadBudget.
	PayloadBudget int
	// DecoderLinger is how long a decoder keeps running after its last encoder closed, so that a receiver
	// switching tiers does not restart it (and wait for a keyframe); 0 means DefaultDecoderLinger.
	DecoderLinger time.Duration
	// KeyframeInterval is the shortest time between two keyframes an encoder makes on request; 0 means
	// DefaultKeyframeInterval.
	KeyframeInterval time.Duration
	// KeyframeRequestInterval is the shortest time between two keyframe requests of a decoder to its
	// publisher; 0 means DefaultKeyframeRequestInterval.
	KeyframeRequestInterval time.Duration
}

// withDefaults fills the zero fields and validates the others.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.H264Encoder == "" {
		cfg.H264Encoder = DefaultH264Encoder
	}
	if _, err := ParseH264Encoder(string(cfg.H264Encoder)); err != nil {
		return cfg, err
	}
	if cfg.VP8Speed == 0 {
		cfg.VP8Speed = DefaultVP8Speed
	}
	if cfg.VP8Speed < 1 || cfg.VP8Speed > 16 {
		return cfg, fmt.Errorf("transcode: VP8 speed %d outside 1-16", cfg.VP8Speed)
	}
	if cfg.PayloadBudget == 0 {
		cfg.PayloadBudget = codecs.DefaultPayloadBudget
	}
	if cfg.PayloadBudget < 100 || cfg.PayloadBudget > 1400 {
		return cfg, fmt.Errorf("transcode: payload budget %d outside 100-1400", cfg.PayloadBudget)
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&cfg.DecoderLinger, DefaultDecoderLinger},
		{&cfg.KeyframeInterval, DefaultKeyframeInterval},
		{&cfg.KeyframeRequestInterval, DefaultKeyframeRequestInterval},
	} {
		if *d.v == 0 {
			*d.v = d.def
		}
		if *d.v < 0 {
			return cfg, fmt.Errorf("transcode: negative interval %v", *d.v)
		}
	}
	return cfg, nil
}

// Transcoder makes the decoders and encoders of the media plane and keeps their counters. It holds no pipeline
// itself: each Decoder and Encoder owns its own and releases it in Close.
type Transcoder struct {
	cfg      Config
	settings encoderSettings
	log      *slog.Logger
	counters *counters
}

// New returns a Transcoder with the default configuration.
func New() (*Transcoder, error) {
	return NewWith(Config{})
}

// NewWith returns a Transcoder configured by cfg. It initialises GStreamer, so that a broken installation
// is reported here rather than at the first decoder.
func NewWith(cfg Config) (*Transcoder, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := gst.Init(); err != nil {
		return nil, fmt.Errorf("transcode: %w", err)
	}
	return &Transcoder{
		cfg:      cfg,
		settings: encoderSettings{H264: cfg.H264Encoder, VP8Speed: cfg.VP8Speed},
		log:      cfg.Logger,
		counters: newCounters(),
	}, nil
}

// Stats returns the counters of every decoder and encoder made by t.
func (t *Transcoder) Stats() Stats {
	return t.counters.snapshot()
}

// errClosed is returned by the methods of a closed Decoder or Encoder.
var errClosed = errors.New("transcode: closed")

// recoverPanic stops a panic at the top of a goroutine or of one item's processing, logs it with its stack and
// counts it. It must be deferred directly.
func (t *Transcoder) recoverPanic(log *slog.Logger, what string) {
	if r := recover(); r != nil {
		t.counters.panics.Add(1)
		log.Error("transcode: panic recovered", "in", what, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	}
}
