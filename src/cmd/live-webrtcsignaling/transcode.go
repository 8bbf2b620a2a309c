package main

import (
	"fmt"
	"log/slog"

	"github.com/heytribe/live-webrtcsignaling/src/config"
	"github.com/heytribe/live-webrtcsignaling/src/media"
	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/transcode"
)

// transcoder adapts src/transcode to the interface the media plane declares (media.VideoTranscoder), so that
// media imports neither GStreamer nor cgo.
type transcoder struct {
	t *transcode.Transcoder
}

// newTranscoder builds the transcoder and the ladder from the configuration; nil when TRANSCODE is off.
func newTranscoder(cfg *config.Config, logger *slog.Logger) (*transcoder, []media.Tier, error) {
	if !cfg.Transcode {
		return nil, nil, nil
	}
	ladder, err := transcode.ParseTiers(cfg.TranscodeTiers)
	if err != nil {
		return nil, nil, fmt.Errorf("TRANSCODE_TIERS: %w", err)
	}
	h264, err := transcode.ParseH264Encoder(cfg.TranscodeH264Encoder)
	if err != nil {
		return nil, nil, fmt.Errorf("TRANSCODE_H264_ENCODER: %w", err)
	}
	t, err := transcode.NewWith(transcode.Config{Logger: logger, H264Encoder: h264})
	if err != nil {
		return nil, nil, fmt.Errorf("TRANSCODE: %w", err)
	}
	tiers := make([]media.Tier, len(ladder))
	for i, l := range ladder {
		tiers[i] = media.Tier{Width: l.Width, Height: l.Height, FrameRate: l.FrameRate, Bitrate: l.Bitrate}
	}
	return &transcoder{t: t}, tiers, nil
}

func (tc *transcoder) Decodes(codec string) bool {
	_, err := transcode.ParseCodec(codec)
	return err == nil
}

func (tc *transcoder) Encodes(codec string) bool {
	c, err := transcode.ParseCodec(codec)
	return err == nil && c.Encodable()
}

func (tc *transcoder) NewDecoder(codec string, requestKeyframe func()) (media.VideoDecoder, error) {
	c, err := transcode.ParseCodec(codec)
	if err != nil {
		return nil, err
	}
	d, err := tc.t.NewDecoder(transcode.DecoderConfig{Codec: c, RequestKeyframe: requestKeyframe})
	if err != nil {
		return nil, err
	}
	return decoder{d: d}, nil
}

// stats are the transcoder's counters, for /metrics.
func (tc *transcoder) stats() transcode.Stats { return tc.t.Stats() }

type decoder struct{ d *transcode.Decoder }

func (d decoder) Push(pkt *rtp.Packet) { d.d.Push(pkt) }

func (d decoder) Close() error { return d.d.Close() }

// encoderPayloadType is the payload type of the encoders' packets; each receiver's downtrack writes its own.
const encoderPayloadType = 96

func (d decoder) NewEncoder(p media.EncoderParams) (media.VideoEncoder, error) {
	c, err := transcode.ParseCodec(p.Codec)
	if err != nil {
		return nil, err
	}
	tier := transcode.Tier{Width: p.Tier.Width, Height: p.Tier.Height, FrameRate: p.Tier.FrameRate,
		Bitrate: p.Tier.Bitrate}
	output := p.Output
	return d.d.NewEncoder(transcode.EncoderConfig{Codec: c, Tier: tier, PayloadType: encoderPayloadType,
		Output: func(pkt transcode.Packet) {
			output(media.EncodedPacket{Data: pkt.Data, Keyframe: pkt.Keyframe,
				SourceTimestamp: pkt.SourceTimestamp})
		}})
}
