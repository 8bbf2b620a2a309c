package transcode

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/gst"
	"github.com/heytribe/live-webrtcsignaling/src/internal/loadtool"
	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp/codecs"
)

// The benchmarks below give the figures of docs/OPERATIONS.md ("Transcoding"). They take minutes of CPU, so they
// run only with TRANSCODE_FIGURES=1, under the heavy-run lock:
//
//	flock /tmp/lws-heavy.lock env TRANSCODE_FIGURES=1 go test -run '^$' -bench 'Tier|Quality' -benchtime 1x \
//		-timeout 30m ./src/transcode
//
// TRANSCODE_SECONDS sets how long each real-time run measures (default 20 s, after 4 s of warm-up).

func needFigures(b *testing.B) {
	b.Helper()
	if os.Getenv("TRANSCODE_FIGURES") == "" {
		b.Skip("heavy: set TRANSCODE_FIGURES=1 and run under flock /tmp/lws-heavy.lock")
	}
}

func measureSeconds(b *testing.B) time.Duration {
	b.Helper()
	s := os.Getenv("TRANSCODE_SECONDS")
	if s == "" {
		return 20 * time.Second
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("TRANSCODE_SECONDS=%q: want a whole number of seconds", s)
	}
	return time.Duration(n) * time.Second
}

// benchSize is the publisher's picture in every benchmark: 640x480 at 30 frames per second, what Chromium's camera
// sends on a good link.
const benchWidth, benchHeight, benchRate = 640, 480, 30

// busyInput is a publisher's stream of a busy picture: SMPTE bars moving across the frame under 15 % of noise
// (Chromium's own fake camera picture is too simple to load an encoder), encoded like a browser at 1.5 Mbit/s,
// with a keyframe every 2 s (a publisher answering keyframe requests).
type busyInput struct {
	codec   Codec
	packets []rtp.Packet // timestamps from 0, sequence numbers from 0
	frames  int
	// raw holds the source pictures (I420), when asked for.
	raw [][]byte
}

var publisherEncoders = map[Codec]string{
	VP8: "vp8enc deadline=1 cpu-used=-6 end-usage=cbr target-bitrate=1500000 keyframe-max-dist=60 lag-in-frames=0" +
		" threads=2 ! rtpvp8pay picture-id-mode=15-bit",
	H264: "x264enc tune=zerolatency speed-preset=veryfast bitrate=1500 key-int-max=60 threads=2" +
		" ! video/x-h264,profile=constrained-baseline ! rtph264pay config-interval=-1",
}

func makeBusyInput(b *testing.B, codec Codec, frames int, keepRaw bool) *busyInput {
	b.Helper()
	src := fmt.Sprintf("video/x-raw,width=%d,height=%d,framerate=%d/1", benchWidth, benchHeight, benchRate)
	desc := "compositor name=m sink_1::alpha=0.15 ! videoconvert ! video/x-raw,format=I420 ! tee name=t" +
		" t. ! queue max-size-buffers=0 max-size-bytes=0 max-size-time=0 ! " + publisherEncoders[codec] +
		" pt=96 mtu=1200 timestamp-offset=0 seqnum-offset=0 ! appsink name=rtp sync=false"
	if keepRaw {
		desc += " t. ! queue max-size-buffers=0 max-size-bytes=0 max-size-time=0 ! appsink name=raw sync=false"
	}
	desc += fmt.Sprintf(" videotestsrc pattern=smpte horizontal-speed=4 num-buffers=%d ! %s ! m.sink_0", frames, src) +
		fmt.Sprintf(" videotestsrc pattern=snow num-buffers=%d ! %s ! m.sink_1", frames, src)
	p, err := gst.NewPipeline(desc)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	rtpSink, err := p.AppSink("rtp", 64*frames)
	if err != nil {
		b.Fatal(err)
	}
	var rawSink *gst.AppSink
	if keepRaw {
		if rawSink, err = p.AppSink("raw", frames+1); err != nil {
			b.Fatal(err)
		}
	}
	if err := p.SetState(gst.StatePlaying); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := p.WaitEOS(ctx); err != nil {
		b.Fatal(err)
	}
	in := &busyInput{codec: codec, frames: frames}
	for len(rtpSink.Samples()) > 0 {
		s := <-rtpSink.Samples()
		var pkt rtp.Packet
		if err := pkt.Unmarshal(s.Data); err != nil {
			b.Fatal(err)
		}
		in.packets = append(in.packets, pkt)
	}
	if keepRaw {
		for len(rawSink.Samples()) > 0 {
			in.raw = append(in.raw, (<-rawSink.Samples()).Data)
		}
		if len(in.raw) != frames {
			b.Fatalf("%d raw frames of %d", len(in.raw), frames)
		}
	}
	if rtpSink.Dropped() > 0 {
		b.Fatalf("input: %d packets dropped", rtpSink.Dropped())
	}
	return in
}

