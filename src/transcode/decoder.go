package transcode

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/gst"
	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp/codecs"
)

// DecoderConfig configures a Decoder.
type DecoderConfig struct {
	// Codec is the publisher's video codec: VP8, VP9 or H264.
	Codec Codec
	// RequestKeyframe asks the publisher for a keyframe (a PLI): after a loss, a broken frame or a decoder error,
	// and repeatedly while the decoder waits for one. It is called from the decoder's goroutine, at most once per
	// Config.KeyframeRequestInterval, and must not block.
	RequestKeyframe func()
	// Logger; nil means the Transcoder's.
	Logger *slog.Logger
}

// Decoder decodes one publisher video track once for every encoder attached to it. It is cheap while no encoder
// is attached: Push then returns at once and no pipeline exists. The first encoder starts a decoding goroutine
// and its pipeline; they stop Config.DecoderLinger after the last encoder closed.
//
// The packets are rebuilt into frames (codecs.FrameAssembler), so a lost packet or a broken frame never reaches
// the decoder: the decoder asks the publisher for a keyframe and drops frames until it comes. Decoded frames go
// to every attached encoder, which takes the freshest one it has time for.
type Decoder struct {
	t               *Transcoder
	codec           Codec
	requestKeyframe func()
	log             *slog.Logger

	queue     chan *inPacket
	accepting atomic.Bool
	encoders  atomic.Pointer[[]*Encoder] // what the decoding goroutine delivers to

	mu       sync.Mutex
	attached []*Encoder
	run      *decoderRun
	linger   *time.Timer
	closed   bool
}

// inPacket is a publisher's packet copied out of the caller's buffer.
type inPacket struct {
	seq     uint16
	ts      uint32
	marker  bool
	payload []byte
}

var packetPool = sync.Pool{New: func() any { return &inPacket{payload: make([]byte, 0, 1500)} }}

// NewDecoder returns a Decoder for one publisher track.
func (t *Transcoder) NewDecoder(cfg DecoderConfig) (*Decoder, error) {
	if _, err := decoderDescription(cfg.Codec); err != nil {
		return nil, err
	}
	if cfg.RequestKeyframe == nil {
		return nil, errors.New("transcode: decoder without RequestKeyframe")
	}
	log := cfg.Logger
	if log == nil {
		log = t.log
	}
	d := &Decoder{
		t:               t,
		codec:           cfg.Codec,
		requestKeyframe: cfg.RequestKeyframe,
		log:             log.With("codec", string(cfg.Codec)),
		queue:           make(chan *inPacket, t.cfg.DecoderQueue),
	}
	d.encoders.Store(&[]*Encoder{})
	return d, nil
}

// Codec is the codec the decoder decodes.
func (d *Decoder) Codec() Codec {
	return d.codec
}

// Push hands the decoder the publisher's next packet, in sequence order, after NACK recovery. It never blocks:
// the packet is copied into a bounded queue, or dropped and counted when the queue is full (the loss then costs a
// keyframe request); without encoders it does nothing.
func (d *Decoder) Push(pkt *rtp.Packet) {
	if !d.accepting.Load() {
		return
	}
	p := packetPool.Get().(*inPacket)
	p.seq, p.ts, p.marker = pkt.SequenceNumber, pkt.Timestamp, pkt.Marker
	p.payload = append(p.payload[:0], pkt.Payload...)
	d.t.counters.packetsIn.Add(1)
	select {
	case d.queue <- p:
	default:
		d.t.counters.droppedPackets.Add(1)
		packetPool.Put(p)
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
	run := d.takeRun()
	d.mu.Unlock()
	if run != nil {
		errs = append(errs, run.shutdown())
	}
	return errors.Join(errs...)
}

// attach adds an encoder, starting the decoding if it is not running.
func (d *Decoder) attach(e *Encoder) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return errClosed
	}
	d.attached = append(d.attached, e)
	d.encoders.Store(new(slices.Clone(d.attached)))
	if d.linger != nil {
		d.linger.Stop()
		d.linger = nil
	}
	if d.run == nil {
		run, err := d.startRun()
		if err != nil {
			d.attached = d.attached[:len(d.attached)-1]
			d.encoders.Store(new(slices.Clone(d.attached)))
			return err
		}
		d.run = run
		d.accepting.Store(true)
	}
	return nil
}

