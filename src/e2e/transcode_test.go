package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/auth"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// busyCamera writes a 5 s, 640x480, 30 fps y4m for the fake camera: SMPTE bars moving under 6 % noise, which an
// encoder needs over a megabit a second for (Chromium's own fake picture needs about 480 kbit/s).
func busyCamera(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "busy.y4m")
	caps := "video/x-raw,width=640,height=480,framerate=30/1"
	args := strings.Fields("-q compositor name=c sink_1::alpha=0.06 ! videoconvert ! video/x-raw,format=I420 ! " +
		"y4menc ! filesink location=" + out + " videotestsrc num-buffers=150 pattern=smpte horizontal-speed=6 ! " +
		caps + " ! c. videotestsrc num-buffers=150 pattern=snow ! " + caps + " ! c.")
	if b, err := exec.Command("gst-launch-1.0", args...).CombinedOutput(); err != nil {
		t.Fatalf("gst-launch-1.0: %v: %s", err, b)
	}
	return out
}

// transcodeSecret signs the bearers of the transcoding tests: a server bound beyond loopback needs real tokens.
var transcodeSecret = []byte("e2e-transcode-secret-e2e-transcode")

// transcodeServer starts an MCU server reachable from pages behind shaped links (every address of the namespace)
// with env added, and returns it with the base URL of the pages of the test's namespace.
func transcodeServer(t *testing.T, env map[string]string) (*server, string) {
	vars := map[string]string{"MEDIA_MODE": "mcu", "UDP_PORT": "0", "ICE_TCP_PORT": "off", "BIND_ADDRESS": "0.0.0.0",
		"JWT_SECRET": string(transcodeSecret)}
	for k, v := range env {
		vars[k] = v
	}
	srv := startServer(t, vars)
	return srv, strings.Replace(strings.Replace(srv.URL, "0.0.0.0", "127.0.0.1", 1), "[::]", "127.0.0.1", 1)
}

