package transcode

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Limits of a tier, wide enough for any ladder a 2-core server can run and narrow enough to catch typos.
const (
	MinTierSize      = 16
	MaxTierSize      = 3840
	MaxTierFrameRate = 60
	MinTierBitrate   = 30_000
	MaxTierBitrate   = 20_000_000
	MaxTiers         = 8
)

// DefaultTiers is the ladder used when none is configured; docs/OPERATIONS.md gives what each tier costs.
const DefaultTiers = "640x480@30:1200k,480x360@25:600k,320x240@15:250k"

// Tier is one rung of the quality ladder: the box the picture is scaled down into (keeping its aspect ratio,
// never scaled up, both sides even), the most frames per second sent, and the bitrate an encoder of the tier
// starts at.
type Tier struct {
	Width, Height int
	FrameRate     int
	// Bitrate in bits per second.
	Bitrate int
}

// String writes the tier as ParseTier reads it: "640x480@30:1200k".
func (t Tier) String() string {
	return t.Size() + "@" + strconv.Itoa(t.FrameRate) + ":" + formatBitrate(t.Bitrate)
}

// Size is the tier's box, "640x480": with the codec, the label of its encoders in metrics.
func (t Tier) Size() string {
	return strconv.Itoa(t.Width) + "x" + strconv.Itoa(t.Height)
}

func formatBitrate(bps int) string {
	switch {
	case bps%1_000_000 == 0:
		return strconv.Itoa(bps/1_000_000) + "M"
	case bps%1000 == 0:
		return strconv.Itoa(bps/1000) + "k"
	default:
		return strconv.Itoa(bps)
	}
}

// Validate checks every field against the limits; sizes must be even (I420 chroma is subsampled by 2).
func (t Tier) Validate() error {
	switch {
	case t.Width < MinTierSize || t.Width > MaxTierSize || t.Height < MinTierSize || t.Height > MaxTierSize:
		return fmt.Errorf("size %dx%d outside %d-%d", t.Width, t.Height, MinTierSize, MaxTierSize)
	case t.Width%2 != 0 || t.Height%2 != 0:
		return fmt.Errorf("size %dx%d is not even", t.Width, t.Height)
	case t.FrameRate < 1 || t.FrameRate > MaxTierFrameRate:
		return fmt.Errorf("frame rate %d outside 1-%d", t.FrameRate, MaxTierFrameRate)
	case t.Bitrate < MinTierBitrate || t.Bitrate > MaxTierBitrate:
		return fmt.Errorf("bitrate %d outside %s-%s", t.Bitrate, formatBitrate(MinTierBitrate), formatBitrate(MaxTierBitrate))
	}
	return nil
}

// ParseTier reads one tier, "WIDTHxHEIGHT@FPS:BITRATE", the bitrate in bits per second with an optional k or M
// suffix (1200k = 1.2M = 1200000).
func ParseTier(s string) (Tier, error) {
	size, rest, ok := strings.Cut(s, "@")
	if !ok {
		return Tier{}, fmt.Errorf("tier %q: want WIDTHxHEIGHT@FPS:BITRATE, e.g. 640x480@30:1200k", s)
	}
	fps, bitrate, ok := strings.Cut(rest, ":")
	if !ok {
		return Tier{}, fmt.Errorf("tier %q: no bitrate (want WIDTHxHEIGHT@FPS:BITRATE, e.g. 640x480@30:1200k)", s)
	}
	width, height, ok := strings.Cut(size, "x")
	if !ok {
		return Tier{}, fmt.Errorf("tier %q: size %q is not WIDTHxHEIGHT", s, size)
	}
	var t Tier
	var err error
	if t.Width, err = parseCount("width", width); err != nil {
		return Tier{}, fmt.Errorf("tier %q: %w", s, err)
	}
	if t.Height, err = parseCount("height", height); err != nil {
		return Tier{}, fmt.Errorf("tier %q: %w", s, err)
	}
	if t.FrameRate, err = parseCount("frame rate", fps); err != nil {
		return Tier{}, fmt.Errorf("tier %q: %w", s, err)
	}
	if t.Bitrate, err = parseBitrate(bitrate); err != nil {
		return Tier{}, fmt.Errorf("tier %q: %w", s, err)
	}
	if err := t.Validate(); err != nil {
		return Tier{}, fmt.Errorf("tier %q: %w", s, err)
	}
	return t, nil
}

// parseCount reads a positive decimal number: digits only, no sign, no leading zero.
func parseCount(what, s string) (int, error) {
	if s == "" || s[0] == '0' || strings.TrimLeft(s, "0123456789") != "" || len(s) > 9 {
		return 0, fmt.Errorf("%s %q is not a positive whole number", what, s)
	}
	return strconv.Atoi(s)
}

func parseBitrate(s string) (int, error) {
	unit := 1
	switch {
	case strings.HasSuffix(s, "k"):
		unit, s = 1000, s[:len(s)-1]
	case strings.HasSuffix(s, "M"):
		unit, s = 1_000_000, s[:len(s)-1]
	}
	n, err := parseCount("bitrate", s)
	if err != nil {
		return 0, errors.New(`bitrate: want a number of bits per second, with k or M, e.g. "1200k"`)
	}
	return n * unit, nil
}

// ParseTiers reads a ladder, the form of TRANSCODE_TIERS: tiers separated by commas (spaces around them are
// ignored), from the best to the worst: each smaller than the one before (not wider, not taller, fewer pixels), at
// a frame rate no higher and a lower bitrate.
func ParseTiers(s string) ([]Tier, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("transcode: empty tier list")
	}
	parts := strings.Split(s, ",")
	if len(parts) > MaxTiers {
		return nil, fmt.Errorf("transcode: %d tiers, at most %d", len(parts), MaxTiers)
	}
	tiers := make([]Tier, 0, len(parts))
	for i, part := range parts {
		t, err := ParseTier(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("transcode: tier %d: %w", i+1, err)
		}
		if i > 0 {
			if err := checkBelow(tiers[i-1], t); err != nil {
				return nil, fmt.Errorf("transcode: tier %d (%s) after %s: %w", i+1, t, tiers[i-1], err)
			}
		}
		tiers = append(tiers, t)
	}
	return tiers, nil
}

// checkBelow checks that t is a lower rung than prev.
func checkBelow(prev, t Tier) error {
	switch {
	case t.Width > prev.Width || t.Height > prev.Height || t.Width*t.Height == prev.Width*prev.Height:
		return errors.New("not smaller: list tiers from the largest to the smallest")
	case t.FrameRate > prev.FrameRate:
		return errors.New("higher frame rate than a larger tier")
	case t.Bitrate >= prev.Bitrate:
		return errors.New("bitrate not below the larger tier's")
	}
	return nil
}