// frameStarts returns the index of each frame's first packet, and len(packets) last.
func (in *busyInput) frameStarts() []int {
	var starts []int
	for i, p := range in.packets {
		if i == 0 || p.Timestamp != in.packets[i-1].Timestamp {
			starts = append(starts, i)
		}
	}
	return append(starts, len(in.packets))
}

// loopPacket is packet i of loop number loop: the input repeated with its sequence numbers and timestamps
// continued (each loop starts with the input's keyframe).
func (in *busyInput) loopPacket(loop, i int) rtp.Packet {
	p := in.packets[i]
	p.SequenceNumber += uint16(loop * len(in.packets))
	p.Timestamp += uint32(loop * in.frames * rtpClock / benchRate)
	return p
}

// tierResult is what one real-time run measured, over its window.
type tierResult struct {
	window time.Duration
	// ours is this process's CPU, decode and encode the parts of it on the decoder's and the encoder's streaming
	// threads, input that of a process of ours that only receives the same packets the same way. gst is the
	// gst-launch-1.0 tier's CPU, gstInput that of a gst-launch-1.0 that only receives them.
	ours, decode, encode, input, gst, gstInput time.Duration
	latencies                                  []time.Duration
	oursBytes, oursFrames                      int64
	feeder                                     feederResult
}

// ratio compares the tiers alone: each side's CPU without the reception of its input, which the media plane
// does anyway for forwarding.
func (r tierResult) ratio() float64 { return float64(r.ours-r.input) / float64(r.gst-r.gstInput) }

// wholeRatio compares the whole processes, input included: our Go socket reads against udpsrc's.
func (r tierResult) wholeRatio() float64 { return float64(r.ours) / float64(r.gst) }

func (r tierResult) core(d time.Duration) float64 { return d.Seconds() / r.window.Seconds() }

func (r tierResult) quantile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.latencies)
	slices.Sort(s)
	return s[min(int(q*float64(len(s))), len(s)-1)]
}

// gstLaunchArgs runs gst-launch-1.0 on the same elements as one tier: RTP in on a UDP port, depayloaded, given
// the nominal frame rate our decoder's appsrc declares (capssetter), decoded, brought to the tier's frame rate
// (videorate: our fan-out thins in C; a tier at the source's rate needs neither), scaled, encoded, payloaded, RTP
// out to another port.
func gstLaunchArgs(in Codec, out Codec, s encoderSettings, tier Tier, inPort, outPort int) ([]string, error) {
	caps, err := decoderCaps(in)
	if err != nil {
		return nil, err
	}
	dec, err := decoderElements(in)
	if err != nil {
		return nil, err
	}
	enc, err := encoderElements(out, s, tier.Bitrate)
	if err != nil {
		return nil, err
	}
	depay := map[Codec]string{VP8: "rtpvp8depay", H264: "rtph264depay", VP9: "rtpvp9depay"}[in]
	pay := map[Codec]string{VP8: "rtpvp8pay picture-id-mode=15-bit", H264: "rtph264pay config-interval=-1 aggregate-mode=zero-latency"}[out]
	rate := ""
	if tier.FrameRate < benchRate {
		rate = fmt.Sprintf(" ! videorate ! video/x-raw,framerate=%d/1", tier.FrameRate)
	}
	desc := fmt.Sprintf("udpsrc address=127.0.0.1 port=%d buffer-size=8388608"+
		" caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=%s,payload=96 ! %s ! capssetter caps=%s"+
		" ! %s%s ! %s ! %s ! %s mtu=1200 pt=96 ! udpsink host=127.0.0.1 port=%d sync=false async=false",
		inPort, in, depay, caps, dec, rate, scaleElements(tier), enc, pay, outPort)
	return append([]string{"-q"}, strings.Fields(desc)...), nil
}

