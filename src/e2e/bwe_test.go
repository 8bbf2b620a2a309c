package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/auth"
)

// Targets of the shaped-link runs (issue [bwe]).
const (
	bweLowKbit     = 500
	bweHighKbit    = 3000
	bweSettle      = 5 * time.Second
	bweRise        = 10 * time.Second
	bweWithin      = 0.25
	bweRiseTo      = 1_500_000
	bweLossCeiling = 0.05
	// bweLossSpan: loss is "sustained" when its mean over this span of samples passes bweLossCeiling, from
	// bweLossFrom after the cut on: a forwarded stream loses its excess until its publisher hears of the lower
	// estimate (a REMB at once) and its encoder follows it (a second or two), which no estimate can prevent.
	bweLossSpan = 2 * time.Second
	bweLossFrom = 3 * time.Second
	// bweSourceMin: the publisher must send at least this much before the cut, or the cut limits nothing.
	bweSourceMin = 2 * bweLowKbit * 1000
	// bweUplinkKbit is the figure, below what a busy camera's encoder wants (over a megabit a second).
	bweUplinkKbit   = 600
	bweObserveSpan  = 20 * time.Second
	bweSamplePeriod = 250 * time.Millisecond
)

// TestBWEReceiverShapedLink: a page receives another's busy camera through the MCU behind a link of its own, cut to
// 500 kbit/s, then lifted to 3 Mbit/s. With transport-cc (the server's own estimate from the page's transport-wide
// feedback) the estimate settles within 25 % of 500 kbit/s within 5 s, without sustained loss above 5 %, and passes
// 1.5 Mbit/s within 10 s of the lift. With E2E_FIGURES set, the same run with TRANSPORT_CC=off (the page's REMB)
// follows, side by side, logged and not held to the targets: the comparison is the figure. Not reliable yet (2 of
// 8 runs of the final code met every target: the estimate overshoots the link now and then, see
// docs/OPERATIONS.md): run with E2E_SHAPED=1.
func TestBWEReceiverShapedLink(t *testing.T) {
	needShapedTargets(t)
	camera := busyCamera(t)
	results := map[string]bweResult{}
	for i, mode := range bweModes() {
		kind := map[string]string{"on": "tcc", "off": "remb"}[mode]
		t.Run("transport-cc="+mode, func(t *testing.T) {
			link := newShapedLink(t, 41+i)
			admin := freeAddr(t)
			base := bweServer(t, link, map[string]string{"ADMIN_ADDR": admin, "TRANSPORT_CC": mode})
			reps := newReports(t)
			startPage(t, base, bwePage(t, "bwe", "alice", page{Camera: camera}), reps)
			startPage(t, base, bwePage(t, "bwe", "bob", page{RecvOnly: true, Link: link}), reps)
			reps.waitFor(t, firstMediaTimeout, "bob decodes alice", receives("bob", "alice", 30))
			est := func() (listenerEstimate, bool) { return bobsEstimate(t, admin, kind) }
			r := bweResult{}
			r.pubBefore = waitSendRate(t, reps, "alice", bweSourceMin)
			link.Limit(bweLowKbit)
			r.settle, r.lowMean, r.lowLoss = settle(t, est, bweLowKbit*1000)
			r.pubCapped = sendRate(t, reps, "alice")
			link.Limit(bweHighKbit)
			r.rise = rise(t, est, bweRiseTo)
			results[kind] = r
			t.Logf("%s: %s", kind, r)
			if t.Failed() || r.settle < 0 || r.rise < 0 {
				dumpAdmin(t, admin)
			}
			if kind != "tcc" {
				return
			}
			if r.settle < 0 || r.settle > bweSettle {
				t.Errorf("the estimate did not settle within 25 %% of 500 kbit/s within %v (settled after %v)",
					bweSettle, r.settle)
			}
			if r.lowLoss > bweLossCeiling {
				t.Errorf("loss %.1f %% over %v after settling, want at most 5 %%", r.lowLoss*100, bweLossSpan)
			}
			if r.rise < 0 || r.rise > bweRise {
				t.Errorf("the estimate did not pass 1.5 Mbit/s within %v of the lift (%v)", bweRise, r.rise)
			}
			// alice negotiated transport-cc too: the server's REMB, the cap of bob's estimate, must still bind her.
			if r.pubCapped > 800_000 {
				t.Errorf("alice (transport-cc) sent %.0f kbit/s of video while bob's estimate was about 500 kbit/s: "+
					"the REMB cap did not hold", r.pubCapped/1000)
			}
		})
	}
	if remb, ok := results["remb"]; ok {
		t.Logf("side by side: transport-cc %s; REMB %s", results["tcc"], remb)
	}
}

