// Command capture records the SDP of the local Chromium as fixtures for package sdp, and checks that Chromium
// accepts what package negotiate writes.
//
//	go run ./src/sdp/testdata/capture -out src/sdp/testdata
//
// It serves page.html on 127.0.0.1 and runs headless Chromium with a fake camera and microphone. For each scenario
// the page creates an offer, which goes to <out>/offers/chromium<major>-<scenario>.sdp; the server answers it with
// negotiate.AnswerPublisher and the page applies that answer. Then the page answers two listener offers built by
// negotiate.OfferListener; the offers and Chromium's answers go to <out>/listener/. Any error (an answer Chromium
// refuses, an answer ReadListenerAnswer refuses) fails the run. It re-runs itself in a network namespace that has
// only loopback, so that no packet of the browser leaves the machine.
package main

import (
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
)

//go:embed page.html
var page []byte

const inNamespace = "SDP_CAPTURE_IN_NETNS"

func main() {
	out := flag.String("out", "src/sdp/testdata", "testdata directory (offers/ and listener/ are written there)")
	browser := flag.String("chromium", "/usr/bin/chromium", "Chromium executable")
	timeout := flag.Duration("timeout", 60*time.Second, "give up after this long")
	flag.Parse()
	var err error
	if os.Getenv(inNamespace) == "" {
		err = reexecInNamespace()
	} else {
		err = capture(*out, *browser, *timeout)
	}
	if err != nil {
		slog.Error("capture failed", "err", err)
		os.Exit(1)
	}
}

// reexecInNamespace runs this same program again inside a fresh network namespace with only loopback up.
func reexecInNamespace() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	args := append([]string{"-n", "sh", "-c", `ip link set lo up && exec "$@"`, "sh", self}, os.Args[1:]...)
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), inNamespace+"=1")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

func capture(out, browser string, timeout time.Duration) error {
	major, err := chromiumMajor(browser)
	if err != nil {
		return err
	}
	for _, dir := range []string{"offers", "listener"} {
		if err := os.MkdirAll(filepath.Join(out, dir), 0o755); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	srv := &http.Server{Handler: handler(out, "chromium"+major, done), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			done <- err
		}
	}()
	defer srv.Close()

	profile, err := os.MkdirTemp("", "sdp-capture-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile)
	cmd := exec.Command(browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
		"--allow-loopback-in-peer-connection", "http://"+ln.Addr().String()+"/")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()

	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		return fmt.Errorf("no result from %s after %s", browser, timeout)
	}
}

func chromiumMajor(browser string) (string, error) {
	version, err := exec.Command(browser, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", browser, err)
	}
	m := regexp.MustCompile(`(\d+)\.\d+\.\d+`).FindSubmatch(version)
	if m == nil {
		return "", fmt.Errorf("no version in %q", version)
	}
	return string(m[1]), nil
}

var scenarioName = regexp.MustCompile(`^[a-z0-9-]+$`)

// handler serves the page, records what it posts and answers or offers as the MCU would. It reports on done when
// the page has finished or something failed.
func handler(out, prefix string, done chan<- error) http.Handler {
	local := negotiate.Local{
		ICEUfrag: "capt", ICEPwd: "capturecapturecapture0",
		Fingerprints: []sdp.Fingerprint{{HashFunction: "sha-256", Value: strings.Repeat("AB:", 31) + "AB"}},
		Addrs:        []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:40000")},
		SessionID:    1, SessionVersion: 1,
	}
	listenerOffers := map[string]*sdp.Session{}
	fail := func(w http.ResponseWriter, err error) {
		http.Error(w, err.Error(), http.StatusBadRequest)
		done <- err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	})
	mux.HandleFunc("POST /offer/{name}", func(w http.ResponseWriter, r *http.Request) {
		if err := record(r, filepath.Join(out, "offers", prefix+"-"+r.PathValue("name")+".sdp")); err != nil {
			fail(w, err)
		}
	})
	mux.HandleFunc("POST /answer/{name}", func(w http.ResponseWriter, r *http.Request) {
		answer, err := answerPublisher(r, local)
		if err != nil {
			fail(w, fmt.Errorf("answering %s: %w", r.PathValue("name"), err))
			return
		}
		slog.Info("answered", "scenario", r.PathValue("name"))
		_, _ = w.Write(answer)
	})
	mux.HandleFunc("GET /listener/{name}", func(w http.ResponseWriter, r *http.Request) {
		offer, text, err := listenerOffer(local, r.PathValue("name"))
		if err == nil {
			listenerOffers[r.PathValue("name")] = offer
			err = os.WriteFile(filepath.Join(out, "listener", r.PathValue("name")+"-offer.sdp"), text, 0o644)
		}
		if err != nil {
			fail(w, err)
			return
		}
		_, _ = w.Write(text)
	})
	mux.HandleFunc("POST /listener/{name}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		path := filepath.Join(out, "listener", name+"-"+prefix+"-answer.sdp")
		err := record(r, path)
		if err == nil {
			err = readListenerAnswer(listenerOffers[name], path)
		}
		if err != nil {
			fail(w, fmt.Errorf("listener %s: %w", name, err))
		}
	})
	mux.HandleFunc("POST /error", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
		done <- fmt.Errorf("page: %s", strings.TrimSpace(string(body)))
	})
	mux.HandleFunc("POST /done", func(w http.ResponseWriter, _ *http.Request) {
		done <- nil
	})
	return mux
}