// startGstLaunch starts gst-launch-1.0 with args and waits until it listens on port.
func startGstLaunch(b *testing.B, port int, args []string) (*exec.Cmd, *bytes.Buffer) {
	b.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command("gst-launch-1.0", args...)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	waitUDPBound(b, port)
	return cmd, &stderr
}

func stopProcess(cmd *exec.Cmd) {
	_ = cmd.Process.Kill() // our own child
	_ = cmd.Wait()
}

// runTier feeds the same publisher stream, paced in real time by a feeder process, to four receivers at once:
// this process (a Decoder with one Encoder), gst-launch-1.0 running the same elements, and for the cost of
// receiving alone, a gst-launch-1.0 with only udpsrc and a process of ours that only reads its socket. It measures
// each for the window, after the warm-up. The feeder also counts gst-launch's output, so that no side pays for
// another's input or output.
func runTier(b *testing.B, in *busyInput, out Codec, s encoderSettings, tier Tier, warm, window time.Duration) tierResult {
	b.Helper()
	tc, err := NewWith(Config{H264Encoder: s.H264, VP8Speed: s.VP8Speed,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	dec, err := tc.NewDecoder(DecoderConfig{Codec: in.codec, RequestKeyframe: func() {}})
	if err != nil {
		b.Fatal(err)
	}
	defer dec.Close()

	var measuring atomic.Bool
	var mu sync.Mutex
	received := make(map[uint32]time.Time) // source timestamp -> its last packet's receipt, within the window
	var res tierResult
	enc, err := dec.NewEncoder(EncoderConfig{Codec: out, Tier: tier, PayloadType: 96, Output: func(p Packet) {
		if !measuring.Load() {
			return
		}
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		res.oursBytes += int64(len(p.Data))
		if p.Marker {
			res.oursFrames++
			if t, ok := received[p.SourceTimestamp]; ok {
				res.latencies = append(res.latencies, now.Sub(t))
			}
		}
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()

	ourConn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer ourConn.Close()
	if err := ourConn.SetReadBuffer(8 << 20); err != nil {
		b.Fatal(err)
	}
	go receive(ourConn, func(pkt *rtp.Packet) {
		dec.Push(pkt)
		if pkt.Marker && measuring.Load() {
			mu.Lock()
			received[pkt.Timestamp] = time.Now()
			mu.Unlock()
		}
	})
	ourOnly := freeUDPPort(b)
	receiverCmd := startReceiverProcess(b, ourOnly)
	defer stopProcess(receiverCmd)

	gstIn, gstOut, gstOnlyIn := freeUDPPort(b), freeUDPPort(b), freeUDPPort(b)
	args, err := gstLaunchArgs(in.codec, out, s, tier, gstIn, gstOut)
	if err != nil {
		b.Fatal(err)
	}
	gstCmd, gstErr := startGstLaunch(b, gstIn, args)
	defer stopProcess(gstCmd)
	inputCmd, _ := startGstLaunch(b, gstOnlyIn, strings.Fields(fmt.Sprintf(
		"-q udpsrc address=127.0.0.1 port=%d buffer-size=8388608 ! fakesink sync=false", gstOnlyIn)))
	defer stopProcess(inputCmd)

	start := time.Now().Add(500 * time.Millisecond)
	feeder, results := startFeeder(b, in, feederConfig{
		Ports:  []int{ourConn.LocalAddr().(*net.UDPAddr).Port, gstIn, gstOnlyIn, ourOnly},
		Listen: gstOut, Start: start, Warm: warm, Window: window, Total: warm + window + time.Second,
	})
	defer stopProcess(feeder)

	time.Sleep(time.Until(start.Add(warm)))
	pids := tierPIDs{gst: gstCmd.Process.Pid, gstInput: inputCmd.Process.Pid, input: receiverCmd.Process.Pid}
	before := readTierCPU(b, pids)
	measuring.Store(true)
	time.Sleep(window)
	measuring.Store(false)
	after := readTierCPU(b, pids)
	res.window = window
	res.ours, res.decode, res.encode = after.ours-before.ours, after.decode-before.decode, after.encode-before.encode
	res.input, res.gst, res.gstInput = after.input-before.input, after.gst-before.gst, after.gstInput-before.gstInput
	if err := feeder.Wait(); err != nil {
		b.Fatalf("feeder: %v", err)
	}
	if err := json.Unmarshal(results.Bytes(), &res.feeder); err != nil {
		b.Fatalf("feeder output %q: %v", results.String(), err)
	}
	if res.gst == 0 || res.feeder.Frames == 0 || strings.Contains(gstErr.String(), "ERROR") {
		b.Fatalf("gst-launch-1.0 did not run: %s", gstErr.String())
	}
	if st := tc.Stats(); st.Gaps+st.BrokenFrames+st.PipelineErrors+st.Panics+st.QueueDrops != 0 {
		b.Errorf("transcoder stats: %+v", st)
	}
	return res
}

// receive reads RTP packets from conn, as the media plane reads its publishers (the Go netpoller), and gives
// each to handle, until conn is closed.
func receive(conn *net.UDPConn, handle func(*rtp.Packet)) {
	buf := make([]byte, 2048)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) == nil {
			handle(&pkt)
		}
	}
}

const receiverEnv = "TRANSCODE_RECEIVER"

// startReceiverProcess starts this test binary again as a process that only receives on port, with receive: the
// cost of our reception alone, as a udpsrc-only gst-launch-1.0 is gst-launch's.
func startReceiverProcess(b *testing.B, port int) *exec.Cmd {
	b.Helper()
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), receiverEnv+"="+strconv.Itoa(port))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	waitUDPBound(b, port)
	return cmd
}

// runReceiver is the receive-only process.
func runReceiver(port string) error {
	p, err := strconv.Atoi(port)
	if err != nil {
		return err
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p})
	if err != nil {
		return err
	}
	if err := conn.SetReadBuffer(8 << 20); err != nil {
		return err
	}
	receive(conn, func(*rtp.Packet) {})
	return nil
}

