package metrics

import (
	"bytes"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

func gather(t *testing.T, collect func(e *Emitter)) (string, []error) {
	t.Helper()
	r := NewRegistry(nil)
	if err := r.Register(CollectorFunc(collect)); err != nil {
		t.Fatal(err)
	}
	out, errs := r.Gather()
	return string(out), errs
}

func TestExposition(t *testing.T) {
	out, errs := gather(t, func(e *Emitter) {
		e.Gauge("rooms", "Live rooms.", 3)
		e.Counter("messages_total", "Messages by action and result.", 10, Label{"action", "join"}, Label{"result", "ok"})
		e.Counter("messages_total", "Messages by action and result.", 2, Label{"action", "join"}, Label{"result", "error"})
		e.Histogram("latency_seconds", "Forwarding latency.", Histogram{
			Bounds: []float64{0.001, 0.01}, Counts: []uint64{5, 3, 1}, Sum: 0.0425,
		}, Label{"kind", "video"})
		e.Gauge("weird", "Help with \\ and\nline feed.", math.Inf(1), Label{"v", "quote \" backslash \\ lf \n"})
		e.Gauge("big", "Large and fractional values.", 1.5e300)
		e.Gauge("rooms_fraction", "A fraction.", -0.25)
	})
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := `# HELP rooms Live rooms.
# TYPE rooms gauge
rooms 3
# HELP messages_total Messages by action and result.
# TYPE messages_total counter
messages_total{action="join",result="ok"} 10
messages_total{action="join",result="error"} 2
# HELP latency_seconds Forwarding latency.
# TYPE latency_seconds histogram
latency_seconds_bucket{kind="video",le="0.001"} 5
latency_seconds_bucket{kind="video",le="0.01"} 8
latency_seconds_bucket{kind="video",le="+Inf"} 9
latency_seconds_sum{kind="video"} 0.0425
latency_seconds_count{kind="video"} 9
# HELP weird Help with \\ and\nline feed.
# TYPE weird gauge
weird{v="quote \" backslash \\ lf \n"} +Inf
# HELP big Large and fractional values.
# TYPE big gauge
big 1.5e+300
# HELP rooms_fraction A fraction.
# TYPE rooms_fraction gauge
rooms_fraction -0.25
`
	if out != want {
		t.Fatalf("exposition:\n%s\nwant:\n%s", out, want)
	}
	p, err := parseExposition(out)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := p.value("weird", map[string]string{"v": "quote \" backslash \\ lf \n"}); !ok || !math.IsInf(v, 1) {
		t.Fatalf("label value does not read back: %v %v", v, ok)
	}
}

func TestHistogramWithoutSum(t *testing.T) {
	out, errs := gather(t, func(e *Emitter) {
		e.Histogram("h", "No sum kept.", Histogram{Bounds: []float64{1, 2}, Counts: []uint64{1, 0, 2}, Sum: math.NaN()})
	})
	want := `# HELP h No sum kept.
# TYPE h histogram
h_bucket{le="1"} 1
h_bucket{le="2"} 1
h_bucket{le="+Inf"} 3
h_count 3
`
	if len(errs) != 0 || out != want {
		t.Fatalf("%v\n%s", errs, out)
	}
}

func TestInterleavedFamiliesAreGrouped(t *testing.T) {
	out, errs := gather(t, func(e *Emitter) {
		e.Gauge("a", "A.", 1, Label{"x", "1"})
		e.Gauge("b", "B.", 1)
		e.Gauge("a", "A.", 2, Label{"x", "2"})
	})
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if _, err := parseExposition(out); err != nil {
		t.Fatalf("%v in\n%s", err, out)
	}
	if !strings.Contains(out, "a{x=\"1\"} 1\na{x=\"2\"} 2\n# HELP b") {
		t.Fatalf("samples of a not grouped:\n%s", out)
	}
}

func TestInvalidSamplesAreDroppedAndReported(t *testing.T) {
	tests := []struct {
		name    string
		collect func(e *Emitter)
		wantErr string
	}{
		{"metric name", func(e *Emitter) { e.Gauge("1abc", "h", 1) }, "invalid metric name"},
		{"metric name with dash", func(e *Emitter) { e.Gauge("a-b", "h", 1) }, "invalid metric name"},
		{"empty name", func(e *Emitter) { e.Gauge("", "h", 1) }, "invalid metric name"},
		{"label name", func(e *Emitter) { e.Gauge("a", "h", 1, Label{"1x", "v"}) }, "invalid label name"},
		{"reserved label", func(e *Emitter) { e.Gauge("a", "h", 1, Label{"__name__", "v"}) }, "invalid label name"},
		{"label twice", func(e *Emitter) { e.Gauge("a", "h", 1, Label{"x", "1"}, Label{"x", "2"}) }, "given twice"},
		{"type change", func(e *Emitter) { e.Gauge("a", "h", 1); e.Counter("a", "h", 1, Label{"x", "1"}) }, "emitted as gauge"},
		{"help change", func(e *Emitter) { e.Gauge("a", "h", 1); e.Gauge("a", "other", 1, Label{"x", "1"}) }, "emitted as gauge"},
		{"duplicate", func(e *Emitter) { e.Gauge("a", "h", 1, Label{"x", "1"}); e.Gauge("a", "h", 2, Label{"x", "1"}) }, "duplicate"},
		{"duplicate reordered", func(e *Emitter) {
			e.Gauge("a", "h", 1, Label{"x", "1"}, Label{"y", "2"})
			e.Gauge("a", "h", 2, Label{"y", "2"}, Label{"x", "1"})
		}, "duplicate"},
		{"negative counter", func(e *Emitter) { e.Gauge("a", "h", 1); e.Counter("c", "h", -1) }, "negative"},
		{"NaN counter", func(e *Emitter) { e.Gauge("a", "h", 1); e.Counter("c", "h", math.NaN()) }, "NaN"},
		{"histogram counts", func(e *Emitter) {
			e.Gauge("a", "h", 1)
			e.Histogram("h", "h", Histogram{Bounds: []float64{1}, Counts: []uint64{1}})
		}, "one count more"},
		{"histogram order", func(e *Emitter) {
			e.Gauge("a", "h", 1)
			e.Histogram("h", "h", Histogram{Bounds: []float64{2, 1}, Counts: []uint64{1, 1, 1}})
		}, "ascending"},
		{"histogram inf bound", func(e *Emitter) {
			e.Gauge("a", "h", 1)
			e.Histogram("h", "h", Histogram{Bounds: []float64{math.Inf(1)}, Counts: []uint64{1, 1}})
		}, "finite"},
		{"histogram le label", func(e *Emitter) {
			e.Gauge("a", "h", 1)
			e.Histogram("h", "h", Histogram{Bounds: []float64{1}, Counts: []uint64{1, 1}}, Label{"le", "x"})
		}, `"le"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs := gather(t, tt.collect)
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.wantErr) {
				t.Fatalf("errors %v, want one with %q", errs, tt.wantErr)
			}
			if _, err := parseExposition(out); err != nil {
				t.Fatalf("what remains is not a valid exposition: %v\n%s", err, out)
			}
		})
	}
}

func TestInvalidUTF8IsReplaced(t *testing.T) {
	out, errs := gather(t, func(e *Emitter) { e.Gauge("a", "bad \xff help", 1, Label{"v", "bad \xfe value"}) })
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if !strings.Contains(out, "bad \uFFFD help") || !strings.Contains(out, `v="bad `+"\uFFFD"+` value"`) {
		t.Fatalf("invalid UTF-8 kept:\n%q", out)
	}
}

func TestPanickingCollectorKeepsTheOthers(t *testing.T) {
	var logs bytes.Buffer
	r := NewRegistry(slog.New(slog.NewTextHandler(&logs, nil)))
	for _, c := range []CollectorFunc{
		func(e *Emitter) { e.Gauge("before", "h", 1) },
		func(e *Emitter) { e.Gauge("partial", "h", 1); panic("collector bug") },
		func(e *Emitter) { e.Gauge("after", "h", 1) },
	} {
		if err := r.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Register(nil); err == nil {
		t.Fatal("nil collector registered")
	}
	srv := httptest.NewServer(r)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != ContentType {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, name := range []string{"before 1", "partial 1", "after 1"} {
		if !strings.Contains(string(body), name) {
			t.Errorf("%q missing from\n%s", name, body)
		}
	}
	if !strings.Contains(logs.String(), "collector bug") {
		t.Fatalf("panic not logged: %s", logs.String())
	}
}

func TestEmptyRegistry(t *testing.T) {
	out, errs := NewRegistry(nil).Gather()
	if len(out) != 0 || len(errs) != 0 {
		t.Fatalf("%q %v", out, errs)
	}
}

func TestRuntimeCollector(t *testing.T) {
	started := time.Unix(1700000000, 0)
	runtime.GC()
	out, errs := gather(t, RuntimeCollector(started).Collect)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	p, err := parseExposition(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for name, kind := range map[string]string{
		"go_goroutines": typeGauge, "go_threads": typeGauge, "go_memstats_heap_alloc_bytes": typeGauge,
		"go_memstats_sys_bytes": typeGauge, "go_gc_cycles_total": typeCounter, "go_gomaxprocs": typeGauge,
		"go_memstats_alloc_bytes_total": typeCounter, "process_cpu_seconds_total": typeCounter,
		"process_resident_memory_bytes": typeGauge, "process_open_fds": typeGauge, "process_max_fds": typeGauge,
		"process_start_time_seconds": typeGauge,
	} {
		if p.types[name] != kind {
			t.Errorf("%s: type %q, want %q", name, p.types[name], kind)
		}
		if v, ok := p.value(name, nil); !ok || v <= 0 {
			t.Errorf("%s = %v (present %v), want > 0", name, v, ok)
		}
	}
	if v, _ := p.value("process_start_time_seconds", nil); v != 1700000000 {
		t.Errorf("start time %v", v)
	}
}

func TestParseStatmResident(t *testing.T) {
	tests := []struct {
		in      string
		want    uint64
		wantErr bool
	}{
		{"12345 678 90 1 0 100 0\n", 678, false},
		{"1 2", 2, false},
		{"1", 0, true},
		{"", 0, true},
		{"1 -2 3", 0, true},
		{"1 x 3", 0, true},
		{"1 99999999999999999999999 3", 0, true},
	}
	for _, tt := range tests {
		got, err := parseStatmResident([]byte(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%q: %d, %v", tt.in, got, err)
		}
	}
}

func BenchmarkScrape(b *testing.B) {
	r := NewRegistry(nil)
	if err := r.Register(RuntimeCollector(time.Now())); err != nil {
		b.Fatal(err)
	}
	actions := []string{"join", "reconnect", "leave", "exchangeSdp", "exchangeCandidate", "orientationChange",
		"sendMessage", "eventFreeze", "eventCpu", "eventNetworkChange", "general"}
	err := r.Register(CollectorFunc(func(e *Emitter) {
		e.Gauge("rooms", "Rooms.", 1250)
		for _, a := range actions {
			e.Counter("messages_total", "Messages.", 123456, Label{"action", a}, Label{"result", "ok"})
			e.Counter("messages_total", "Messages.", 12, Label{"action", a}, Label{"result", "error"})
		}
		e.Histogram("latency_seconds", "Latency.", Histogram{
			Bounds: []float64{0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05}, Counts: []uint64{1, 2, 3, 4, 5, 6, 7}, Sum: 1,
		})
	}))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, errs := r.Gather(); len(errs) != 0 {
			b.Fatal(errs)
		}
	}
}