// TestBWEPublisherShapedUplink: a page publishes a busy camera behind a link whose uplink is cut to 600 kbit/s
// (bweUplinkKbit); with the server's transport-wide feedback, Chromium's availableOutgoingBitrate follows the link
// (within 25 % of it within 20 s, and stays within 50 %), and the page receiving it keeps decoding. With E2E_FIGURES
// set, the same run with TRANSPORT_CC=off (Chromium's estimate from loss and the server's REMB) follows, side by
// side, logged.
func TestBWEPublisherShapedUplink(t *testing.T) {
	camera := busyCamera(t)
	results := map[string]string{}
	for i, mode := range bweModes() {
		t.Run("transport-cc="+mode, func(t *testing.T) {
			link := newShapedLink(t, 45+i)
			base := bweServer(t, link, map[string]string{"TRANSPORT_CC": mode})
			reps := newReports(t)
			startPage(t, base, bwePage(t, "bwe-up", "alice", page{Link: link, Camera: camera}), reps)
			startPage(t, base, bwePage(t, "bwe-up", "bob", page{RecvOnly: true}), reps)
			reps.waitFor(t, firstMediaTimeout, "bob decodes alice", receives("bob", "alice", 30))
			before := waitSendRate(t, reps, "alice", bweSourceMin)
			link.LimitUp(bweUplinkKbit)
			f := followUplink(t, reps, bweUplinkKbit*1000)
			var frames int64
			if p, ok := reps.waitFor(t, 10*time.Second, "bob's report", func(all map[string]report) bool {
				_, ok := all["bob"].peer("alice")
				return ok
			})["bob"].peer("alice"); ok {
				frames = p.FramesDecoded
			}
			reps.waitFor(t, 30*time.Second, "bob keeps decoding alice", func(all map[string]report) bool {
				p, ok := all["bob"].peer("alice")
				return ok && p.FramesDecoded > frames+60
			})
			results[mode] = fmt.Sprintf("%s (alice sent %.0f kbit/s of video before the cut)", f, before/1000)
			t.Logf("transport-cc=%s: %s", mode, results[mode])
			if mode != "on" {
				return
			}
			if f.entered < 0 || f.entered > 20*time.Second {
				t.Errorf("availableOutgoingBitrate did not come within 25 %% of %d kbit/s within 20 s (%v)",
					bweUplinkKbit, f.entered)
			}
			if f.lo < 0.5*bweUplinkKbit*1000 || f.hi > 1.5*bweUplinkKbit*1000 {
				t.Errorf("availableOutgoingBitrate left [50 %%, 150 %%] of %d kbit/s after entering the band", bweUplinkKbit)
			}
		})
	}
	if remb, ok := results["off"]; ok {
		t.Logf("side by side at %d kbit/s: transport-cc %s; REMB %s", bweUplinkKbit, results["on"], remb)
	}
}

// uplinkFollow is how a publisher's availableOutgoingBitrate followed a cut: when it entered, for good, the band
// of 25 % around the link (-1: never), and its mean, lowest and highest from then on.
type uplinkFollow struct {
	entered      time.Duration
	mean, lo, hi float64
	// sendMean is the publisher's video send rate over the same samples; trace the samples, two seconds apart.
	sendMean float64
	trace    []string
}

func (f uplinkFollow) String() string {
	if f.entered < 0 {
		return fmt.Sprintf("availableOutgoingBitrate never within 25 %% of the link for good; samples %s",
			strings.Join(f.trace, ", "))
	}
	return fmt.Sprintf("availableOutgoingBitrate within 25 %% of the link for good %v after the cut, then mean "+
		"%.0f kbit/s (%.0f-%.0f); alice's video %.0f kbit/s; samples %s", f.entered.Round(100*time.Millisecond),
		f.mean/1000, f.lo/1000, f.hi/1000, f.sendMean/1000, strings.Join(f.trace, ", "))
}