// tierCPU is one reading of the CPU counters a tier run compares.
type tierCPU struct {
	ours, decode, encode, input, gst, gstInput time.Duration
}

// processCPU is this process's CPU time, its ended threads included.
func processCPU(b *testing.B) time.Duration {
	b.Helper()
	var rusage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &rusage); err != nil {
		b.Fatal(err)
	}
	return time.Duration(rusage.Utime.Nano() + rusage.Stime.Nano())
}

// tierPIDs are the processes a tier run measures besides this one.
type tierPIDs struct {
	gst, gstInput, input int
}

func readTierCPU(b *testing.B, pids tierPIDs) tierCPU {
	b.Helper()
	var run [3]time.Duration
	for i, pid := range []int{pids.gst, pids.gstInput, pids.input} {
		c, err := loadtool.ReadCPU(pid)
		if err != nil {
			b.Fatal(err)
		}
		run[i] = c.Run
	}
	byName, err := threadCPUByName()
	if err != nil {
		b.Fatal(err)
	}
	return tierCPU{
		ours:   processCPU(b),
		decode: byName[decoderSource+":src"], encode: byName[encoderSource+":src"],
		gst: run[0], gstInput: run[1], input: run[2],
	}
}

// threadCPUByName sums the time on a CPU of this process's threads by thread name.
func threadCPUByName() (map[string]time.Duration, error) {
	dirs, err := filepath.Glob("/proc/self/task/*")
	if err != nil {
		return nil, err
	}
	byName := make(map[string]time.Duration)
	for _, dir := range dirs {
		stat, err1 := os.ReadFile(filepath.Join(dir, "schedstat"))
		comm, err2 := os.ReadFile(filepath.Join(dir, "comm"))
		if errors.Is(err1, os.ErrNotExist) || errors.Is(err2, os.ErrNotExist) {
			continue // the thread ended meanwhile
		}
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		fields := strings.Fields(string(stat))
		if len(fields) != 3 {
			return nil, fmt.Errorf("%s/schedstat: %q", dir, stat)
		}
		ns, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return nil, err
		}
		byName[strings.TrimSpace(string(comm))] += time.Duration(ns)
	}
	return byName, nil
}