// detach removes an encoder; after the last one, the decoding stops once DecoderLinger has passed without a new
// one (at once when the decoder is closing).
func (d *Decoder) detach(e *Encoder) {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := slices.Index(d.attached, e)
	if i < 0 {
		return
	}
	d.attached = slices.Delete(d.attached, i, i+1)
	d.encoders.Store(new(slices.Clone(d.attached)))
	if len(d.attached) > 0 || d.run == nil || d.closed {
		return
	}
	d.linger = time.AfterFunc(d.t.cfg.DecoderLinger, d.stopIdle)
}

// stopIdle stops the decoding if no encoder came back during the linger.
func (d *Decoder) stopIdle() {
	defer d.t.recoverPanic(d.log, "decoder linger")
	d.mu.Lock()
	var run *decoderRun
	if len(d.attached) == 0 && !d.closed {
		run = d.takeRun()
	}
	d.mu.Unlock()
	if run != nil {
		if err := run.shutdown(); err != nil {
			d.t.counters.pipelineErrors.Add(1)
		}
	}
}

// takeRun detaches the running decoding, if any, for the caller to shut down outside the lock. d.mu is held.
func (d *Decoder) takeRun() *decoderRun {
	run := d.run
	d.run = nil
	d.accepting.Store(false)
	if d.linger != nil {
		d.linger.Stop()
		d.linger = nil
	}
	return run
}

// Running reports whether the decoding runs (some encoder is attached, or was within the linger).
func (d *Decoder) Running() bool {
	return d.accepting.Load()
}

// decoderRun is one period of decoding, from the first encoder to the end of the linger: a goroutine that owns the
// frame assembler and the pipeline, which it rebuilds when GStreamer fails.
type decoderRun struct {
	d         *Decoder
	stop      chan struct{}
	done      chan struct{}
	assembler *codecs.FrameAssembler
	clock     frameClock
	keys      requestLimiter
	pipe      *decoderPipeline
	current   atomic.Pointer[gst.Pipeline] // for shutdown to unblock a push
	retryAt   time.Time
	closeErr  error // the last pipeline's release, for shutdown
}

// decoderPipeline is one GStreamer decoder pipeline and the goroutine that reads its output.
type decoderPipeline struct {
	p       *gst.Pipeline
	src     *gst.AppSrc
	sink    *gst.AppSink
	timings pushTimes
	failed  chan struct{} // closed at the first bus ERROR
	done    chan struct{} // closed when the output goroutine returns
	needKey atomic.Bool   // a decoder warning: the frames that follow may be damaged
	fail    sync.Once
}

func (d *Decoder) startRun() (*decoderRun, error) {
	assembler, err := codecs.NewFrameAssembler(string(d.codec))
	if err != nil {
		return nil, err
	}
	r := &decoderRun{
		d: d, stop: make(chan struct{}), done: make(chan struct{}), assembler: assembler,
		keys: requestLimiter{interval: d.t.cfg.KeyframeRequestInterval},
	}
	d.t.counters.decoders.Add(1)
	go r.loop()
	return r, nil
}

// shutdown stops the goroutine and waits for it; the pipeline is released (its release error returned) and the
// queue emptied.
func (r *decoderRun) shutdown() error {
	close(r.stop)
	// Closing the pipeline unblocks a push waiting for the decoder; the goroutine closes it again, which is a
	// no-op, and reports the outcome.
	if p := r.current.Load(); p != nil {
		_ = p.Close()
	}
	<-r.done
	for {
		select {
		case p := <-r.d.queue:
			packetPool.Put(p)
		default:
			return r.closeErr
		}
	}
}