// transcodePage starts p with a bearer for its user and room.
func transcodePage(t *testing.T, base string, p page, reps *reports) {
	bearer, err := auth.SignHS256(transcodeSecret, p.User, p.Room, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p.Bearer = bearer
	startPage(t, base, p, reps)
}

// pageBitrate follows a value of a page's reports (bytes) as a bitrate between consecutive reports.
type pageBitrate struct {
	last  int64
	at    time.Time
	kbits float64
}

func (b *pageBitrate) update(bytes int64, at time.Time) {
	if !b.at.IsZero() && at.After(b.at) && bytes >= b.last {
		b.kbits = float64(bytes-b.last) * 8 / at.Sub(b.at).Seconds() / 1000
	}
	b.last, b.at = bytes, at
}

// freezeWatch fails the test when a receiver's framesDecoded stops growing between two of its reports (a second
// apart: a freeze of more than about a second).
type freezeWatch struct {
	t      *testing.T
	frames map[string]int64
	at     map[string]time.Time
}

func newFreezeWatch(t *testing.T) *freezeWatch {
	return &freezeWatch{t: t, frames: map[string]int64{}, at: map[string]time.Time{}}
}

func (w *freezeWatch) check(user, from string, rep report) {
	p, ok := rep.peer(from)
	if !ok || rep.at.Equal(w.at[user]) {
		return
	}
	if last, seen := w.frames[user]; seen && p.FramesDecoded <= last {
		w.t.Errorf("%s: %s's video froze: %d frames decoded at %s, %d a report before", user, from, p.FramesDecoded,
			rep.at.Format("15:04:05.000"), last)
	}
	w.frames[user], w.at[user] = p.FramesDecoded, rep.at
}

// TestTranscodeShapedReceiver: one publisher with a busy camera and three receivers, one of them behind a link
// limited to 300 kbit/s. That receiver moves to a lower tier within 15 s while the others keep 640x480 and the
// publisher keeps sending over 700 kbit/s; lifting the limit, it climbs back to 640x480 within 30 s; no receiver's
// video freezes meanwhile (the shaped one from its switch on).
func TestTranscodeShapedReceiver(t *testing.T) {
	needShapedTargets(t)
	camera := busyCamera(t)
	link := newShapedLink(t, 1)
	admin := freeAddr(t)
	srv, base := transcodeServer(t, map[string]string{"TRANSCODE": "true", "ADMIN_ADDR": admin})
	t.Cleanup(func() {
		for _, line := range srv.logged("receiver changes tier", "tier started", "tier stopped", "tier refused") {
			t.Log(line)
		}
		// What the switches cost: retransmissions, those refused as stale, keyframes asked and forced.
		for line := range strings.Lines(string(adminGet(t, admin, "/metrics"))) {
			if !strings.HasPrefix(line, "#") && (strings.Contains(line, "resend_stale") ||
				strings.Contains(line, "rtx_total") || strings.Contains(line, "keyframe")) {
				t.Log(strings.TrimSpace(line))
			}
		}
	})
	reps := newReports(t)
	room := "transcode-shaped"
	transcodePage(t, base, page{Room: room, User: "pub", Camera: camera, Degradation: "maintain-resolution"}, reps)
	for _, u := range []string{"r1", "r2"} {
		transcodePage(t, base, page{Room: room, User: u, RecvOnly: true}, reps)
	}
	transcodePage(t, base, page{Room: room, User: "slow", RecvOnly: true, Link: link}, reps)
	receivers := []string{"r1", "r2", "slow"}

	all := reps.waitFor(t, firstMediaTimeout, "every receiver decodes pub at 640x480", func(all map[string]report) bool {
		for _, u := range receivers {
			if p, ok := all[u].peer("pub"); !ok || p.FramesDecoded < 30 || p.FrameWidth != 640 {
				return false
			}
		}
		return true
	})
	slowID := all["slow"].SocketID
	seen := waitView(t, admin, "every receiver forwarded, no encoder", func(v transcodeView) bool {
		return v.samples[`receivers{choice="forwarded"}`] == 3 && v.sum("encoders") == 0 &&
			v.choiceOf(slowID).Choice == "forwarded"
	})
	var pub pageBitrate
	freezes := newFreezeWatch(t)
	slowSwitched := false
	watch := func(all map[string]report) {
		pub.update(all["pub"].Upstream.BytesSentVideo, all["pub"].at)
		for _, u := range []string{"r1", "r2"} {
			freezes.check(u, "pub", all[u])
		}
		if slowSwitched {
			freezes.check("slow", "pub", all["slow"])
		}
	}
	// A mobile link's queue: the tiers' keyframes (tens of kilobytes of a noisy picture) must fit in it.
	link.LimitQueue(300, 400*time.Millisecond)
	limited := time.Now()
	t.Logf("downlink limited to 300 kbit/s at %s", limited.UTC().Format("15:04:05.000"))
	reps.waitFor(t, 15*time.Second, "the shaped receiver below 640x480, the others at 640x480, the publisher "+
		"above 700 kbit/s", func(all map[string]report) bool {
		watch(all)
		slow, _ := all["slow"].peer("pub")
		r1, _ := all["r1"].peer("pub")
		r2, _ := all["r2"].peer("pub")
		return slow.FrameWidth > 0 && slow.FrameWidth < 640 && r1.FrameWidth == 640 && r2.FrameWidth == 640 &&
			pub.kbits > 700
	})
	t.Logf("shaped receiver on a lower tier %.1f s after the limit; publisher at %.0f kbit/s",
		time.Since(limited).Seconds(), pub.kbits)
	// What an operator sees: one receiver on a tier, with an estimate below the best tier's, one decoder, one VP8
	// encoder of that tier busy, a switch counted.
	down := waitView(t, admin, "the shaped receiver on a tier in /state and /metrics", func(v transcodeView) bool {
		c := v.choiceOf(slowID)
		return c.Choice != "forwarded" && c.Choice != "" && v.samples[`receivers{choice="tier"}`] == 1 &&
			v.samples[`receivers{choice="forwarded"}`] == 2 && v.samples["decoders"] == 1 &&
			v.samples[`encoders{codec="VP8",tier="`+c.Choice+`"}`] == 1 &&
			v.samples[`encode_seconds_count{codec="VP8"}`] > 0 && v.samples[`decode_seconds_count{codec="VP8"}`] > 0
	})
	if c := down.choiceOf(slowID); c.Estimate <= 0 || c.Estimate >= 900_000 || c.Codec != "VP8" {
		t.Errorf("/state lists the shaped receiver as %+v: want VP8 and an estimate under 900 kbit/s", c)
	}
	if down.samples["tier_switches_total"] <= seen.samples["tier_switches_total"] ||
		down.samples["guard_refusals_total"] != 0 {
		t.Errorf("switches and refusals before the limit, then on a tier:\n%s\n%s", seen, down)
	}
	slowSwitched = true
	// Holds for a while: the publisher stays up, the others stay at 640x480, nobody freezes.
	hold := time.Now().Add(8 * time.Second)
	reps.waitFor(t, 20*time.Second, "8 s more on the lower tier", func(all map[string]report) bool {
		watch(all)
		for _, u := range []string{"r1", "r2"} {
			if p, _ := all[u].peer("pub"); p.FrameWidth != 640 {
				t.Errorf("%s decodes %dx%d while another receiver is limited", u, p.FrameWidth, p.FrameHeight)
			}
		}
		if pub.kbits > 0 && pub.kbits < 700 {
			t.Errorf("the publisher sends %.0f kbit/s while one receiver is limited", pub.kbits)
		}
		return time.Now().After(hold)
	})
	link.Unlimit()
	lifted := time.Now()
	t.Logf("limit lifted at %s", lifted.UTC().Format("15:04:05.000"))
	reps.waitFor(t, 30*time.Second, "the shaped receiver back at 640x480", func(all map[string]report) bool {
		watch(all)
		p, _ := all["slow"].peer("pub")
		return p.FrameWidth == 640
	})
	t.Logf("shaped receiver back at 640x480 %.1f s after the limit was lifted", time.Since(lifted).Seconds())
	up := waitView(t, admin, "the shaped receiver forwarded again in /state and /metrics", func(v transcodeView) bool {
		return v.choiceOf(slowID).Choice == "forwarded" && v.samples[`receivers{choice="forwarded"}`] == 3 &&
			v.samples[`receivers{choice="tier"}`] == 0
	})
	if up.samples["tier_switches_total"] <= down.samples["tier_switches_total"] ||
		up.samples[`encode_seconds_count{codec="VP8"}`] <= down.samples[`encode_seconds_count{codec="VP8"}`] {
		t.Errorf("switches and encode times did not move between the tier and the climb:\n%s\n%s", down, up)
	}
}

// waitView waits until the admin listener's view of the transcoding satisfies cond, and returns it.
func waitView(t *testing.T, admin, what string, cond func(transcodeView) bool) transcodeView {
	t.Helper()
	var v transcodeView
	if !testkit.Eventually(testkit.Patient, func() bool { v = viewTranscoding(t, admin); return cond(v) }) {
		t.Fatalf("%s: not within %v:\n%s", what, testkit.Patient, v)
	}
	return v
}

// TestTranscodeCodecTranslation: a receiver that decodes only another codec than the publisher's (its receiving
// transceiver restricted with setCodecPreferences) gets the publisher's video transcoded into it, both ways.
func TestTranscodeCodecTranslation(t *testing.T) {
	for _, tc := range []struct{ publisher, receiver string }{{"VP8", "H264"}, {"H264", "VP8"}} {
		t.Run(tc.publisher+" to "+tc.receiver, func(t *testing.T) {
			srv := startServer(t, map[string]string{"MEDIA_MODE": "mcu", "UDP_PORT": "0", "ICE_TCP_PORT": "off",
				"TRANSCODE": "true"})
			reps := newReports(t)
			room := "translate-" + tc.publisher
			startPage(t, srv.URL, page{Room: room, User: "pub", Codec: tc.publisher}, reps)
			startPage(t, srv.URL, page{Room: room, User: "rx", Codec: tc.receiver, RecvOnly: true}, reps)
			want := "video/" + tc.receiver
			all := reps.waitFor(t, firstMediaTimeout, "rx decodes pub in "+tc.receiver, func(all map[string]report) bool {
				p, ok := all["rx"].peer("pub")
				return ok && p.Codec == want && p.FramesDecoded > 60 && p.FrameWidth > 0
			})
			if up := all["pub"].Upstream; up == nil || up.SendCodec != "video/"+tc.publisher {
				t.Errorf("the publisher sends %+v, want %s", up, tc.publisher)
			}
			p, _ := all["rx"].peer("pub")
			t.Logf("rx decodes pub's %s video as %s: %d frames, %dx%d", tc.publisher, p.Codec, p.FramesDecoded,
				p.FrameWidth, p.FrameHeight)
		})
	}
}

// TestTranscodeGuardInMetrics: with room for one encoder, a receiver that decodes only H264 watching two VP8
// publishers gets one of them translated and the other refused (eventWebrtcDown, audio kept), and /metrics and
// /state say so: one decoder, one H264 640x480 encoder with its decode and encode times growing, one translated
// receiver, one guard refusal.
func TestTranscodeGuardInMetrics(t *testing.T) {
	admin := freeAddr(t)
	srv := startServer(t, map[string]string{"MEDIA_MODE": "mcu", "UDP_PORT": "0", "ICE_TCP_PORT": "off",
		"TRANSCODE": "true", "TRANSCODE_MAX_ENCODERS": "1", "ADMIN_ADDR": admin})
	reps := newReports(t)
	room := "transcode-guard"
	startPage(t, srv.URL, page{Room: room, User: "pub1", Codec: "VP8"}, reps)
	startPage(t, srv.URL, page{Room: room, User: "pub2", Codec: "VP8"}, reps)
	startPage(t, srv.URL, page{Room: room, User: "rx", Codec: "H264", RecvOnly: true}, reps)
	var translated, refused string
	all := reps.waitFor(t, firstMediaTimeout, "rx decodes one publisher in H264, the other refused",
		func(all map[string]report) bool {
			translated, refused = "", ""
			for _, from := range []string{"pub1", "pub2"} {
				p, ok := all["rx"].peer(from)
				switch {
				case ok && p.Codec == "video/H264" && p.FramesDecoded > 30:
					translated = from
				case all["rx"].receivedFrom("eventWebrtcDown", from):
					refused = from
				}
			}
			return translated != "" && refused != ""
		})
	first := waitView(t, admin, "one translated receiver, one H264 encoder, a refusal", func(v transcodeView) bool {
		return v.samples[`receivers{choice="translated"}`] == 1 && v.samples["decoders"] == 1 &&
			v.samples[`encoders{codec="H264",tier="640x480"}`] == 1 && v.sum("encoders") == 1 &&
			v.samples["guard_refusals_total"] >= 1 && v.samples[`encode_seconds_count{codec="H264"}`] > 0 &&
			v.samples[`decode_seconds_count{codec="VP8"}`] > 0
	})
	later := waitView(t, admin, "the encoder's times growing", func(v transcodeView) bool {
		return v.samples[`encode_seconds_count{codec="H264"}`] > first.samples[`encode_seconds_count{codec="H264"}`]+30
	})
	var rx []receiverChoice
	for _, c := range later.receivers {
		if c.Receiver == all["rx"].SocketID {
			rx = append(rx, c)
		}
	}
	if len(rx) != 1 || rx[0].Codec != "H264" || rx[0].Choice != "640x480" ||
		later.samples[`receivers{choice="forwarded"}`] != 2 {
		t.Errorf("/state lists %+v for rx, want its H264 640x480 alone (the refused stream has no video), and the "+
			"publishers forwarded to each other:\n%s", rx, later)
	}
	t.Logf("rx decodes %s in H264, %s refused: %g refusals, %g frames encoded", translated, refused,
		later.samples["guard_refusals_total"], later.samples[`encode_seconds_count{codec="H264"}`])
}

// TestTranscodeOffPublisherBitrate is the figure before transcoding, for docs/OPERATIONS.md: the same room and
// limit with TRANSCODE=false, where the limited receiver's estimate becomes the publisher's REMB. It logs the
// publisher's bitrate 15 s into the limit and asserts only that everyone decodes; run it with
// TestTranscodeShapedReceiver for both figures from one run (E2E_FIGURES=1).
func TestTranscodeOffPublisherBitrate(t *testing.T) {
	if os.Getenv(figuresEnv) == "" {
		t.Skipf("a measurement: run with %s=1", figuresEnv)
	}
	camera := busyCamera(t)
	link := newShapedLink(t, 2)
	_, base := transcodeServer(t, map[string]string{"TRANSCODE": "false"})
	reps := newReports(t)
	room := "transcode-off"
	transcodePage(t, base, page{Room: room, User: "pub", Camera: camera, Degradation: "maintain-resolution"}, reps)
	transcodePage(t, base, page{Room: room, User: "r1", RecvOnly: true}, reps)
	transcodePage(t, base, page{Room: room, User: "slow", RecvOnly: true, Link: link}, reps)
	reps.waitFor(t, firstMediaTimeout, "both receivers decode pub", func(all map[string]report) bool {
		for _, u := range []string{"r1", "slow"} {
			if p, ok := all[u].peer("pub"); !ok || p.FramesDecoded < 30 {
				return false
			}
		}
		return true
	})
	var pub pageBitrate
	before := time.Now().Add(5 * time.Second)
	reps.waitFor(t, 15*time.Second, "5 s unlimited", func(all map[string]report) bool {
		pub.update(all["pub"].Upstream.BytesSentVideo, all["pub"].at)
		return time.Now().After(before)
	})
	t.Logf("TRANSCODE=false, unlimited: the publisher sends %.0f kbit/s", pub.kbits)
	link.LimitQueue(300, 400*time.Millisecond)
	until := time.Now().Add(15 * time.Second)
	all := reps.waitFor(t, 30*time.Second, "15 s limited", func(all map[string]report) bool {
		pub.update(all["pub"].Upstream.BytesSentVideo, all["pub"].at)
		return time.Now().After(until)
	})
	r1, _ := all["r1"].peer("pub")
	t.Logf("TRANSCODE=false, one receiver limited to 300 kbit/s for 15 s: the publisher sends %.0f kbit/s, the "+
		"unlimited receiver decodes %dx%d", pub.kbits, r1.FrameWidth, r1.FrameHeight)
}

// transcodeView is what an operator sees of the transcoding: the transcode_ samples of /metrics ("name{labels}",
// without the metric prefix) and each video receiver's choice in /state.
type transcodeView struct {
	samples   map[string]float64
	receivers []receiverChoice
}

// receiverChoice is one entry of /state's transcoding list.
type receiverChoice struct {
	Receiver  string  `json:"receiver"`
	Publisher string  `json:"publisher"`
	Codec     string  `json:"codec"`
	Choice    string  `json:"choice"`
	Estimate  float64 `json:"estimate"`
}

// viewTranscoding reads /metrics and /state from the server's admin listener.
func viewTranscoding(t *testing.T, admin string) transcodeView {
	t.Helper()
	v := transcodeView{samples: map[string]float64{}}
	for line := range strings.Lines(string(adminGet(t, admin, "/metrics"))) {
		name, value, ok := strings.Cut(strings.TrimSpace(line), " ")
		name, isTranscode := strings.CutPrefix(name, "live_webrtcsignaling_transcode_")
		if !ok || !isTranscode {
			continue
		}
		f, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("/metrics: %q: %v", line, err)
		}
		v.samples[name] = f
	}
	var st struct {
		Transcoding []receiverChoice `json:"transcoding"`
	}
	if err := json.Unmarshal(adminGet(t, admin, "/state"), &st); err != nil {
		t.Fatalf("/state: %v", err)
	}
	v.receivers = st.Transcoding
	return v
}

// adminGet returns the body of a GET of path on the admin listener.
func adminGet(t *testing.T, admin, path string) []byte {
	t.Helper()
	resp, err := http.Get("http://" + admin + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
	}
	return body
}

// choiceOf is receiver's choice in /state ("" when it is not listed).
func (v transcodeView) choiceOf(receiver string) receiverChoice {
	for _, r := range v.receivers {
		if r.Receiver == receiver {
			return r
		}
	}
	return receiverChoice{}
}

// sum adds the samples of name whatever their labels.
func (v transcodeView) sum(name string) float64 {
	var n float64
	for k, f := range v.samples {
		if k == name || strings.HasPrefix(k, name+"{") {
			n += f
		}
	}
	return n
}

// String lists the samples, for a failure's message.
func (v transcodeView) String() string {
	keys := slices.Sorted(maps.Keys(v.samples))
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %g\n", k, v.samples[k])
	}
	fmt.Fprintf(&b, "/state: %+v", v.receivers)
	return b.String()
}
