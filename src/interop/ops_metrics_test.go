package interop

import (
	"bufio"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	"github.com/heytribe/live-webrtcsignaling/src/metrics"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// src/metrics writes the Prometheus text format by hand; these tests read what it writes with Prometheus' own
// parser (prometheus/common/expfmt).

func parseProm(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	families, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("expfmt: %v\n%s", err, text)
	}
	return families
}

func labelsOf(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

func TestMetricsExpositionReadsBackWithPrometheus(t *testing.T) {
	tricky := "quote \" backslash \\ line\nfeed é"
	reg := metrics.NewRegistry(nil)
	err := reg.Register(metrics.CollectorFunc(func(e *metrics.Emitter) {
		e.Counter("app_messages_total", "Messages \\ by action\nand result.", 1<<53,
			metrics.Label{Name: "action", Value: tricky}, metrics.Label{Name: "result", Value: "ok"})
		e.Counter("app_messages_total", "Messages \\ by action\nand result.", 0,
			metrics.Label{Name: "action", Value: "join"}, metrics.Label{Name: "result", Value: "error"})
		e.Gauge("app_ratio", "A fraction.", -0.125)
		e.Gauge("app_inf", "Infinities.", math.Inf(-1))
		e.Gauge("app_invalid_utf8", "Invalid UTF-8 is replaced.", 1, metrics.Label{Name: "v", Value: "a\xffb"})
		e.Histogram("app_latency_seconds", "A histogram.", metrics.Histogram{
			Bounds: []float64{0.001, 0.01, 0.1}, Counts: []uint64{3, 2, 0, 1}, Sum: 0.5,
		}, metrics.Label{Name: "kind", Value: "video"})
		e.Histogram("app_nosum_seconds", "A histogram without sum.", metrics.Histogram{
			Bounds: []float64{2e-6, 4e-6}, Counts: []uint64{1, 1, 1}, Sum: math.NaN(),
		})
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(metrics.RuntimeCollector(time.Now())); err != nil {
		t.Fatal(err)
	}
	out, errs := reg.Gather()
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	families := parseProm(t, string(out))

	msgs := families["app_messages_total"]
	if msgs.GetType() != dto.MetricType_COUNTER || msgs.GetHelp() != "Messages \\ by action\nand result." ||
		len(msgs.GetMetric()) != 2 {
		t.Fatalf("app_messages_total: %v", msgs)
	}
	first := msgs.GetMetric()[0]
	if labelsOf(first)["action"] != tricky || first.GetCounter().GetValue() != 1<<53 {
		t.Errorf("label or value changed: %v", first)
	}
	if v := families["app_ratio"].GetMetric()[0].GetGauge().GetValue(); v != -0.125 {
		t.Errorf("app_ratio %v", v)
	}
	if v := families["app_inf"].GetMetric()[0].GetGauge().GetValue(); !math.IsInf(v, -1) {
		t.Errorf("app_inf %v", v)
	}
	if v := labelsOf(families["app_invalid_utf8"].GetMetric()[0])["v"]; v != "a\uFFFDb" {
		t.Errorf("invalid UTF-8 label %q", v)
	}

	h := families["app_latency_seconds"].GetMetric()[0].GetHistogram()
	if families["app_latency_seconds"].GetType() != dto.MetricType_HISTOGRAM || h.GetSampleCount() != 6 ||
		h.GetSampleSum() != 0.5 || len(h.GetBucket()) != 4 {
		t.Fatalf("histogram: %v", h)
	}
	for i, want := range []uint64{3, 5, 5, 6} {
		if got := h.GetBucket()[i].GetCumulativeCount(); got != want {
			t.Errorf("bucket %d: %d, want %d", i, got, want)
		}
	}
	if nosum := families["app_nosum_seconds"].GetMetric()[0].GetHistogram(); nosum.GetSampleCount() != 3 {
		t.Errorf("histogram without sum: %v", nosum)
	}
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_cpu_seconds_total",
		"process_resident_memory_bytes"} {
		if _, ok := families[name]; !ok {
			t.Errorf("runtime family %s missing", name)
		}
	}
}

// TestServerMetricsReadBackWithPrometheus scrapes the real server in MCU mode and reads every family with
// Prometheus' parser: counters are counters and end in _total, the latency histogram is cumulative.
func TestServerMetricsReadBackWithPrometheus(t *testing.T) {
	bin := buildServer(t)
	logPath := filepath.Join(t.TempDir(), "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT_NUMBER=0", "ADMIN_ADDR=127.0.0.1:0", "UDP_PORT=0", "LOG_FORMAT=json",
		"DRAIN_TIMEOUT=0")
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(testkit.Patient):
			_ = cmd.Process.Kill()
			t.Error("the server did not stop on SIGTERM")
		}
	}()
	admin := ""
	testkit.WaitFor(t, testkit.Patient, "the server's start line", func() bool {
		data, err := os.ReadFile(logPath)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		for sc.Scan() {
			var line struct{ Msg, Admin string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "live-webrtcsignaling started" {
				admin = line.Admin
			}
		}
		return admin != ""
	})
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d %v", resp.StatusCode, err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != metrics.ContentType {
		t.Errorf("Content-Type %q", ct)
	}
	families := parseProm(t, string(body))
	for name, f := range families {
		if (f.GetType() == dto.MetricType_COUNTER) != strings.HasSuffix(name, "_total") {
			t.Errorf("%s is a %s", name, f.GetType())
		}
	}
	for _, name := range []string{"live_webrtcsignaling_rooms", "live_webrtcsignaling_ws_messages_total",
		"live_webrtcsignaling_webrtc_sessions", "live_webrtcsignaling_media_sessions",
		"live_webrtcsignaling_rtp_packets_total", "live_webrtcsignaling_nack_total",
		"live_webrtcsignaling_forward_latency_seconds", "go_goroutines"} {
		if _, ok := families[name]; !ok {
			t.Errorf("family %s missing", name)
		}
	}
	if f := families["live_webrtcsignaling_forward_latency_seconds"]; f.GetType() != dto.MetricType_HISTOGRAM ||
		len(f.GetMetric()[0].GetHistogram().GetBucket()) != 21 { // 2 µs to about 1 s, and +Inf
		t.Errorf("forward latency: %v", f)
	}
}
