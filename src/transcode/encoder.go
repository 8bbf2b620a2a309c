package transcode

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/gst"
	"github.com/heytribe/live-webrtcsignaling/src/rtp/codecs"
)

// Bitrate limits of SetBitrate.
const (
	MinBitrate = 30_000
	MaxBitrate = 20_000_000
)

// EncoderConfig configures an Encoder.
type EncoderConfig struct {
	// Codec is the codec sent: VP8 or H264.
	Codec Codec
	// Tier gives the picture size, frame rate and starting bitrate.
	Tier Tier
	// PayloadType is written in the RTP packets (a receiver's own is set when forwarding).
	PayloadType uint8
	// SSRC of the packets; 0 means a random one.
	SSRC uint32
	// Output receives the encoder's RTP packets in order, on the encoder's goroutine. It must not block, and
	// must not close the encoder (Close waits for that goroutine).
	Output func(Packet)
	// Logger; nil means the decoder's.
	Logger *slog.Logger
}

// Encoder encodes the frames of its Decoder for one tier in one codec and packetizes them: its own SSRC, sequence
// numbers and timestamps (the publisher's plus a constant), keyframes on request. Frames are scaled to the
// tier's size and thinned to its frame rate; when the encoder falls behind, it skips to the freshest frame.
type Encoder struct {
	d      *Decoder
	t      *Transcoder
	codec  Codec
	tier   Tier
	ssrc   uint32
	output func(Packet)
	log    *slog.Logger
	pack   *packetizer

	frames  chan *rawFrame
	bitrate atomic.Int64
	changed atomic.Bool // bitrate changed, not yet applied
	keys    *keyframeThrottle

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error                        // the last pipeline's release, for Close
	current   atomic.Pointer[gst.Pipeline] // for Close to unblock a push

	// Owned by the encoding goroutine.
	limiter *frameRateLimiter
	pipe    *encoderPipeline
	inSize  [2]int
	outSize [2]int
	retryAt time.Time
}

// encoderPipeline is one GStreamer encoder pipeline and the goroutine that packetizes its output.
type encoderPipeline struct {
	p       *gst.Pipeline
	src     *gst.AppSrc
	enc     *gst.Element
	sink    *gst.AppSink
	timings pushTimes
	started bool          // a frame was pushed: the first one is a keyframe of the encoder's own accord
	failed  chan struct{} // closed at the first bus ERROR
	done    chan struct{} // closed when the output goroutine returns
	fail    sync.Once
}

// NewEncoder returns an Encoder fed by d, which starts decoding if it was idle.
func (d *Decoder) NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	if !cfg.Codec.Encodable() {
		return nil, fmt.Errorf("transcode: no encoder for codec %q", cfg.Codec)
	}
	if err := cfg.Tier.Validate(); err != nil {
		return nil, fmt.Errorf("transcode: tier %s: %w", cfg.Tier, err)
	}
	if cfg.Output == nil {
		return nil, errors.New("transcode: encoder without Output")
	}
	ssrc := cfg.SSRC
	for ssrc == 0 {
		ssrc = rand.Uint32()
	}
	pack, err := newPacketizer(cfg.Codec, ssrc, cfg.PayloadType, d.t.cfg.PayloadBudget)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = d.log
	}
	e := &Encoder{
		d: d, t: d.t, codec: cfg.Codec, tier: cfg.Tier, ssrc: ssrc, output: cfg.Output,
		log:     log.With("encoder", string(cfg.Codec), "tier", cfg.Tier.String(), "ssrc", ssrc),
		pack:    pack,
		frames:  make(chan *rawFrame, 1),
		keys:    newKeyframeThrottle(d.t.cfg.KeyframeInterval),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		limiter: newFrameRateLimiter(cfg.Tier.FrameRate),
	}
	e.bitrate.Store(int64(cfg.Tier.Bitrate))
	if err := d.attach(e); err != nil {
		return nil, err
	}
	d.t.counters.addEncoder(e.codec, e.tier, 1)
	go e.loop()
	return e, nil
}

// SSRC is the SSRC of the encoder's packets.
func (e *Encoder) SSRC() uint32 {
	return e.ssrc
}

// Codec is the codec the encoder sends.
func (e *Encoder) Codec() Codec {
	return e.codec
}

// Tier is the encoder's tier.
func (e *Encoder) Tier() Tier {
	return e.tier
}

// Bitrate is the bitrate asked for last, in bits per second.
func (e *Encoder) Bitrate() int {
	return int(e.bitrate.Load())
}

