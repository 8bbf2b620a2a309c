package transcode

import (
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/gst"
	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp/codecs"
)

// maxQueuedBytes bounds the encoded frames waiting in a decoder's appsrc: about 2 s of a 2 Mbit/s stream. A
// decoder that falls further behind loses frames, and then waits for a keyframe.
const maxQueuedBytes = 512 << 10

// DecoderConfig configures a Decoder.
type DecoderConfig struct {
	// Codec is the publisher's video codec: VP8, VP9 or H264.
	Codec Codec
	// RequestKeyframe asks the publisher for a keyframe (a PLI): after a loss, a broken frame or a decoder error,
	// and repeatedly while the decoder waits for one. It is called from Push, at most once per
	// Config.KeyframeRequestInterval, and must not block.
	RequestKeyframe func()
	// Logger; nil means the Transcoder's.
	Logger *slog.Logger
}

// Decoder decodes one publisher video track once for every encoder attached to it. Without encoders it costs
// nothing: Push returns at once and no pipeline exists. The first encoder starts the decoder's pipeline; it stops
// Config.DecoderLinger after the last encoder closed.
//
// Push rebuilds frames from the packets on the caller's goroutine (codecs.FrameAssembler: cheap, no goroutine hop
// per packet) and queues each complete frame in the pipeline, so a lost packet or a broken frame never reaches
// the decoder: the decoder asks the publisher for a keyframe and drops frames until it comes. The decoded frames
// go to every attached encoder without passing through Go (gst.Fanout); an encoder that falls behind takes the
// freshest one.
type Decoder struct {
	t               *Transcoder
	codec           Codec
	requestKeyframe func()
	log             *slog.Logger

	// The publisher's side, owned by the goroutine that calls Push.
	assembler *codecs.FrameAssembler
	clock     frameClock
	keys      requestLimiter
	restart   atomic.Bool // a new pipeline run: start the assembler and the clock afresh
	needKey   atomic.Bool // a decoder warning or a pipeline restart: wait for a keyframe
	pipe      atomic.Pointer[decoderPipeline]
	active    atomic.Bool

	// pushes pairs the encoders' output with the frames pushed, by timestamp.
	pushes pushTimes

	mu       sync.Mutex // guards the fields below and every change of pipeline or of fan-out targets
	attached []*Encoder
	current  *decoderPipeline
	linger   *time.Timer
	retry    *time.Timer
	closed   bool
	replaced uint64 // the current fan-out's Replaced count already added to the stats
}

// decoderPipeline is one GStreamer decoder pipeline and the goroutine that watches its bus.
type decoderPipeline struct {
	p      *gst.Pipeline
	src    *gst.AppSrc
	fanout *gst.Fanout
	done   chan struct{} // closed when the bus goroutine returns
}

// NewDecoder returns a Decoder for one publisher track.
func (t *Transcoder) NewDecoder(cfg DecoderConfig) (*Decoder, error) {
	if _, err := decoderDescription(cfg.Codec); err != nil {
		return nil, err
	}
	if cfg.RequestKeyframe == nil {
		return nil, errors.New("transcode: decoder without RequestKeyframe")
	}
	assembler, err := codecs.NewFrameAssembler(string(cfg.Codec))
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = t.log
	}
	return &Decoder{
		t:               t,
		codec:           cfg.Codec,
		requestKeyframe: cfg.RequestKeyframe,
		log:             log.With("codec", string(cfg.Codec)),
		assembler:       assembler,
		keys:            requestLimiter{interval: t.cfg.KeyframeRequestInterval},
	}, nil
}

// Codec is the codec the decoder decodes.
func (d *Decoder) Codec() Codec {
	return d.codec
}

// Running reports whether the decoder runs: some encoder is attached, or was within the linger.
func (d *Decoder) Running() bool {
	return d.active.Load()
}

// Push hands the decoder the publisher's next packet, in sequence order, after NACK recovery. It is not safe for
// concurrent use: call it from the publisher's goroutine. It never blocks: the packet's data is copied into the
// frame being rebuilt, and a complete frame is queued in the pipeline, or dropped and counted when the decoder is
// too far behind (the loss then costs a keyframe request). Without encoders it does nothing.
func (d *Decoder) Push(pkt *rtp.Packet) {
	if !d.active.Load() {
		return
	}
	defer d.t.recoverPanic(d.log, "decoder push")
	if d.restart.Swap(false) {
		d.assembler.RequireKeyframe()
		d.clock = frameClock{}
	}
	if d.needKey.Swap(false) {
		d.assembler.RequireKeyframe()
	}
	d.t.counters.packetsIn.Add(1)
	frame, ok, err := d.assembler.Push(pkt)
	if err != nil {
		if errors.Is(err, codecs.ErrFrameGap) {
			d.t.counters.gaps.Add(1)
		} else {
			d.t.counters.brokenFrames.Add(1)
		}
		d.log.Debug("transcode: frame lost", "error", err)
	}
	if ok {
		d.decode(frame)
	}
	if d.assembler.WaitingForKeyframe() && d.keys.allow(time.Now()) {
		d.t.counters.keyframeRequests.Add(1)
		d.requestKeyframe()
	}
}

