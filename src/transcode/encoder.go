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
// numbers and timestamps (the publisher's plus a constant), keyframes on request. Its pipeline thins the frames
// to the tier's frame rate and scales them into the tier's box, keeping the aspect ratio and never scaling up;
// when the encoder falls behind, it takes the freshest frame.
type Encoder struct {
	d      *Decoder
	t      *Transcoder
	codec  Codec
	tier   Tier
	ssrc   uint32
	output func(Packet)
	log    *slog.Logger
	// pack is used by one output goroutine at a time: a replaced pipeline's goroutine ends before the next one
	// starts.
	pack *packetizer

	bitrate atomic.Int64
	changed atomic.Bool // bitrate changed, not yet given to the element
	keys    *keyframeThrottle
	src     atomic.Pointer[gst.AppSrc] // the current pipeline's appsrc, for the decoder's fan-out

	// life serialises the rebuild of a failed pipeline with Close, which both wait for pipelines to stop; mu
	// guards the fields below, briefly.
	life     sync.Mutex
	mu       sync.Mutex
	pipe     *encoderPipeline
	keyTimer *time.Timer
	retry    *time.Timer
	closed   bool
}

// encoderPipeline is one GStreamer encoder pipeline, the goroutine that packetizes its output and the one that
// watches its bus.
type encoderPipeline struct {
	p       *gst.Pipeline
	src     *gst.AppSrc
	enc     *gst.Element
	queue   *gst.SampleQueue
	done    chan struct{} // closed when the output goroutine returns
	busDone chan struct{} // closed when the bus goroutine returns
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
		log:  log.With("encoder", string(cfg.Codec), "tier", cfg.Tier.String(), "ssrc", ssrc),
		pack: pack,
		keys: newKeyframeThrottle(d.t.cfg.KeyframeInterval),
	}
	e.bitrate.Store(int64(cfg.Tier.Bitrate))
	pipe, err := e.open()
	if err != nil {
		return nil, err
	}
	e.pipe = pipe
	e.src.Store(pipe.src)
	if err := d.attach(e, pipe.src); err != nil {
		return nil, errors.Join(err, e.release(pipe))
	}
	d.t.counters.addEncoder(e.codec, e.tier, 1)
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

// SetBitrate changes the encoder's target bitrate; the element gets it after the frame being encoded, when its
// lock is free, so the call never waits. The encoder's receivers' estimates decide it (the lowest of them, within
// the tier's range), so that a shared encoder never overruns the weakest receiver on it.
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
// blocks: the request travels to the encoder in order with the frames.
func (e *Encoder) ForceKeyframe() {
	e.t.counters.forceRequests.Add(1)
	e.keys.request()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.forceLocked()
}

// forceLocked sends a pending keyframe request if the interval allows it, or schedules it for when it will.
func (e *Encoder) forceLocked() {
	if e.closed || e.pipe == nil {
		return
	}
	now := time.Now()
	if !e.keys.take(now) {
		if wait := e.keys.wait(now); wait > 0 && e.keyTimer == nil {
			e.keyTimer = time.AfterFunc(wait, e.forceLater)
		}
		return
	}
	if err := e.pipe.src.ForceKeyUnit(); err != nil {
		e.log.Warn("transcode: keyframe request refused", "error", err)
		e.t.counters.pipelineErrors.Add(1)
		return
	}
	e.t.counters.forcedKeyframes.Add(1)
}

func (e *Encoder) forceLater() {
	defer e.t.recoverPanic(e.log, "encoder keyframe timer")
	e.mu.Lock()
	defer e.mu.Unlock()
	e.keyTimer = nil
	e.forceLocked()
}

// Close detaches the encoder from its decoder, stops it and releases its pipeline; no packet is output after it
// returns. It is idempotent.
func (e *Encoder) Close() error {
	e.life.Lock()
	defer e.life.Unlock()
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	for _, timer := range []*time.Timer{e.keyTimer, e.retry} {
		if timer != nil {
			timer.Stop()
		}
	}
	pipe := e.pipe
	e.pipe = nil
	e.mu.Unlock()
	e.d.detach(e, e.source())
	e.t.counters.addEncoder(e.codec, e.tier, -1)
	return e.release(pipe)
}

// source is the appsrc the decoder's fan-out feeds.
func (e *Encoder) source() *gst.AppSrc {
	return e.src.Load()
}

// open builds and starts an encoder pipeline and its output goroutine.
func (e *Encoder) open() (*encoderPipeline, error) {
	desc, err := encoderDescription(e.codec, e.t.settings, e.tier, e.Bitrate())
	if err != nil {
		return nil, err
	}
	p, err := gst.NewPipelineWith(gst.PipelineConfig{Description: desc, Name: "encoder", Logger: e.log})
	if err != nil {
		return nil, err
	}
	pipe := &encoderPipeline{p: p, done: make(chan struct{}), busDone: make(chan struct{})}
	if pipe.src, err = p.AppSrc(encoderSource); err == nil {
		if pipe.enc, err = p.Element("enc"); err == nil {
			if pipe.queue, err = p.AppSinkQueue("sink", 8); err == nil {
				err = p.SetState(gst.StatePlaying)
			}
		}
	}
	if err != nil {
		return nil, errors.Join(err, p.Close())
	}
	e.changed.Store(false) // the description holds the current bitrate
	go e.drain(pipe)
	go e.watch(pipe)
	return pipe, nil
}