// SetBitrate changes the encoder's target bitrate; it applies from the next frame. The encoder's receivers'
// estimates decide it (the lowest of them, within the tier's range), so that a shared encoder never overruns the
// weakest receiver on it.
func (e *Encoder) SetBitrate(bps int) error {
	if bps < MinBitrate || bps > MaxBitrate {
		return fmt.Errorf("transcode: bitrate %d outside %d-%d", bps, MinBitrate, MaxBitrate)
	}
	if e.bitrate.Swap(int64(bps)) != int64(bps) {
		e.changed.Store(true)
	}
	return nil
}

// ForceKeyframe asks for a keyframe: the next frame encoded is one, unless the encoder made one less than
// Config.KeyframeInterval ago; then requests are coalesced into one keyframe at the end of the interval. It never
// blocks.
func (e *Encoder) ForceKeyframe() {
	e.t.counters.forceRequests.Add(1)
	e.keys.request()
}

// Close detaches the encoder from its decoder, stops it and releases its pipeline; no packet is output after it
// returns. It is idempotent, and returns the pipeline's release error, if any, each time.
func (e *Encoder) Close() error {
	e.closeOnce.Do(func() {
		e.d.detach(e)
		close(e.stop)
		// Closing the pipeline unblocks a push waiting for the encoder; the goroutine closes it again, which is
		// a no-op, and reports the outcome.
		if p := e.current.Load(); p != nil {
			_ = p.Close()
		}
		<-e.done
		e.t.counters.addEncoder(e.codec, e.tier, -1)
	})
	return e.closeErr
}

// offer hands the encoder a decoded frame without blocking: a frame the encoder has not taken yet is replaced by
// the newer one, and counted as dropped.
func (e *Encoder) offer(f *rawFrame) {
	for {
		select {
		case e.frames <- f:
			return
		default:
		}
		select {
		case <-e.frames:
			e.t.counters.droppedFrames.Add(1)
		default:
		}
	}
}

func (e *Encoder) loop() {
	defer close(e.done)
	defer func() { e.closeErr = e.closePipeline() }()
	defer e.t.recoverPanic(e.log, "encoder")
	for {
		var failed chan struct{}
		if e.pipe != nil {
			failed = e.pipe.failed
		}
		select {
		case <-e.stop:
			return
		case f := <-e.frames:
			e.encode(f)
		case <-failed:
			e.log.Warn("transcode: encoder pipeline failed; rebuilding it")
			e.t.counters.restarts.Add(1)
			_ = e.closePipeline() // logged; the pipeline failed already
			e.retryAt = time.Now().Add(restartDelay)
		}
	}
}

// encode pushes one decoded frame into the pipeline, if the tier's frame rate wants it, (re)building the pipeline
// when the output size changes.
func (e *Encoder) encode(f *rawFrame) {
	defer e.t.recoverPanic(e.log, "encoder frame")
	if !e.limiter.keep(f.pts) {
		return
	}
	in := [2]int{f.width, f.height}
	out := [2]int{}
	out[0], out[1] = e.tier.OutputSize(f.width, f.height)
	if e.pipe != nil && out != e.outSize {
		e.log.Info("transcode: picture size changes; restarting the encoder", "from", e.outSize, "to", out)
		if err := e.closePipeline(); err != nil {
			e.t.counters.pipelineErrors.Add(1)
		}
	}
	if e.pipe == nil && (time.Now().Before(e.retryAt) || !e.openPipeline(in, out)) {
		return
	}
	if in != e.inSize {
		if err := e.pipe.src.SetCaps(rawCaps(in[0], in[1], e.tier.FrameRate)); err != nil {
			e.failPipeline("input size change refused", err)
			return
		}
		e.inSize = in
	}
	e.applyBitrate()
	now := time.Now()
	if !e.pipe.started {
		e.pipe.started = true
		e.keys.made(now)
	} else if e.keys.take(now) {
		if err := e.pipe.enc.ForceKeyUnit(); err != nil {
			e.failPipeline("keyframe request refused", err)
			return
		}
		e.t.counters.forcedKeyframes.Add(1)
	}
	e.pipe.timings.record(f.pts, now, f.sourceTS)
	if err := e.pipe.src.Push(f.data, f.pts, time.Second/time.Duration(e.tier.FrameRate)); err != nil {
		e.failPipeline("frame refused", err)
	}
}

// applyBitrate gives the encoder element the bitrate SetBitrate asked for.
func (e *Encoder) applyBitrate() {
	if !e.changed.Swap(false) {
		return
	}
	name, value := bitrateProperty(e.codec, e.t.settings, e.Bitrate())
	if err := e.pipe.enc.SetInt(name, value); err != nil {
		e.log.Error("transcode: bitrate change refused", "bitrate", e.Bitrate(), "error", err)
		e.t.counters.pipelineErrors.Add(1)
	}
}

