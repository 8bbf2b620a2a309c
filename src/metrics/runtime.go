package metrics

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"
)

// runtimeSamples are the runtime/metrics read at each scrape, with the name and help they are exposed under.
var runtimeSamples = []struct {
	key, name, help, kind string
}{
	{"/memory/classes/heap/objects:bytes", "go_memstats_heap_alloc_bytes", "Bytes of allocated heap objects.", typeGauge},
	{"/memory/classes/total:bytes", "go_memstats_sys_bytes", "Bytes of memory obtained from the OS by the Go runtime.", typeGauge},
	{"/gc/cycles/total:gc-cycles", "go_gc_cycles_total", "Completed GC cycles.", typeCounter},
	{"/gc/heap/allocs:bytes", "go_memstats_alloc_bytes_total", "Bytes allocated on the heap since start.", typeCounter},
	{"/sched/gomaxprocs:threads", "go_gomaxprocs", "GOMAXPROCS.", typeGauge},
}

// RuntimeCollector returns the Go runtime and process samples, with the names client_golang uses so that common
// dashboards work: goroutines, threads, heap, GC cycles, CPU seconds, resident memory, file descriptors, start
// time. started is the process start time to report.
func RuntimeCollector(started time.Time) Collector {
	threads := pprof.Lookup("threadcreate")
	startSeconds := float64(started.UnixNano()) / 1e9
	return CollectorFunc(func(e *Emitter) {
		e.Gauge("go_goroutines", "Goroutines that currently exist.", float64(runtime.NumGoroutine()))
		e.Gauge("go_threads", "OS threads created.", float64(threads.Count()))
		e.Gauge("go_info", "Go version of the binary.", 1, Label{"version", runtime.Version()})
		// Scrapes may run concurrently: each reads into its own samples.
		samples := make([]metrics.Sample, len(runtimeSamples))
		for i, s := range runtimeSamples {
			samples[i].Name = s.key
		}
		metrics.Read(samples)
		for i, s := range runtimeSamples {
			if v, ok := sampleValue(samples[i].Value); ok {
				emit(e, s.kind, s.name, s.help, v)
			}
		}
		collectProcess(e, startSeconds)
	})
}

func sampleValue(v metrics.Value) (float64, bool) {
	switch v.Kind() {
	case metrics.KindUint64:
		return float64(v.Uint64()), true
	case metrics.KindFloat64:
		return v.Float64(), true
	}
	return 0, false
}

func emit(e *Emitter, kind, name, help string, v float64) {
	if kind == typeCounter {
		e.Counter(name, help, v)
		return
	}
	e.Gauge(name, help, v)
}

// collectProcess emits what the kernel says of the process; a figure the system does not give is left out.
func collectProcess(e *Emitter, startSeconds float64) {
	e.Gauge("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.", startSeconds)
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		e.Counter("process_cpu_seconds_total", "User and system CPU time spent, in seconds.", cpu.Seconds())
	}
	if statm, err := os.ReadFile("/proc/self/statm"); err == nil {
		if pages, err := parseStatmResident(statm); err == nil {
			e.Gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
				float64(pages)*float64(os.Getpagesize()))
		}
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		e.Gauge("process_open_fds", "Open file descriptors.", float64(len(fds)))
	}
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		e.Gauge("process_max_fds", "Limit of open file descriptors.", float64(lim.Cur))
	}
}

// parseStatmResident reads the resident set size, in pages, from /proc/self/statm ("size resident shared ...").
func parseStatmResident(statm []byte) (uint64, error) {
	fields := bytes.Fields(statm)
	if len(fields) < 2 {
		return 0, errors.New("metrics: statm: fewer than 2 fields")
	}
	pages, err := strconv.ParseUint(string(fields[1]), 10, 64)
	if err != nil {
		return 0, err
	}
	return pages, nil
}