func (r *decoderRun) loop() {
	defer close(r.done)
	defer r.d.t.counters.decoders.Add(-1)
	defer func() { r.closeErr = r.closePipeline() }()
	defer r.d.t.recoverPanic(r.d.log, "decoder")
	r.openPipeline()
	for {
		var failed chan struct{}
		if r.pipe != nil {
			failed = r.pipe.failed
		}
		select {
		case <-r.stop:
			return
		case p := <-r.d.queue:
			r.handle(p)
			packetPool.Put(p)
		case <-failed:
			r.d.log.Warn("transcode: decoder pipeline failed; rebuilding it at the next keyframe")
			r.d.t.counters.restarts.Add(1)
			_ = r.closePipeline() // logged; the pipeline failed already
			r.assembler.RequireKeyframe()
			r.retryAt = time.Now().Add(restartDelay)
		}
	}
}

// handle takes one packet through the assembler and, when it completes a frame, into the decoder.
func (r *decoderRun) handle(p *inPacket) {
	defer r.d.t.recoverPanic(r.d.log, "decoder packet")
	if r.pipe != nil && r.pipe.needKey.Swap(false) {
		r.assembler.RequireKeyframe()
	}
	pkt := rtp.Packet{Header: rtp.Header{SequenceNumber: p.seq, Timestamp: p.ts, Marker: p.marker}, Payload: p.payload}
	frame, ok, err := r.assembler.Push(&pkt)
	if err != nil {
		if errors.Is(err, codecs.ErrFrameGap) {
			r.d.t.counters.gaps.Add(1)
		} else {
			r.d.t.counters.brokenFrames.Add(1)
		}
		r.d.log.Debug("transcode: frame lost", "error", err)
	}
	if ok {
		r.decode(frame)
	}
	if r.assembler.WaitingForKeyframe() && r.keys.allow(time.Now()) {
		r.d.t.counters.keyframeRequests.Add(1)
		r.d.requestKeyframe()
	}
}

// decode pushes a complete frame into the pipeline, building the pipeline first if it failed before.
func (r *decoderRun) decode(frame codecs.Frame) {
	pts, ok := r.clock.pts(frame.Timestamp)
	if !ok {
		r.d.t.counters.brokenFrames.Add(1)
		r.assembler.RequireKeyframe()
		return
	}
	if r.pipe == nil {
		if !frame.Keyframe || time.Now().Before(r.retryAt) || !r.openPipeline() {
			r.assembler.RequireKeyframe()
			return
		}
	}
	r.pipe.timings.record(pts, time.Now(), frame.Timestamp)
	if err := r.pipe.src.Push(frame.Data, pts, gst.NoTime); err != nil {
		r.d.log.Warn("transcode: decoder refused a frame; rebuilding it", "error", err)
		r.d.t.counters.pipelineErrors.Add(1)
		r.pipe.fail.Do(func() { close(r.pipe.failed) })
	}
}

// openPipeline builds and starts a decoder pipeline; it reports whether it succeeded. A failure is logged and
// retried at a keyframe after restartDelay.
func (r *decoderRun) openPipeline() bool {
	pipe, err := r.d.newPipeline()
	if err != nil {
		r.d.log.Error("transcode: cannot start a decoder pipeline", "error", err)
		r.d.t.counters.pipelineErrors.Add(1)
		r.retryAt = time.Now().Add(restartDelay)
		return false
	}
	r.pipe = pipe
	r.current.Store(pipe.p)
	go r.d.drain(pipe)
	return true
}

// closePipeline releases the pipeline and waits for its output goroutine; a release error is logged and returned.
func (r *decoderRun) closePipeline() error {
	if r.pipe == nil {
		return nil
	}
	err := r.pipe.p.Close()
	if err != nil {
		r.d.log.Warn("transcode: closing the decoder pipeline", "error", err)
	}
	<-r.pipe.done
	r.pipe = nil
	r.current.Store(nil)
	return err
}