// failPipeline reports a failed call into the pipeline, which is then rebuilt.
func (e *Encoder) failPipeline(what string, err error) {
	e.log.Warn("transcode: encoder "+what, "error", err)
	e.t.counters.pipelineErrors.Add(1)
	e.pipe.fail.Do(func() { close(e.pipe.failed) })
}

// openPipeline builds and starts an encoder pipeline for in-sized frames scaled to out; it reports whether it
// succeeded.
func (e *Encoder) openPipeline(in, out [2]int) bool {
	pipe, err := e.newPipeline(in, out)
	if err != nil {
		e.log.Error("transcode: cannot start an encoder pipeline", "error", err)
		e.t.counters.pipelineErrors.Add(1)
		e.retryAt = time.Now().Add(restartDelay)
		return false
	}
	e.pipe, e.inSize, e.outSize = pipe, in, out
	e.changed.Store(false) // the description has the current bitrate
	e.current.Store(pipe.p)
	go e.drain(pipe)
	return true
}

func (e *Encoder) newPipeline(in, out [2]int) (*encoderPipeline, error) {
	desc, err := encoderDescription(e.codec, e.t.settings, in, out, e.tier.FrameRate, e.Bitrate())
	if err != nil {
		return nil, err
	}
	p, err := gst.NewPipelineWithConfig(gst.PipelineConfig{Description: desc, Name: "encoder", Logger: e.log})
	if err != nil {
		return nil, err
	}
	pipe := &encoderPipeline{p: p, failed: make(chan struct{}), done: make(chan struct{})}
	if pipe.src, err = p.AppSrc("src"); err == nil {
		if pipe.enc, err = p.Element("enc"); err == nil {
			if pipe.sink, err = p.AppSink("sink", 8); err == nil {
				err = p.SetState(gst.StatePlaying)
			}
		}
	}
	if err != nil {
		return nil, errors.Join(err, p.Close())
	}
	return pipe, nil
}

// closePipeline releases the pipeline and waits for its output goroutine; a release error is logged and returned.
func (e *Encoder) closePipeline() error {
	if e.pipe == nil {
		return nil
	}
	err := e.pipe.p.Close()
	if err != nil {
		e.log.Warn("transcode: closing the encoder pipeline", "error", err)
	}
	<-e.pipe.done
	e.pipe = nil
	e.current.Store(nil)
	e.inSize, e.outSize = [2]int{}, [2]int{}
	return err
}

// drain packetizes an encoder pipeline's frames and watches its bus until the pipeline is closed.
func (e *Encoder) drain(pipe *encoderPipeline) {
	defer close(pipe.done)
	defer e.t.recoverPanic(e.log, "encoder output")
	errs := pipe.p.Errors()
	for {
		select {
		case s, ok := <-pipe.sink.Samples():
			if !ok {
				return
			}
			e.send(pipe, s)
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			e.t.counters.pipelineErrors.Add(1)
			var busErr *gst.BusError
			if errors.As(err, &busErr) && busErr.Severity == gst.SeverityWarning {
				e.log.Warn("transcode: encoder warning", "error", err)
				continue
			}
			e.log.Error("transcode: encoder error", "error", err)
			pipe.fail.Do(func() { close(pipe.failed) })
		}
	}
}

// send packetizes one encoded frame and outputs its packets.
func (e *Encoder) send(pipe *encoderPipeline, s gst.Sample) {
	defer e.t.recoverPanic(e.log, "encoder frame output")
	rec, found := pipe.timings.find(s.PTS)
	if found {
		e.t.counters.encodeTime[codecSlot(e.codec)].observe(time.Since(rec.pushed))
	}
	e.t.counters.framesEncoded.Add(1)
	err := e.pack.packetize(s.Data, rec.sourceTS, isKeyframe(e.codec, s.Data), func(p Packet) {
		e.t.counters.packetsOut.Add(1)
		e.t.counters.bytesOut.Add(uint64(len(p.Data)))
		e.output(p)
	})
	if err != nil {
		e.log.Error("transcode: encoded frame not packetized", "bytes", len(s.Data), "error", err)
		e.t.counters.pipelineErrors.Add(1)
	}
}

// isKeyframe reads from the encoded frame itself whether it is a keyframe: a VP8 key frame, or an H264 access
// unit with an IDR slice.
func isKeyframe(c Codec, data []byte) bool {
	if c == VP8 {
		var h codecs.VP8FrameHeader
		return h.Unmarshal(data) == nil && h.KeyFrame
	}
	for rest := data; ; {
		i := bytes.Index(rest, []byte{0, 0, 1})
		if i < 0 || i+3 >= len(rest) {
			return false
		}
		if codecs.H264NALUnitType(rest[i+3]&0x1f) == codecs.H264NALIDR {
			return true
		}
		rest = rest[i+3:]
	}
}
