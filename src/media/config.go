package media

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/defaults"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
)

// Defaults of Config.
const (
	// DefaultKeyframeInterval is the shortest time between two keyframe requests to one publisher: Chromium's
	// encoder ignores requests within 300 ms of its last keyframe, so asking more often would be wasted.
	DefaultKeyframeInterval = 300 * time.Millisecond
	// DefaultReofferDelay and DefaultMaxReoffers: after a listener session fails, the stream is offered again
	// after the delay, up to that many times in a row without success.
	DefaultReofferDelay = 2 * time.Second
	DefaultMaxReoffers  = 3
)

// Config configures a Plane.
type Config struct {
	// VideoCodecs are the video codec names accepted from publishers, best first (VIDEO_CODECS); any of vp8,
	// h264, vp9, av1. Empty means defaults.VideoCodecs().
	VideoCodecs []string
	// MinVideoBitrate and MaxVideoBitrate clamp the bandwidth estimate (REMB) sent to publishers, in bit/s; 0
	// means defaults.MinVideoBitrate and defaults.MaxVideoBitrate.
	MinVideoBitrate, MaxVideoBitrate uint64
	// KeyframeInterval is the shortest time between two keyframe requests to one publisher; 0 means the default.
	KeyframeInterval time.Duration
	// ReofferDelay and MaxReoffers: see DefaultReofferDelay; 0 means the default, MaxReoffers < 0 never offers
	// again.
	ReofferDelay time.Duration
	MaxReoffers  int
	// NoTransportCC turns transport-wide congestion control off (TRANSPORT_CC=off, see defaults.TransportCC):
	// neither publishers nor listeners are offered it, and every estimate comes from REMB.
	NoTransportCC bool
	// Logger receives the plane's logs; nil means slog.Default().
	Logger *slog.Logger

	// Transcoder transcodes publishers' video into Tiers for the receivers whose link or decoder cannot take the
	// publisher's own stream (TRANSCODE); nil is pure forwarding.
	Transcoder VideoTranscoder
	// Tiers is the ladder (TRANSCODE_TIERS), best first; required with a Transcoder.
	Tiers []Tier
	// MaxEncoders is the most encoders the process runs (TRANSCODE_MAX_ENCODERS); 0 means
	// defaults.TranscodeMaxEncoders.
	MaxEncoders int
}

func (c *Config) applyDefaults() error {
	if len(c.VideoCodecs) == 0 {
		c.VideoCodecs = defaults.VideoCodecs()
	}
	if c.MinVideoBitrate == 0 {
		c.MinVideoBitrate = defaults.MinVideoBitrate
	}
	if c.MaxVideoBitrate == 0 {
		c.MaxVideoBitrate = defaults.MaxVideoBitrate
	}
	if c.MinVideoBitrate > c.MaxVideoBitrate {
		return fmt.Errorf("%w: MinVideoBitrate %d above MaxVideoBitrate %d", ErrBadConfig, c.MinVideoBitrate,
			c.MaxVideoBitrate)
	}
	if c.KeyframeInterval == 0 {
		c.KeyframeInterval = DefaultKeyframeInterval
	}
	if c.ReofferDelay == 0 {
		c.ReofferDelay = DefaultReofferDelay
	}
	if c.MaxReoffers == 0 {
		c.MaxReoffers = DefaultMaxReoffers
	}
	if c.KeyframeInterval < 0 || c.ReofferDelay < 0 {
		return fmt.Errorf("%w: negative interval", ErrBadConfig)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Transcoder == nil {
		return nil
	}
	if len(c.Tiers) == 0 {
		return fmt.Errorf("%w: transcoding without tiers", ErrBadConfig)
	}
	if c.MaxEncoders == 0 {
		c.MaxEncoders = defaults.TranscodeMaxEncoders
	}
	if c.MaxEncoders < 0 {
		return fmt.Errorf("%w: negative MaxEncoders", ErrBadConfig)
	}
	return validateTiers(c.Tiers)
}

// Header extensions the server negotiates. Upstream: sdes:mid to find streams a browser announced by mid only,
// video-orientation and audio-level to forward them, and the transport-wide sequence number, whose feedback lets
// the publisher's browser estimate its uplink. Downstream: abs-send-time too, stamped at send time, which
// Chromium's receive-side estimator needs to send REMB, and the transport-wide sequence number, stamped as each
// packet leaves, whose feedback drives the server's own estimate (a browser that accepts it sends transport-wide
// feedback instead of REMB).
const extAudioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

var (
	upstreamExtensions = []string{negotiate.ExtSDESMID, negotiate.ExtVideoOrientation, extAudioLevel}
	listenerAudioExt   = []string{negotiate.ExtAbsSendTime, extAudioLevel}
	listenerVideoExt   = []string{negotiate.ExtAbsSendTime, negotiate.ExtVideoOrientation}
	// feedback is what the server handles, both ways: REMB stays alongside transport-cc, for the browsers that
	// take only one, and because Chromium's send-side estimator still caps its rate at a REMB it receives.
	feedback = []sdp.Feedback{sdp.FeedbackNACK, sdp.FeedbackPLI, sdp.FeedbackFIR, sdp.FeedbackREMB}
)

// withTransportCC returns list with item appended when transport-wide congestion control is on.
func withTransportCC[T any](c *Config, list []T, item T) []T {
	if c.NoTransportCC {
		return list
	}
	return append(slices.Clip(list), item)
}

// listenerFeedback is the feedback offered on a listener's sections of kind.
func (c *Config) listenerFeedback(kind string) []sdp.Feedback {
	if kind == sdp.KindVideo {
		return withTransportCC(c, feedback, sdp.FeedbackTransportCC)
	}
	return withTransportCC(c, nil, sdp.FeedbackTransportCC)
}

// listenerExtensions are the header extensions offered on a listener's sections of kind.
func (c *Config) listenerExtensions(kind string) []string {
	if kind == sdp.KindVideo {
		return withTransportCC(c, listenerVideoExt, negotiate.ExtTransportCC)
	}
	return withTransportCC(c, listenerAudioExt, negotiate.ExtTransportCC)
}

// preferences builds what the server accepts from publishers: Opus, the configured video codecs in their order,
// the feedback and extensions above.
func (c *Config) preferences() (negotiate.Preferences, error) {
	def := negotiate.DefaultPreferences()
	prefs := negotiate.Preferences{Audio: def.Audio,
		Feedback:   withTransportCC(c, feedback, sdp.FeedbackTransportCC),
		Extensions: withTransportCC(c, upstreamExtensions, negotiate.ExtTransportCC)}
	for _, name := range c.VideoCodecs {
		i := slices.IndexFunc(def.Video, func(v sdp.Codec) bool { return strings.EqualFold(v.Name, name) })
		if i < 0 {
			return prefs, fmt.Errorf("%w: unknown video codec %q (known: vp8, h264, vp9, av1)", ErrBadConfig, name)
		}
		if slices.ContainsFunc(prefs.Video, func(v sdp.Codec) bool { return strings.EqualFold(v.Name, name) }) {
			return prefs, fmt.Errorf("%w: video codec %q listed twice", ErrBadConfig, name)
		}
		prefs.Video = append(prefs.Video, def.Video[i])
	}
	return prefs, nil
}