// decode queues a complete frame in the pipeline without blocking.
func (d *Decoder) decode(frame codecs.Frame) {
	pts, ok := d.clock.pts(frame.Timestamp)
	if !ok {
		d.t.counters.brokenFrames.Add(1)
		d.assembler.RequireKeyframe()
		return
	}
	pipe := d.pipe.Load()
	if pipe == nil {
		d.assembler.RequireKeyframe() // the pipeline is being rebuilt: its successor starts at a keyframe
		return
	}
	// Only this goroutine adds to the queue, so its level can only fall between this reading and the push.
	level, err := pipe.src.PropertyUint("current-level-bytes")
	if err != nil || level+uint64(len(frame.Data)) > maxQueuedBytes {
		d.t.counters.queueDrops.Add(1)
		d.assembler.RequireKeyframe()
		return
	}
	d.pushes.record(pts, gst.Now(), frame.Timestamp)
	if err := pipe.src.Push(frame.Data, pts, gst.NoTime); err != nil {
		// The pipeline is stopping (closed, or failed and being rebuilt).
		d.assembler.RequireKeyframe()
	}
}

// Close closes every encoder attached, stops the decoding and releases the pipeline. It is idempotent.
func (d *Decoder) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	encoders := slices.Clone(d.attached)
	d.mu.Unlock()
	var errs []error
	for _, e := range encoders {
		errs = append(errs, e.Close())
	}
	d.mu.Lock()
	pipe := d.stopLocked()
	d.mu.Unlock()
	return errors.Join(append(errs, d.release(pipe))...)
}

// attach adds an encoder's pipeline to the fan-out, starting the decoding if it is not running.
func (d *Decoder) attach(e *Encoder, src *gst.AppSrc) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return errClosed
	}
	if d.linger != nil {
		d.linger.Stop()
		d.linger = nil
	}
	if !d.active.Load() {
		if err := d.startLocked(); err != nil {
			return err
		}
	}
	if d.current != nil {
		if err := d.current.fanout.Add(src, e.tier.FrameRate); err != nil {
			return err
		}
	}
	d.attached = append(d.attached, e)
	return nil
}

// replaceTarget moves an encoder that rebuilt its pipeline from its old appsrc to src. Under the decoder's lock,
// so that a decoder pipeline being rebuilt at the same time takes one or the other, never both.
func (d *Decoder) replaceTarget(e *Encoder, src *gst.AppSrc) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	old := e.src.Swap(src)
	if d.current == nil {
		return nil // the decoder's next pipeline adds e.source()
	}
	err := d.current.fanout.Remove(old)
	return errors.Join(err, d.current.fanout.Add(src, e.tier.FrameRate))
}

// detach removes an encoder; after the last one, the decoding stops once DecoderLinger has passed without a new
// one (at once when the decoder is closing).
func (d *Decoder) detach(e *Encoder, src *gst.AppSrc) {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := slices.Index(d.attached, e)
	if i < 0 {
		return
	}
	d.attached = slices.Delete(d.attached, i, i+1)
	if d.current != nil {
		if err := d.current.fanout.Remove(src); err != nil {
			d.log.Warn("transcode: removing an encoder from the fan-out", "error", err)
		}
	}
	if len(d.attached) > 0 || !d.active.Load() || d.closed {
		return
	}
	d.linger = time.AfterFunc(d.t.cfg.DecoderLinger, d.stopIdle)
}

// stopIdle stops the decoding if no encoder came back during the linger.
func (d *Decoder) stopIdle() {
	defer d.t.recoverPanic(d.log, "decoder linger")
	d.mu.Lock()
	var pipe *decoderPipeline
	if len(d.attached) == 0 && !d.closed {
		pipe = d.stopLocked()
	}
	d.mu.Unlock()
	if err := d.release(pipe); err != nil {
		d.t.counters.pipelineErrors.Add(1)
	}
}

// startLocked starts a decoding run: a pipeline, and Push accepting packets again, from a keyframe.
func (d *Decoder) startLocked() error {
	pipe, err := d.openLocked()
	if err != nil {
		return err
	}
	d.setCurrentLocked(pipe)
	d.restart.Store(true)
	d.active.Store(true)
	d.t.counters.decoders.Add(1)
	return nil
}

// stopLocked ends the run: Push stops accepting, and the current pipeline, if any, is returned to be released
// outside the lock.
func (d *Decoder) stopLocked() *decoderPipeline {
	for _, timer := range []**time.Timer{&d.linger, &d.retry} {
		if *timer != nil {
			(*timer).Stop()
			*timer = nil
		}
	}
	if d.active.Swap(false) {
		d.t.counters.decoders.Add(-1)
	}
	pipe := d.current
	d.setCurrentLocked(nil)
	return pipe
}