func freeUDPPort(b *testing.B) int {
	b.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	port := c.LocalAddr().(*net.UDPAddr).Port
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
	return port
}

// waitUDPBound waits until some socket is bound to 127.0.0.1:port (gst-launch's udpsrc is up).
func waitUDPBound(b *testing.B, port int) {
	b.Helper()
	want := fmt.Sprintf(" 0100007F:%04X 00000000:0000", port)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		data, err := os.ReadFile("/proc/net/udp")
		if err != nil {
			b.Fatal(err)
		}
		if bytes.Contains(data, []byte(want)) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.Fatalf("nothing bound to UDP port %d after 30 s", port)
}

// feederConfig tells the feeder process what to do; it travels as JSON in an environment variable.
type feederConfig struct {
	// Packets is a file of the input's RTP packets, each preceded by its 4-byte length; Frames how many frames
	// one loop of it holds.
	Packets string
	Frames  int
	// Ports receive every packet, on 127.0.0.1; Listen is where gst-launch sends its output.
	Ports  []int
	Listen int
	// Start is when frame 0 goes out; frames follow at 30 per second until Total. Output is counted from
	// Start+Warm for Window.
	Start               time.Time
	Warm, Window, Total time.Duration
}

// feederResult is what the feeder counted of gst-launch's output in the window.
type feederResult struct {
	Bytes, Frames int64
}

const feederEnv = "TRANSCODE_FEEDER"

// startFeeder writes the input to a file and starts this test binary again as the feeder process; its standard
// output, once it exits, holds its feederResult.
func startFeeder(b *testing.B, in *busyInput, cfg feederConfig) (*exec.Cmd, *bytes.Buffer) {
	b.Helper()
	var data []byte
	for _, p := range in.packets {
		raw, err := p.AppendBinary(nil)
		if err != nil {
			b.Fatal(err)
		}
		data = binary.BigEndian.AppendUint32(data, uint32(len(raw)))
		data = append(data, raw...)
	}
	cfg.Packets = filepath.Join(b.TempDir(), "input.rtp")
	cfg.Frames = in.frames
	if err := os.WriteFile(cfg.Packets, data, 0o600); err != nil {
		b.Fatal(err)
	}
	env, err := json.Marshal(cfg)
	if err != nil {
		b.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), feederEnv+"="+string(env))
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	return cmd, &out
}