func (d *Decoder) newPipeline() (*decoderPipeline, error) {
	desc, err := decoderDescription(d.codec)
	if err != nil {
		return nil, err
	}
	p, err := gst.NewPipelineWithConfig(gst.PipelineConfig{Description: desc, Name: "decoder", Logger: d.log})
	if err != nil {
		return nil, err
	}
	pipe := &decoderPipeline{p: p, failed: make(chan struct{}), done: make(chan struct{})}
	if pipe.src, err = p.AppSrc("src"); err == nil {
		if pipe.sink, err = p.AppSink("sink", 8); err == nil {
			err = p.SetState(gst.StatePlaying)
		}
	}
	if err != nil {
		return nil, errors.Join(err, p.Close())
	}
	return pipe, nil
}

// drain reads a decoder pipeline's frames and bus messages until the pipeline is closed.
func (d *Decoder) drain(pipe *decoderPipeline) {
	defer close(pipe.done)
	defer d.t.recoverPanic(d.log, "decoder output")
	errs := pipe.p.Errors()
	var size frameSize
	var dropped uint64
	for {
		select {
		case s, ok := <-pipe.sink.Samples():
			if !ok {
				return
			}
			// Frames the appsink dropped because this goroutine fell behind: lost for every encoder.
			if n := pipe.sink.Dropped(); n != dropped {
				d.t.counters.droppedFrames.Add(n - dropped)
				dropped = n
			}
			d.deliver(pipe, s, &size)
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			d.t.counters.pipelineErrors.Add(1)
			var busErr *gst.BusError
			if errors.As(err, &busErr) && busErr.Severity == gst.SeverityWarning {
				d.log.Warn("transcode: decoder warning; waiting for a keyframe", "error", err)
				pipe.needKey.Store(true)
				continue
			}
			d.log.Error("transcode: decoder error", "error", err)
			pipe.fail.Do(func() { close(pipe.failed) })
		}
	}
}

// frameSize caches the size read from the latest caps.
type frameSize struct {
	caps          string
	width, height int
}

// deliver hands one decoded frame to every attached encoder.
func (d *Decoder) deliver(pipe *decoderPipeline, s gst.Sample, size *frameSize) {
	defer d.t.recoverPanic(d.log, "decoder frame")
	rec, found := pipe.timings.find(s.PTS)
	if found {
		d.t.counters.decodeTime[codecSlot(d.codec)].observe(time.Since(rec.pushed))
	}
	if s.Caps != size.caps {
		w, h, err := rawSize(s.Caps)
		if err != nil {
			d.log.Error("transcode: decoded frame with unreadable caps", "caps", s.Caps, "error", err)
			d.t.counters.pipelineErrors.Add(1)
			return
		}
		*size = frameSize{caps: s.Caps, width: w, height: h}
	}
	if len(s.Data) != i420Size(size.width, size.height) {
		d.log.Error("transcode: decoded frame of the wrong size", "bytes", len(s.Data), "width", size.width,
			"height", size.height)
		d.t.counters.pipelineErrors.Add(1)
		return
	}
	d.t.counters.framesDecoded.Add(1)
	frame := &rawFrame{data: s.Data, width: size.width, height: size.height, pts: s.PTS, sourceTS: rec.sourceTS}
	for _, e := range *d.encoders.Load() {
		e.offer(frame)
	}
}

// rawFrame is one decoded I420 frame, shared read-only by the encoders.
type rawFrame struct {
	data          []byte
	width, height int
	pts           time.Duration
	sourceTS      uint32
}

// rawSize reads width and height from caps as GStreamer writes them ("width=(int)640").
func rawSize(caps string) (int, int, error) {
	field := func(name string) (int, error) {
		_, rest, ok := strings.Cut(caps, name+"=(int)")
		if !ok {
			return 0, fmt.Errorf("no %s", name)
		}
		end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
		if end < 0 {
			end = len(rest)
		}
		n, err := strconv.Atoi(rest[:end])
		if err != nil || n < 2 || n > 16384 {
			return 0, fmt.Errorf("%s %q", name, rest[:end])
		}
		return n, nil
	}
	w, err := field("width")
	if err != nil {
		return 0, 0, err
	}
	h, err := field("height")
	return w, h, err
}