func (d *Decoder) setCurrentLocked(pipe *decoderPipeline) {
	if d.current != nil {
		d.syncReplacedLocked()
	}
	d.current, d.replaced = pipe, 0
	d.pipe.Store(pipe)
}

// openLocked builds and starts a decoder pipeline with every attached encoder as a target of its fan-out.
func (d *Decoder) openLocked() (*decoderPipeline, error) {
	desc, err := decoderDescription(d.codec)
	if err != nil {
		return nil, err
	}
	p, err := gst.NewPipelineWith(gst.PipelineConfig{Description: desc, Name: "decoder", Logger: d.log})
	if err != nil {
		return nil, err
	}
	pipe := &decoderPipeline{p: p, done: make(chan struct{})}
	if pipe.src, err = p.AppSrc(decoderSource); err == nil {
		if pipe.fanout, err = p.AppSinkFanout("sink"); err == nil {
			for _, e := range d.attached {
				if err = pipe.fanout.Add(e.source(), e.tier.FrameRate); err != nil {
					break
				}
			}
		}
	}
	if err == nil {
		err = p.SetState(gst.StatePlaying)
	}
	if err != nil {
		return nil, errors.Join(err, p.Close())
	}
	go d.watch(pipe)
	return pipe, nil
}

// release closes a pipeline taken out of service and waits for its bus goroutine.
func (d *Decoder) release(pipe *decoderPipeline) error {
	if pipe == nil {
		return nil
	}
	err := pipe.p.Close()
	if err != nil {
		d.log.Warn("transcode: closing the decoder pipeline", "error", err)
	}
	<-pipe.done
	return err
}

// watch reads a decoder pipeline's bus until the pipeline is closed. A warning (a frame the decoder could not
// decode) makes Push wait for a keyframe; an error replaces the pipeline, after restartDelay.
func (d *Decoder) watch(pipe *decoderPipeline) {
	defer close(pipe.done)
	defer d.t.recoverPanic(d.log, "decoder bus")
	for err := range pipe.p.Errors() {
		d.t.counters.pipelineErrors.Add(1)
		var busErr *gst.BusError
		if errors.As(err, &busErr) && busErr.Severity == gst.SeverityWarning {
			d.log.Warn("transcode: decoder warning; waiting for a keyframe", "error", err)
			d.needKey.Store(true)
			continue
		}
		d.log.Error("transcode: decoder error; replacing the pipeline", "error", err)
		d.fail(pipe)
	}
}

// fail takes a failed pipeline out of service and schedules its replacement.
func (d *Decoder) fail(pipe *decoderPipeline) {
	d.mu.Lock()
	if d.current != pipe {
		d.mu.Unlock()
		return
	}
	d.setCurrentLocked(nil)
	d.needKey.Store(true)
	d.t.counters.restarts.Add(1)
	d.retry = time.AfterFunc(restartDelay, d.reopen)
	d.mu.Unlock()
	// Not release: this runs on the pipeline's own bus goroutine, which ends when the Errors channel closes.
	if err := pipe.p.Close(); err != nil {
		d.log.Warn("transcode: closing the failed decoder pipeline", "error", err)
	}
}

// reopen builds the replacement of a failed pipeline, if the decoding still runs; it retries on failure.
func (d *Decoder) reopen() {
	defer d.t.recoverPanic(d.log, "decoder reopen")
	d.mu.Lock()
	defer d.mu.Unlock()
	d.retry = nil
	if !d.active.Load() || d.current != nil {
		return
	}
	pipe, err := d.openLocked()
	if err != nil {
		d.log.Error("transcode: cannot rebuild the decoder pipeline; retrying", "error", err)
		d.t.counters.pipelineErrors.Add(1)
		d.retry = time.AfterFunc(restartDelay, d.reopen)
		return
	}
	d.setCurrentLocked(pipe)
}

// arrival is when the decoded frame of timestamp pts reached the fan-out (gst.Now clock).
func (d *Decoder) arrival(pts time.Duration) (time.Duration, bool) {
	pipe := d.pipe.Load()
	if pipe == nil {
		return 0, false
	}
	return pipe.fanout.Arrival(pts)
}

// syncReplaced adds the frames the encoders had no time for since the last call to the stats.
func (d *Decoder) syncReplaced() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.current != nil {
		d.syncReplacedLocked()
	}
}

func (d *Decoder) syncReplacedLocked() {
	st, err := d.current.fanout.Stats()
	if err != nil || st.Replaced < d.replaced {
		return
	}
	d.t.counters.droppedFrames.Add(st.Replaced - d.replaced)
	d.replaced = st.Replaced
}