// runFeeder is the feeder process: it sends the input's frames in real time to every port, its sequence numbers
// and timestamps continued from loop to loop, and counts what arrives on the listening port during the window.
func runFeeder(env string) error {
	var cfg feederConfig
	if err := json.Unmarshal([]byte(env), &cfg); err != nil {
		return err
	}
	data, err := os.ReadFile(cfg.Packets)
	if err != nil {
		return err
	}
	var packets []rtp.Packet
	for len(data) >= 4 {
		n := int(binary.BigEndian.Uint32(data))
		var p rtp.Packet
		if err := p.Unmarshal(data[4 : 4+n]); err != nil {
			return err
		}
		packets = append(packets, p)
		data = data[4+n:]
	}
	in := &busyInput{packets: packets, frames: cfg.Frames}
	var conns []*net.UDPConn
	for _, port := range cfg.Ports {
		c, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			return err
		}
		conns = append(conns, c)
	}
	listen, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: cfg.Listen})
	if err != nil {
		return err
	}
	var res feederResult
	var resMu sync.Mutex
	from, to := cfg.Start.Add(cfg.Warm), cfg.Start.Add(cfg.Warm+cfg.Window)
	go func() {
		buf := make([]byte, 2048)
		for {
			n, err := listen.Read(buf)
			if err != nil {
				return
			}
			if now := time.Now(); now.After(from) && now.Before(to) {
				resMu.Lock()
				res.Bytes += int64(n)
				if n > 1 && buf[1]&0x80 != 0 {
					res.Frames++
				}
				resMu.Unlock()
			}
		}
	}()
	starts := in.frameStarts()
	buf := make([]byte, 2048)
	for k := 0; ; k++ {
		due := cfg.Start.Add(time.Duration(k) * time.Second / benchRate)
		if due.Sub(cfg.Start) > cfg.Total {
			break
		}
		time.Sleep(time.Until(due))
		loop, f := k/in.frames, k%in.frames
		for i := starts[f]; i < starts[f+1]; i++ {
			p := in.loopPacket(loop, i)
			n, err := p.MarshalTo(buf)
			if err != nil {
				return err
			}
			for _, c := range conns {
				if _, err := c.Write(buf[:n]); err != nil {
					return err
				}
			}
		}
	}
	if err := listen.Close(); err != nil {
		return err
	}
	resMu.Lock()
	defer resMu.Unlock()
	return json.NewEncoder(os.Stdout).Encode(res)
}

// benchTiers are the default ladder's tiers.
func benchTiers(b *testing.B) []Tier {
	tiers, err := ParseTiers(DefaultTiers)
	if err != nil {
		b.Fatal(err)
	}
	return tiers
}