// followUplink samples alice's availableOutgoingBitrate and video send rate from her reports for 30 s after a cut
// of her uplink to link bit/s.
func followUplink(t *testing.T, reps *reports, link float64) uplinkFollow {
	t.Helper()
	type sample struct {
		at         time.Duration
		avail, snd float64
	}
	var samples []sample
	start := time.Now()
	var last report
	reps.waitFor(t, 40*time.Second, "30 s of alice's reports", func(all map[string]report) bool {
		r := all["alice"]
		if r.Upstream != nil && r.at.After(last.at) {
			if last.Upstream != nil {
				snd := float64(r.Upstream.BytesSentVideo-last.Upstream.BytesSentVideo) * 8 / r.at.Sub(last.at).Seconds()
				samples = append(samples, sample{time.Since(start), r.Upstream.AvailableOutgoingBitrate, snd})
			}
			last = r
		}
		return time.Since(start) > 30*time.Second
	})
	f := uplinkFollow{entered: -1}
	from := -1
	for i, s := range samples {
		in := s.avail >= 0.75*link && s.avail <= 1.25*link
		switch {
		case in && from < 0:
			from = i
		case !in:
			from = -1
		}
		if i%2 == 0 {
			f.trace = append(f.trace, fmt.Sprintf("%.0fs %.0fk", s.at.Seconds(), s.avail/1000))
		}
	}
	if from < 0 {
		return f
	}
	f.entered, f.lo, f.hi = samples[from].at, samples[from].avail, samples[from].avail
	for _, s := range samples[from:] {
		f.mean += s.avail
		f.sendMean += s.snd
		f.lo, f.hi = min(f.lo, s.avail), max(f.hi, s.avail)
	}
	n := float64(len(samples) - from)
	f.mean, f.sendMean = f.mean/n, f.sendMean/n
	return f
}

// TestBWEProbesWithoutRTX: a page that negotiates transport-cc but no RTX (VP8 alone) is probed with padding on its
// video stream: the feedback measures the probes, and the page decodes every second of the run (no freeze of a
// report interval).
func TestBWEProbesWithoutRTX(t *testing.T) {
	admin := freeAddr(t)
	srv := startServer(t, map[string]string{"MEDIA_MODE": "mcu", "PUBLIC_IPV4": "127.0.0.1", "ADMIN_ADDR": admin})
	reps := newReports(t)
	startPage(t, srv.URL, page{Room: "bwe-nortx", User: "alice", Codec: "VP8"}, reps)
	startPage(t, srv.URL, page{Room: "bwe-nortx", User: "bob", Codec: "VP8", NoRepair: true, RecvOnly: true}, reps)
	reps.waitFor(t, firstMediaTimeout, "bob decodes alice", receives("bob", "alice", 30))
	start := time.Now()
	var last report
	var frames []int64
	reps.waitFor(t, 30*time.Second, "15 s of bob's reports", func(all map[string]report) bool {
		r := all["bob"]
		if p, ok := r.peer("alice"); ok && r.at.After(last.at) {
			if _, had := last.peer("alice"); had {
				prev, _ := last.peer("alice")
				frames = append(frames, p.FramesDecoded-prev.FramesDecoded)
			}
			last = r
		}
		return time.Since(start) > 15*time.Second
	})
	for i, n := range frames {
		if n <= 0 {
			t.Errorf("bob decoded no frame in report interval %d of %d: %v", i, len(frames), frames)
			break
		}
	}
	e, ok := bobsEstimate(t, admin, "tcc")
	if !ok || e.ProbeResults == 0 {
		t.Errorf("no probe of bob measured: %+v", e)
	}
	t.Logf("bob's estimate %+v; frames decoded per report %v", e, frames)
}

// bweModes are the TRANSPORT_CC values of the shaped-link runs: on, and off for the comparison when E2E_FIGURES is
// set (it doubles the tests' minutes, which `make test` cannot spare).
func bweModes() []string {
	if os.Getenv(figuresEnv) == "" {
		return []string{"on"}
	}
	return []string{"on", "off"}
}

// bweSecret signs the pages' bearers: a server reachable beyond loopback (BIND_ADDRESS=0.0.0.0, for the pages behind
// shaped links) is not in dev mode.
var bweSecret = []byte("e2e-bwe-secret-e2e-bwe-secret-e2e")