// release closes a pipeline taken out of service and waits for its output goroutine.
func (e *Encoder) release(pipe *encoderPipeline) error {
	if pipe == nil {
		return nil
	}
	err := pipe.p.Close()
	if err != nil {
		e.log.Warn("transcode: closing the encoder pipeline", "error", err)
	}
	<-pipe.done
	<-pipe.busDone
	return err
}

// drain packetizes an encoder pipeline's frames until the pipeline is closed. It waits on the sample queue's
// eventfd, through the netpoller: no call from C into Go per frame.
func (e *Encoder) drain(pipe *encoderPipeline) {
	defer close(pipe.done)
	defer e.t.recoverPanic(e.log, "encoder output")
	for pipe.queue.Wait() == nil {
		for {
			s, ok, err := pipe.queue.Pop()
			if err != nil || !ok {
				break
			}
			e.send(s)
			e.applyBitrate(pipe)
		}
	}
}

// watch reads an encoder pipeline's bus until the pipeline is closed; an error replaces the pipeline.
func (e *Encoder) watch(pipe *encoderPipeline) {
	defer close(pipe.busDone)
	defer e.t.recoverPanic(e.log, "encoder bus")
	for err := range pipe.p.Errors() {
		e.t.counters.pipelineErrors.Add(1)
		var busErr *gst.BusError
		if errors.As(err, &busErr) && busErr.Severity == gst.SeverityWarning {
			e.log.Warn("transcode: encoder warning", "error", err)
			continue
		}
		e.log.Error("transcode: encoder error; replacing the pipeline", "error", err)
		e.fail(pipe)
	}
}

// send packetizes one encoded frame and outputs its packets.
func (e *Encoder) send(s gst.Sample) {
	defer e.t.recoverPanic(e.log, "encoder frame")
	now := gst.Now()
	rec, found := e.d.pushes.find(s.PTS)
	if arrived, ok := e.d.arrival(s.PTS); ok {
		e.t.counters.encodeTime[codecSlot(e.codec)].Observe(now - arrived)
		if found {
			e.t.counters.decodeTime[codecSlot(e.d.codec)].Observe(arrived - rec.pushed)
		}
	}
	keyframe := isKeyframe(e.codec, s.Data)
	if keyframe {
		e.keys.made(time.Now())
	}
	e.t.counters.framesEncoded.Add(1)
	err := e.pack.packetize(s.Data, rec.sourceTS, keyframe, func(p Packet) {
		e.t.counters.packetsOut.Add(1)
		e.t.counters.bytesOut.Add(uint64(len(p.Data)))
		e.output(p)
	})
	if err != nil {
		e.log.Error("transcode: encoded frame not packetized", "bytes", len(s.Data), "error", err)
		e.t.counters.pipelineErrors.Add(1)
	}
	e.d.syncReplaced()
}

// applyBitrate gives the element the bitrate SetBitrate asked for, right after a frame: the element's lock is then
// free (vp8enc holds it while it encodes).
func (e *Encoder) applyBitrate(pipe *encoderPipeline) {
	if !e.changed.Swap(false) {
		return
	}
	name, value := bitrateProperty(e.codec, e.t.settings, e.Bitrate())
	if err := pipe.enc.SetInt(name, value); err != nil {
		e.log.Error("transcode: bitrate change refused", "bitrate", e.Bitrate(), "error", err)
		e.t.counters.pipelineErrors.Add(1)
	}
}

// fail takes a failed pipeline out of service and schedules its replacement.
func (e *Encoder) fail(pipe *encoderPipeline) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed || e.pipe != pipe || e.retry != nil {
		return
	}
	// The pipeline stays in place, failed, until reopen replaces it: ForceKeyframe and Close still find it.
	e.t.counters.restarts.Add(1)
	e.retry = time.AfterFunc(restartDelay, e.reopen)
}

// reopen replaces the failed pipeline: the old one is released, the new one takes its place in the decoder's
// fan-out. It retries on failure.
func (e *Encoder) reopen() {
	defer e.t.recoverPanic(e.log, "encoder reopen")
	e.life.Lock()
	defer e.life.Unlock()
	e.mu.Lock()
	e.retry = nil
	old, closed := e.pipe, e.closed
	e.pipe = nil
	e.mu.Unlock()
	if closed {
		return
	}
	if err := e.release(old); err != nil {
		e.t.counters.pipelineErrors.Add(1)
	}
	pipe, err := e.open()
	if err == nil {
		if err = e.d.replaceTarget(e, pipe.src); err != nil {
			err = errors.Join(err, e.release(pipe))
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		e.log.Error("transcode: cannot rebuild the encoder pipeline; retrying", "error", err)
		e.t.counters.pipelineErrors.Add(1)
		e.retry = time.AfterFunc(restartDelay, e.reopen)
		return
	}
	e.pipe = pipe
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