// record writes the request body to path, after checking the file name.
func record(r *http.Request, path string) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, sdp.MaxSize))
	if err != nil {
		return err
	}
	if !scenarioName.MatchString(strings.TrimSuffix(filepath.Base(path), ".sdp")) {
		return fmt.Errorf("bad file name %q", path)
	}
	slog.Info("captured", "file", path, "bytes", len(body))
	return os.WriteFile(path, body, 0o644)
}

func answerPublisher(r *http.Request, local negotiate.Local) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, sdp.MaxSize))
	if err != nil {
		return nil, err
	}
	offer, err := sdp.Unmarshal(body)
	if err != nil {
		return nil, err
	}
	answer, _, err := negotiate.AnswerPublisher(offer, local, negotiate.DefaultPreferences())
	if err != nil {
		return nil, err
	}
	return answer.Marshal()
}

// listenerOffer offers Opus and one video codec (with RTX) as the MCU forwards a Chromium publisher's stream.
func listenerOffer(local negotiate.Local, name string) (*sdp.Session, []byte, error) {
	video := sdp.Codec{PayloadType: 96, Name: "VP8", ClockRate: 90000}
	if name == "h264" {
		video = sdp.Codec{PayloadType: 108, Name: "H264", ClockRate: 90000,
			Fmtp: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}
	}
	prefs := negotiate.DefaultPreferences()
	tracks := []negotiate.Track{
		{Kind: sdp.KindAudio, Codecs: []negotiate.Codec{{Codec: sdp.Codec{PayloadType: 111, Name: "opus",
			ClockRate: 48000, Channels: 2, Fmtp: "minptime=10;useinbandfec=1"}}},
			Feedback: []sdp.Feedback{sdp.FeedbackTransportCC}, Extensions: prefs.Extensions[:3],
			SSRC: 1001, CNAME: "publisher1", StreamID: "publisher1", TrackID: "audio"},
		{Kind: sdp.KindVideo, Codecs: []negotiate.Codec{{Codec: video, RTXPayloadType: video.PayloadType + 1}},
			Feedback: prefs.Feedback, Extensions: prefs.Extensions,
			SSRC: 2001, RTXSSRC: 2002, CNAME: "publisher1", StreamID: "publisher1", TrackID: "video"},
	}
	offer, err := negotiate.OfferListener(local, tracks)
	if err != nil {
		return nil, nil, err
	}
	text, err := offer.Marshal()
	return offer, text, err
}

func readListenerAnswer(offer *sdp.Session, path string) error {
	if offer == nil {
		return errors.New("answer without an offer")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	answer, err := sdp.Unmarshal(data)
	if err != nil {
		return err
	}
	result, err := negotiate.ReadListenerAnswer(offer, answer)
	if err != nil {
		return err
	}
	for _, m := range result.Media {
		slog.Info("listener answer", "mid", m.MID, "codec", m.Codec.Name, "pt", m.Codec.PayloadType,
			"rtx", m.Codec.RTXPayloadType, "direction", m.Direction)
	}
	return nil
}