// bweServer starts an MCU server that pages behind link reach (every address of the test's namespace), its media
// candidates on the link's near address, with env added; it returns the base URL of the pages of the test's
// namespace. It forwards without transcoding: a receiver on a tier no longer caps its publisher and gets the
// tier's fixed bitrate, which would measure the tier policy rather than the estimate.
func bweServer(t *testing.T, link *shapedLink, env map[string]string) string {
	t.Helper()
	vars := map[string]string{"MEDIA_MODE": "mcu", "BIND_ADDRESS": "0.0.0.0", "PUBLIC_IPV4": link.Near,
		"ICE_TCP_PORT": "off", "JWT_SECRET": string(bweSecret), "LOG_LEVEL": "info", "TRANSCODE": "false"}
	for k, v := range env {
		vars[k] = v
	}
	srv := startServer(t, vars)
	// The pages of the test's namespace open it at 127.0.0.1: a secure context, where they may use the camera.
	return strings.NewReplacer("0.0.0.0", "127.0.0.1", "[::]", "127.0.0.1").Replace(srv.URL)
}

// bwePage is p for user in room, with a bearer signed for it.
func bwePage(t *testing.T, room, user string, p page) page {
	t.Helper()
	bearer, err := auth.SignHS256(bweSecret, user, room, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p.Room, p.User, p.Bearer = room, user, bearer
	return p
}

// receives holds when to's page decodes from's video, more than frames frames.
func receives(to, from string, frames int64) func(map[string]report) bool {
	return func(all map[string]report) bool {
		p, ok := all[to].peer(from)
		return ok && p.FramesDecoded > frames && p.FrameWidth > 0
	}
}

// LimitUp limits what the far end sends (the participant's uplink) to kbit kilobits a second, as Limit does the
// downlink: a token bucket on the far end's egress.
func (l *shapedLink) LimitUp(kbit int) {
	l.t.Helper()
	l.far("tc", "qdisc", "replace", "dev", l.Peer, "root", "tbf", "rate", strconv.Itoa(kbit)+"kbit", "burst", "10kb",
		"latency", "100ms")
}

// bweResult is one shaped-link run: the time the estimate took to settle within 25 % of the low rate (-1: never),
// its mean and the highest loss sustained over bweLossSpan afterwards, and the time it took to pass 1.5 Mbit/s
// after the lift (-1: not within twice bweRise).
type bweResult struct {
	settle, rise     time.Duration
	lowMean, lowLoss float64
	// pubBefore and pubCapped are the publisher's video send rates before the cut and once the estimate settled.
	pubBefore, pubCapped float64
}

func (r bweResult) String() string {
	return fmt.Sprintf("settled within 25%% of 500 kbit/s after %v (mean %.0f kbit/s), loss at most %.1f %% over %v "+
		"from 3 s after the cut, passed 1.5 Mbit/s %v after the lift to 3 Mbit/s; the publisher sent %.0f kbit/s of video before the "+
		"cut, %.0f kbit/s after", r.settle.Round(10*time.Millisecond), r.lowMean/1000, r.lowLoss*100, bweLossSpan,
		r.rise.Round(10*time.Millisecond), r.pubBefore/1000, r.pubCapped/1000)
}

// waitSendRate waits up to 30 s for user's video send rate to pass atLeast bit/s and returns it: a publisher's
// encoder starts low and climbs as its estimate does.
func waitSendRate(t *testing.T, reps *reports, user string, atLeast float64) float64 {
	t.Helper()
	start := time.Now()
	for {
		r := sendRate(t, reps, user)
		if r >= atLeast {
			return r
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("%s sends %.0f kbit/s of video, want at least %.0f before the cut: the link would limit nothing",
				user, r/1000, atLeast/1000)
		}
	}
}

// sendRate is user's video send rate, in bit/s, between two of its reports about 4 s apart.
func sendRate(t *testing.T, reps *reports, user string) float64 {
	t.Helper()
	sent := func() (int64, time.Time) {
		r := reps.waitFor(t, 10*time.Second, user+" reports its upstream", func(all map[string]report) bool {
			return all[user].Upstream != nil
		})[user]
		return r.Upstream.BytesSentVideo, r.at
	}
	b0, t0 := sent()
	time.Sleep(4 * time.Second)
	b1, t1 := sent()
	if !t1.After(t0) {
		return 0
	}
	return float64(b1-b0) * 8 / t1.Sub(t0).Seconds()
}

// listenerEstimate is a listener's estimate in /state.
type listenerEstimate struct {
	Receiver string  `json:"socketId"`
	Kind     string  `json:"kind"`
	Bitrate  float64 `json:"bitrate"`
	Fresh    bool    `json:"fresh"`
	Loss     float64 `json:"loss"`
	// Feedbacks are the transport-wide feedback packets read, ProbeResults the probe clusters measured (tcc).
	Feedbacks    int `json:"feedbacks"`
	ProbeResults int `json:"probeResults"`
}

// bobsEstimate reads the estimate of the one receive-only listener session from /state: its kind must be kind.
func bobsEstimate(t *testing.T, admin, kind string) (listenerEstimate, bool) {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Listeners []listenerEstimate `json:"listeners"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if len(st.Listeners) != 1 {
		return listenerEstimate{}, false
	}
	e := st.Listeners[0]
	if e.Kind != kind {
		t.Fatalf("the listener's estimate is %q, want %q", e.Kind, kind)
	}
	return e, true
}

// settle samples the estimate for bweObserveSpan after a cut to target bit/s and returns when it entered, for good,
// the band of 25 % around target (-1: never), its mean once there, and the highest mean loss over bweLossSpan from
// bweLossFrom after the cut on. It logs the samples, a second apart.
func settle(t *testing.T, est func() (listenerEstimate, bool), target float64) (time.Duration, float64, float64) {
	t.Helper()
	start := time.Now()
	type sample struct {
		at time.Duration
		e  listenerEstimate
	}
	var samples []sample
	for time.Since(start) < bweObserveSpan {
		if e, ok := est(); ok {
			samples = append(samples, sample{time.Since(start), e})
		}
		time.Sleep(bweSamplePeriod)
	}
	var trace []string
	entered := -1
	for i, s := range samples {
		in := s.e.Fresh && s.e.Bitrate >= target*(1-bweWithin) && s.e.Bitrate <= target*(1+bweWithin)
		switch {
		case in && entered < 0:
			entered = i
		case !in:
			entered = -1
		}
		if i%4 == 0 {
			trace = append(trace, fmt.Sprintf("%.0fs %.0fk %.0f%%", s.at.Seconds(), s.e.Bitrate/1000, s.e.Loss*100))
		}
	}
	t.Logf("estimate after the cut (time, bitrate, loss): %s", strings.Join(trace, ", "))
	var loss float64
	span := int(bweLossSpan / bweSamplePeriod)
	for i, s := range samples {
		if w := samples[i:]; len(w) >= span && s.at >= bweLossFrom {
			var l float64
			for _, x := range w[:span] {
				l += x.e.Loss
			}
			loss = max(loss, l/float64(span))
		}
	}
	if entered < 0 {
		return -1, 0, loss
	}
	var sum float64
	for _, s := range samples[entered:] {
		sum += s.e.Bitrate
	}
	return samples[entered].at, sum / float64(len(samples)-entered), loss
}

// rise waits up to twice bweRise for the estimate to pass to bit/s and returns how long it took (-1: never).
func rise(t *testing.T, est func() (listenerEstimate, bool), to float64) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 2*bweRise {
		if e, ok := est(); ok && e.Fresh && e.Bitrate > to {
			return time.Since(start)
		}
		time.Sleep(bweSamplePeriod)
	}
	return -1
}

// dumpAdmin logs /state and the media lines of /metrics, to tell why an estimate went astray.
func dumpAdmin(t *testing.T, admin string) {
	t.Helper()
	for _, path := range []string{"/state", "/metrics"} {
		resp, err := http.Get("http://" + admin + path)
		if err != nil {
			t.Log(err)
			continue
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			t.Log(err)
			continue
		}
		var lines []string
		for _, line := range strings.Split(string(body), "\n") {
			if path == "/state" || (!strings.HasPrefix(line, "#") && (strings.Contains(line, "rtcp") ||
				strings.Contains(line, "remb") || strings.Contains(line, "feedback") || strings.Contains(line, "pacer") ||
				strings.Contains(line, "estimate") || strings.Contains(line, "drop"))) {
				lines = append(lines, line)
			}
		}
		t.Logf("%s:\n%s", path, strings.Join(lines, "\n"))
	}
}

// freeAddr returns a free loopback TCP address.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(fmt.Errorf("free address: %w", err))
	}
	return addr
}