// BenchmarkTier runs one tier (a decoder shared, one encoder) against gst-launch-1.0 with the same elements on the
// same input in the same run, for every tier of the default ladder and every encoder: the CPU ratio, each side's
// share of a core, our decoder's and encoder's threads, and the latency from a frame's last packet in to its
// last packet out.
func BenchmarkTier(b *testing.B) {
	needFigures(b)
	window := measureSeconds(b)
	in := makeBusyInput(b, VP8, 300, false)
	for _, enc := range []struct {
		name  string
		codec Codec
		s     encoderSettings
	}{
		{"VP8", VP8, encoderSettings{VP8Speed: DefaultVP8Speed}},
		{"x264", H264, encoderSettings{H264: X264}},
		{"OpenH264", H264, encoderSettings{H264: OpenH264}},
	} {
		for _, tier := range benchTiers(b) {
			b.Run(enc.name+"/"+tier.String(), func(b *testing.B) {
				for range b.N {
					r := runTier(b, in, enc.codec, enc.s, tier, 4*time.Second, window)
					b.ReportMetric(r.ratio(), "cpu-ratio")
					b.ReportMetric(r.wholeRatio(), "whole-ratio")
					b.ReportMetric(r.core(r.ours-r.input), "ours-core")
					b.ReportMetric(r.core(r.gst-r.gstInput), "gst-core")
					b.ReportMetric(r.core(r.decode), "decode-core")
					b.ReportMetric(r.core(r.encode), "encode-core")
					b.ReportMetric(float64(r.quantile(0.5).Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(r.quantile(0.99).Microseconds())/1000, "p99-ms")
					b.Logf("%s %s: tier %.3f core (decoder thread %.3f, encoder thread %.3f, the rest %.3f) against "+
						"gst-launch %.3f core: ratio %.3f; with reception, %.3f core (ours, %.3f receiving) against %.3f "+
						"(udpsrc alone %.3f): ratio %.3f; out %d frames %.0f kbit/s, gst-launch %d frames %.0f kbit/s; "+
						"latency p50 %v p99 %v over %d frames",
						enc.name, tier, r.core(r.ours-r.input), r.core(r.decode), r.core(r.encode),
						r.core(r.ours-r.input-r.decode-r.encode), r.core(r.gst-r.gstInput), r.ratio(), r.core(r.ours),
						r.core(r.input), r.core(r.gst), r.core(r.gstInput), r.wholeRatio(), r.oursFrames,
						float64(r.oursBytes*8)/window.Seconds()/1000, r.feeder.Frames,
						float64(r.feeder.Bytes*8)/window.Seconds()/1000, r.quantile(0.5), r.quantile(0.99),
						len(r.latencies))
				}
			})
		}
	}
}

// BenchmarkQuality encodes the same busy source pictures at each tier with each encoder (and VP8 speeds), one
// frame at a time: the CPU per frame (this process, encoding and scaling, one frame in flight), the bitrate
// reached, and the luma PSNR of the decoded result against the source scaled the same way.
func BenchmarkQuality(b *testing.B) {
	needFigures(b)
	const frames = 150
	in := makeBusyInput(b, VP8, frames, true)
	type encoder struct {
		name  string
		codec Codec
		s     encoderSettings
	}
	encoders := []encoder{{"x264", H264, encoderSettings{H264: X264}}, {"OpenH264", H264, encoderSettings{H264: OpenH264}}}
	for _, speed := range []int{6, 8, 10, 12} {
		encoders = append(encoders, encoder{fmt.Sprintf("VP8-speed%d", speed), VP8, encoderSettings{VP8Speed: speed}})
	}
	for _, enc := range encoders {
		for _, tier := range benchTiers(b) {
			b.Run(enc.name+"/"+tier.String(), func(b *testing.B) {
				for range b.N {
					q := measureQuality(b, in, enc.codec, enc.s, tier)
					b.ReportMetric(q.cpuPerFrame.Seconds()*1000, "cpu-ms/frame")
					b.ReportMetric(1/(q.cpuPerFrame.Seconds()*float64(tier.FrameRate)), "encoders/core")
					b.ReportMetric(q.kbps, "kbit/s")
					b.ReportMetric(q.psnr, "psnr-dB")
				}
			})
		}
	}
}

type quality struct {
	cpuPerFrame time.Duration
	kbps, psnr  float64
}

// measureQuality runs the source pictures through an Encoder one at a time, spaced a little more than the tier's
// frame interval (the rate the fan-out would let through), with the tier's rate in their caps as the fan-out
// sets it, and compares the decoded output with the pictures scaled by the same elements.
func measureQuality(b *testing.B, in *busyInput, codec Codec, s encoderSettings, tier Tier) quality {
	b.Helper()
	tc, err := NewWith(Config{H264Encoder: s.H264, VP8Speed: s.VP8Speed,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	d, err := tc.NewDecoder(DecoderConfig{Codec: VP8, RequestKeyframe: func() {}})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	c := newCollector()
	e, err := d.NewEncoder(EncoderConfig{Codec: codec, Tier: tier, Output: c.output})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	interval := time.Second/time.Duration(tier.FrameRate) + time.Millisecond
	input := make([]*rawFrame, len(in.raw))
	for i, data := range in.raw {
		input[i] = &rawFrame{data: data, width: benchWidth, height: benchHeight, pts: time.Duration(i) * interval,
			sourceTS: uint32(i * rtpClock / benchRate)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	before := processCPU(b)
	seen := 0
	for _, f := range input {
		pushRawAt(b, e, f, tier.FrameRate)
		for {
			pkts := c.snapshot()
			if len(pkts) > seen && pkts[len(pkts)-1].Marker && pkts[len(pkts)-1].SourceTimestamp == f.sourceTS {
				seen = len(pkts)
				break
			}
			select {
			case <-c.changed:
			case <-ctx.Done():
				b.Fatal("timed out")
			}
		}
	}
	after := processCPU(b)
	pkts := c.snapshot()
	var bytes int
	for _, p := range pkts {
		bytes += len(p.Data)
	}
	refs := scaleReference(b, input, tier)
	decoded := decodeForQuality(b, codec, pkts)
	var sum float64
	for _, f := range decoded {
		ref, ok := refs[f.sourceTS]
		if !ok || len(ref) < i420Size(f.width, f.height) {
			b.Fatalf("no %dx%d reference for source timestamp %d", f.width, f.height, f.sourceTS)
		}
		sum += psnr(f.data, ref, f.width, f.height)
	}
	return quality{
		cpuPerFrame: (after - before) / time.Duration(len(input)),
		kbps:        float64(bytes*8) / (float64(len(input)) * interval.Seconds()) / 1000,
		psnr:        sum / float64(len(decoded)),
	}
}

// scaleReference scales the source pictures with the encoder's own thinning and scaling elements, keyed by
// source timestamp.
func scaleReference(b *testing.B, input []*rawFrame, tier Tier) map[uint32][]byte {
	b.Helper()
	caps := fmt.Sprintf("video/x-raw,format=I420,width=%d,height=%d,framerate=30/1,pixel-aspect-ratio=1/1",
		benchWidth, benchHeight)
	p, src, sink := playingAppPipeline(b, caps, scaleElements(tier), len(input)+1)
	defer p.Close()
	sourceTS := make(map[time.Duration]uint32)
	for _, f := range input {
		sourceTS[f.pts] = f.sourceTS
		if err := src.Push(f.data, f.pts, gst.NoTime); err != nil {
			b.Fatal(err)
		}
	}
	if err := src.EndOfStream(); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.WaitEOS(ctx); err != nil {
		b.Fatal(err)
	}
	refs := make(map[uint32][]byte)
	for len(sink.Samples()) > 0 {
		s := <-sink.Samples()
		refs[sourceTS[s.PTS]] = s.Data
	}
	return refs
}

// decodeForQuality is decodeOutput for a benchmark.
func decodeForQuality(b *testing.B, codec Codec, pkts []Packet) []decodedFrame {
	b.Helper()
	a, err := codecs.NewFrameAssembler(string(codec))
	if err != nil {
		b.Fatal(err)
	}
	caps, err := decoderCaps(codec)
	if err != nil {
		b.Fatal(err)
	}
	elements, err := decoderElements(codec)
	if err != nil {
		b.Fatal(err)
	}
	p, src, sink := playingAppPipeline(b, caps, elements, len(pkts)+1)
	defer p.Close()
	sourceTS := make(map[time.Duration]uint32)
	for i := range pkts {
		var pkt rtp.Packet
		if err := pkt.Unmarshal(pkts[i].Data); err != nil {
			b.Fatal(err)
		}
		frame, ok, err := a.Push(&pkt)
		if err != nil {
			b.Fatal(err)
		}
		if ok {
			pts := time.Duration(len(sourceTS)) * time.Millisecond
			sourceTS[pts] = pkts[i].SourceTimestamp
			if err := src.Push(frame.Data, pts, gst.NoTime); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := src.EndOfStream(); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.WaitEOS(ctx); err != nil {
		b.Fatal(err)
	}
	var out []decodedFrame
	for len(sink.Samples()) > 0 {
		s := <-sink.Samples()
		w, h, err := rawSize(s.Caps)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, decodedFrame{sourceTS: sourceTS[s.PTS], data: s.Data, width: w, height: h})
	}
	return out
}
